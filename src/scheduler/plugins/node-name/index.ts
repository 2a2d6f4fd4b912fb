export { NAME, ERR_REASON, NodeName } from './node-name.ts';
