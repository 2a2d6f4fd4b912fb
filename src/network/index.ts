// The node's service networking: service proxy and cluster DNS.
export {
  startNodeNetwork,
  type NodeNetwork,
  type NodeNetworkOptions,
  type ProxyModeChoice,
} from './node-network.ts';
