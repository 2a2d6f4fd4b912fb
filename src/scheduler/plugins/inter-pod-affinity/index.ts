export {
  NAME,
  ERR_REASON_AFFINITY,
  ERR_REASON_ANTI_AFFINITY,
  ERR_REASON_EXISTING_ANTI_AFFINITY,
  InterPodAffinity,
} from './inter-pod-affinity.ts';
export { HARD_POD_AFFINITY_WEIGHT } from './scoring.ts';
