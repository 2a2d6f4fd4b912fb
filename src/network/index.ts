// The node's service networking: service proxy and cluster DNS, and the service range a
// node without root can serve.
export {
  startNodeNetwork,
  type NodeNetwork,
  type NodeNetworkOptions,
  type ProxyModeChoice,
} from './node-network.ts';
export { defaultServiceCIDR, LOOPBACK_SERVICE_CIDR } from './service-cidr.ts';
export { bridgeAddressPinArgs } from './bridge-address.ts';
export { parseResolvConf, readResolvConf, type ResolvConf } from './dns/index.ts';
