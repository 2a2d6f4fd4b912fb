export {
  PodGCController,
  type PodGCCaches,
  type PodGCClient,
  type PodGCOptions,
} from './controller.ts';
