import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openStore, type Backend } from '../src/store/index.ts';
import { startEtcd } from './support/etcd-server.ts';
import { missingCommand } from './support/requirements.ts';

// Kill -9 a process in the middle of writing; every write it acknowledged must be there
// when the store is opened again, and the store must be consistent.

interface Acks {
  keys: Map<string, number>;
  counter: number;
  maxRevision: number;
}

const MIN_ACKS = 100;

async function writeUntilKilled(url: string): Promise<Acks> {
  const writer = spawn(
    process.execPath,
    ['--import', 'tsx', path.resolve('test/support/crash-writer.ts'), url],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const acks: Acks = { keys: new Map(), counter: 0, maxRevision: 0 };
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    writer.on('exit', (_code, signal) => resolve(signal)),
  );
  let killTimer: NodeJS.Timeout | undefined;
  // A writer that never gets going is stopped too, and the count check says why.
  const giveUp = setTimeout(() => writer.kill('SIGKILL'), 60_000);
  for await (const line of readline.createInterface({ input: writer.stdout })) {
    const [kind, what, rev] = line.split(' ');
    if (kind === 'ack') {
      acks.keys.set(what!, Number(rev));
      // Killed at a random moment once it is well under way, however slow a loaded
      // machine makes its start.
      if (acks.keys.size === MIN_ACKS + 1 && !killTimer) {
        killTimer = setTimeout(() => writer.kill('SIGKILL'), Math.random() * 1200);
      }
    } else if (kind === 'count') {
      acks.counter = Number(what);
    }
    if (rev) acks.maxRevision = Math.max(acks.maxRevision, Number(rev));
  }
  clearTimeout(killTimer);
  clearTimeout(giveUp);
  assert.equal(await exited, 'SIGKILL', 'the writer must die by SIGKILL, not on its own');
  return acks;
}

async function checkEverythingAcknowledged(store: Backend, acks: Acks): Promise<void> {
  assert.ok(acks.keys.size > MIN_ACKS, `the writer acknowledged only ${acks.keys.size} keys`);
  assert.ok((await store.currentRevision()) >= acks.maxRevision);
  const listed = await store.list('/crash/keys/');
  const present = new Set(listed.kvs.map((kv) => kv.key));
  for (const [key, rev] of acks.keys) {
    assert.ok(present.has(key), `acknowledged key ${key} (revision ${rev}) is missing`);
  }
  for (const kv of listed.kvs) {
    const doc = JSON.parse(kv.value.toString()) as { worker: number; i: number };
    assert.equal(kv.key, `/crash/keys/${doc.worker}-${doc.i}`);
  }
  const counter = Number((await store.get('/crash/counter'))!.value.toString());
  assert.ok(counter >= acks.counter, `counter ${counter} < acknowledged ${acks.counter}`);

  // The history agrees with the current state: replaying every event rebuilds it.
  const rebuilt = new Set<string>();
  const until = listed.revision;
  const controller = new AbortController();
  for await (const batch of store.watch('/crash/keys/', 0, { signal: controller.signal })) {
    for (const ev of batch) {
      if (ev.type === 'create') rebuilt.add(ev.kv.key);
      if (ev.type === 'delete') rebuilt.delete(ev.kv.key);
    }
    if (batch[batch.length - 1]!.kv.modRevision >= until || rebuilt.size === present.size) break;
  }
  assert.deepEqual([...rebuilt].sort(), [...present].sort());
}

describe('store survives kill -9 of its writer', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-crash-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('sqlite: every acknowledged write is there after reopening', async () => {
    const file = path.join(dir, 'crash.db');
    const acks = await writeUntilKilled(`sqlite://${file}`);
    const raw = new Database(file);
    assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
    raw.close();
    const store = await openStore(`sqlite://${file}`);
    try {
      await checkEverythingAcknowledged(store, acks);
    } finally {
      await store.close();
    }
  });

  const skipEtcd = missingCommand('etcd', 'apt-get install -y etcd-server etcd-client');
  it('etcd: every acknowledged write is there after reconnecting', { skip: skipEtcd }, async () => {
    const etcd = await startEtcd();
    try {
      const acks = await writeUntilKilled(etcd.url);
      const store = await openStore(etcd.url);
      try {
        await checkEverythingAcknowledged(store, acks);
      } finally {
        await store.close();
      }
    } finally {
      await etcd.stop();
    }
  });
});
