export { JobController, type JobCaches, type JobControllerOptions } from './controller.ts';
export {
  TtlAfterFinishedController,
  type TtlCaches,
  type TtlControllerOptions,
} from './ttl-after-finished.ts';
export type { JobClient, Recorder } from './context.ts';
