export {
  NAME,
  ERR_REASON_CONSTRAINTS_NOT_MATCH,
  ERR_REASON_NODE_LABEL_NOT_MATCH,
  PodTopologySpread,
} from './pod-topology-spread.ts';
export { LABEL_HOSTNAME, LABEL_ZONE, SYSTEM_DEFAULT_CONSTRAINTS } from './common.ts';
