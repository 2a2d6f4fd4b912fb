// Entry of a worker thread when running from the TypeScript sources: registers tsx in the
// thread, then loads the module named in workerData.entry (which starts the thread's work).
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
