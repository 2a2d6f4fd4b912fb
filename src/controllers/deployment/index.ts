export {
  DeploymentController,
  type DeploymentCaches,
  type DeploymentControllerOptions,
} from './controller.ts';
export type { DeploymentClient, EventSink } from './context.ts';
export { computeHash, equalIgnoreHash } from './hash.ts';
