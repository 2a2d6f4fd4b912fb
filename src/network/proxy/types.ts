// The contract between the service proxy's controller and its data planes, in the shape
// of kube-proxy: the controller turns Services and EndpointSlices into a routing table,
// and a data plane (kernel rules, user-space sockets, or a fake for tests) makes the node
// route by it. The table is complete every time: a data plane diffs against what it
// applied last, the controller never sends deltas.

export type ServiceProtocol = 'TCP' | 'UDP' | 'SCTP';

/** One address behind a service port, after the EndpointSlice conditions are read. */
export interface ProxyEndpoint {
  ip: string;
  port: number;
  /** The node the endpoint runs on, when the slice says. */
  nodeName?: string;
  /** True when the endpoint runs on this node (for the `Local` traffic policies). */
  isLocal: boolean;
}

/**
 * One port of one Service (kube-proxy's ServicePortName), with the endpoints that new
 * connections may go to: the ready ones, or when none is ready, the serving endpoints
 * that are terminating (kube-proxy's terminating fallback). An empty list means the
 * service port rejects connections.
 */
export interface ServicePortRule {
  /** `namespace/name:portName` (`namespace/name` when the port has no name). */
  id: string;
  namespace: string;
  name: string;
  portName: string;
  protocol: ServiceProtocol;
  /** `spec.clusterIPs`; never empty (headless and ExternalName services are not proxied). */
  clusterIPs: string[];
  port: number;
  /** 0 when the service has no node port. */
  nodePort: number;
  externalIPs: string[];
  /** `status.loadBalancer.ingress[].ip`. */
  loadBalancerIPs: string[];
  /** `sessionAffinity: ClientIP`, with its timeout; null for no affinity. */
  sessionAffinity: { timeoutSeconds: number } | null;
  /** `externalTrafficPolicy: Local` — node ports and LB IPs only reach endpoints on this node. */
  externalLocalOnly: boolean;
  /** `internalTrafficPolicy: Local` — the cluster IP only reaches endpoints on this node. */
  internalLocalOnly: boolean;
  endpoints: ProxyEndpoint[];
}

export interface ProxyTable {
  /** Sorted by id, so two tables from the same state compare equal. */
  services: ServicePortRule[];
}

export type DataPlaneMode = 'kernel' | 'userspace' | 'fake';

export interface DataPlane {
  readonly mode: DataPlaneMode;
  /** Makes the node route by `table`; resolves once the routing is in place. */
  apply(table: ProxyTable): Promise<void>;
  /**
   * What another program changed of what the last apply installed (a flushed chain, a
   * deleted jump), one phrase each; empty when all is in place. The proxy asks every
   * resync interval and applies the table again when anything is reported. Optional:
   * a plane whose state only this process holds (sockets) has nothing to check.
   */
  verify?(): Promise<string[]>;
  /** Removes every rule, address and listener this data plane created. */
  close(): Promise<void>;
}
