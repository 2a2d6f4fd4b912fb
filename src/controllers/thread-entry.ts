// Entry of the controller manager thread's own bundle (dist/controllers-thread.mjs): only
// the client and the controllers, so the thread does not carry the API server's code.
import { controllersThreadMain } from './thread.ts';

await controllersThreadMain();
