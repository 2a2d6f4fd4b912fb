import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { ContainerStatus, LogLine, RuntimeDriver } from '../runtime/types.ts';
import { terminatedMessage, TerminationMessages } from './termination-message.ts';

describe('termination messages', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'wharf-termination-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const messages = new TerminationMessages(root);
  const exited = (over: Partial<ContainerStatus> = {}): ContainerStatus => ({
    id: 'c1',
    sandboxId: 's1',
    podUid: 'uid-1',
    podName: 'web',
    namespace: 'default',
    name: 'main',
    attempt: 2,
    hash: 'h',
    image: 'busybox',
    imageRef: 'sha256:1',
    state: 'exited',
    createdAt: new Date(0),
    exitCode: 1,
    ...over,
  });
  const logLines = (lines: string[]) =>
    ({
      logs: async function* (_id: string, o: { tail?: number }): AsyncIterable<LogLine> {
        for (const l of lines.slice(-(o.tail ?? lines.length)))
          yield { time: new Date(0), stream: 'stdout', data: Buffer.from(`${l}\n`) };
      },
    }) as unknown as RuntimeDriver;
  const noLogs = logLines([]);
  const spec = {
    name: 'main',
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
  };

  it('gives each start an empty file anyone may write, found again by attempt', () => {
    const file = messages.prepare('uid-1', 'main', 2);
    assert.equal(file, path.join(root, 'uid-1', 'containers', 'main', '2'));
    assert.equal(statSync(file).mode & 0o777, 0o666);
    assert.equal(statSync(file).size, 0);
    writeFileSync(file, 'disk full');
    assert.equal(messages.read('uid-1', 'main', 2), 'disk full');
    assert.equal(messages.read('uid-1', 'main', 3), undefined);
  });

  it('keeps the last 4096 bytes, after the runtime message', async () => {
    const file = messages.prepare('uid-1', 'main', 2);
    writeFileSync(file, `${'x'.repeat(5000)}END`);
    const text = await terminatedMessage(messages, noLogs, exited({ message: 'OOM' }), spec);
    assert.equal(text?.length, 'OOM: '.length + 4096);
    assert.ok(text?.startsWith('OOM: xxx') && text.endsWith('END'));
  });

  it('falls back to the end of the log for a failed container, with FallbackToLogsOnError', async () => {
    messages.prepare('uid-1', 'main', 2);
    const fallback = { ...spec, terminationMessagePolicy: 'FallbackToLogsOnError' };
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i}`);
    const text = await terminatedMessage(messages, logLines(lines), exited(), fallback);
    assert.ok(text?.startsWith('line 20\n') && text.endsWith('line 99\n'), text);
    // Not for a success, nor under the File policy.
    assert.equal(
      await terminatedMessage(messages, logLines(lines), exited({ exitCode: 0 }), fallback),
      undefined,
    );
    assert.equal(await terminatedMessage(messages, logLines(lines), exited(), spec), undefined);
    // At most 2048 bytes of it.
    const long = Array.from({ length: 80 }, () => 'y'.repeat(99));
    const cut = await terminatedMessage(messages, logLines(long), exited(), fallback);
    assert.equal(cut?.length, 2048);
  });
});
