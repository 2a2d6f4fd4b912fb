export {
  NAME,
  ERR_REASON_POD,
  ERR_REASON_CONFLICT,
  ERR_REASON_NOT_NAMED,
  NodeAffinity,
  requiredNodeNames,
} from './node-affinity.ts';
