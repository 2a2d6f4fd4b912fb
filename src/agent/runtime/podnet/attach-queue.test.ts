import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Spawner } from '../host/index.ts';
import { AttachQueue } from './attach-queue.ts';

// The queue against a stand-in for `ip -force -batch -`: it logs every run, and fails
// the lines that say FAIL as ip does (the error, then "Command failed -:<line>").
const FAKE_IP = `#!/bin/sh
echo "$*" >> "$(dirname "$0")/runs"
n=0; failed=0
while IFS= read -r line; do
  n=$((n+1))
  case "$line" in *FAIL*) echo "Error: $line refused" >&2; echo "Command failed -:$n" >&2; failed=1;; esac
done
exit $failed
`;

describe('pod network attach queue', () => {
  let dir = '';
  let ip = '';
  const spawner = new Spawner();
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-attach-'));
    ip = join(dir, 'ip');
    await writeFile(ip, FAKE_IP);
    await chmod(ip, 0o755);
  });
  after(async () => {
    spawner.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('makes the host side of waiting pods in one run, and fails only the pod whose line failed', async () => {
    const queue = new AttachQueue(spawner, ip);
    const pod = (name: string, lines: string[], own = ['ok']) =>
      queue.attach({
        hostLines: lines.map((l) => `${l} ${name}`),
        steps: [{ file: ip, args: ['-n', name, '-batch', '-'], input: `${own.join('\n')}\n` }],
        failure: (step, r) => new Error(`step ${step} of ${name}: ${r.stderr.trim()}`),
      });
    const outcomes = await Promise.allSettled([
      pod('a', ['netns add', 'link add']),
      pod('b', ['netns add', 'link FAIL']),
      pod('c', ['netns add', 'link add'], ['FAIL inside']),
      pod('d', ['netns add', 'link add']),
    ]);
    assert.deepEqual(
      outcomes.map((o) => (o.status === 'fulfilled' ? 'ok' : (o.reason as Error).message)),
      [
        'ok',
        'ip (creating the namespace and veth): Error: link FAIL b refused',
        'step 0 of c: Error: FAIL inside refused\nCommand failed -:1',
        'ok',
      ],
    );
    const runs = (await readFile(join(dir, 'runs'), 'utf8')).trim().split('\n').sort();
    // a waits alone (the queue was idle); b, c and d came meanwhile: one run for the three.
    assert.deepEqual(runs, [
      '-force -batch -',
      '-force -batch -',
      '-n a -batch -',
      '-n c -batch -',
      '-n d -batch -',
    ]);
  });
});
