// Entry of the scheduler thread's own bundle (dist/scheduler-thread.mjs): only the client
// and the scheduler, so the thread does not carry the API server's code.
import { schedulerThreadMain } from './thread.ts';

await schedulerThreadMain();
