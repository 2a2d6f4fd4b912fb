export { NAME, ERR_REASON, POD_NETWORK_LABEL, NodePorts } from './node-ports.ts';
