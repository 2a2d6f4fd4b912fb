export { NAME, ERR_REASON, NodeUnschedulable } from './node-unschedulable.ts';
