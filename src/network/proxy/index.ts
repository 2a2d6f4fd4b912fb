// The service proxy: Services and EndpointSlices to a routing table (computeProxyTable),
// a controller that keeps a data plane applying it (ServiceProxy), and the data planes.
export type {
  DataPlane,
  DataPlaneMode,
  ProxyEndpoint,
  ProxyTable,
  ServicePortRule,
  ServiceProtocol,
} from './types.ts';
export { computeProxyTable, type Service, type EndpointSlice } from './table.ts';
export {
  ServiceProxy,
  SERVICES,
  ENDPOINT_SLICES,
  type ServiceProxyOptions,
  type SyncInfo,
  type InformerSource,
  type ObjectSource,
} from './proxier.ts';
export { FakeDataPlane } from './fake-data-plane.ts';
export {
  newIptablesDataPlane,
  IptablesDataPlane,
  type IptablesDataPlaneOptions,
} from './iptables/index.ts';
