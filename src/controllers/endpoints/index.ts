export {
  ANNOTATION_OVER_CAPACITY,
  EndpointsController,
  type EndpointsCaches,
  type EndpointsClient,
  type EndpointsControllerOptions,
  type EventSink,
} from './controller.ts';
export {
  BY_NAMESPACE,
  compare,
  ensureNamespaceIndex,
  podServiceMemberships,
  selectedPods,
  serviceSelector,
  servicesToUpdateOnPodChange,
} from './membership.ts';
export {
  findPort,
  isIPv6,
  isPodReady,
  isServiceIPSet,
  podIPs,
  podReference,
  shouldPodBeInEndpoints,
  shouldSetHostname,
} from './pods.ts';
export { canonical, rfc3339Nano, semanticEqual } from './semantic.ts';
export { StaleRetry } from './stale-retry.ts';
export { MAX_ENDPOINTS_ADDRESSES, type EndpointSubset } from './subsets.ts';
export { TriggerTimeTracker } from './trigger-time.ts';
export {
  ANNOTATION_TRIGGER_TIME,
  LABEL_HEADLESS,
  PODS,
  SERVICES,
  podSpec,
  serviceSpec,
  type PodReference,
  type ServicePort,
} from './types.ts';
