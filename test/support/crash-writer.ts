// Child process of the store crash test: writes keys as fast as it can and prints one
// line per acknowledged write ("ack <key> <revision>"), until it is killed.
import { openStore } from '../../src/store/index.ts';

const url = process.argv[2];
if (!url) throw new Error('usage: crash-writer STORE_URL');
const store = await openStore(url);
const out = (line: string) => process.stdout.write(line + '\n');

await store.create('/crash/counter', Buffer.from('0'));
out('ready');

async function creator(worker: number): Promise<void> {
  for (let i = 0; ; i++) {
    const key = `/crash/keys/${worker}-${i}`;
    const rev = await store.create(
      key,
      Buffer.from(JSON.stringify({ worker, i, pad: 'x'.repeat(200) })),
    );
    out(`ack ${key} ${rev}`);
  }
}

async function counter(): Promise<void> {
  let kv = (await store.get('/crash/counter'))!;
  for (let n = 1; ; n++) {
    kv = await store.update('/crash/counter', Buffer.from(String(n)), kv.modRevision);
    out(`count ${n} ${kv.modRevision}`);
  }
}

await Promise.all([...Array.from({ length: 31 }, (_, w) => creator(w)), counter()]);
