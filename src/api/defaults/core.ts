// core/v1 defaults other than pods (pkg/apis/core/v1/defaults.go and the registry
// strategies' create-time normalisations).

import { defaultPodTemplateSpec, defaultPVCSpec } from './pod.ts';
import {
  child,
  defaultResourceList,
  each,
  isAbsent,
  isObj,
  maybe,
  setDefault,
  setDefaultIfEmpty,
  type Obj,
} from './util.ts';

/** SetDefaults_Service, plus the strategy's clusterIP/clusterIPs normalisation. */
export function defaultService(svc: Obj): void {
  const spec = child(svc, 'spec');
  setDefaultIfEmpty(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const ip = maybe(maybe(spec, 'sessionAffinityConfig'), 'clientIP');
    if (!ip || isAbsent(ip.timeoutSeconds))
      spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  setDefaultIfEmpty(spec, 'type', 'ClusterIP');
  each(spec.ports, (p) => {
    setDefaultIfEmpty(p, 'protocol', 'TCP');
    if (isAbsent(p.targetPort) || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  });
  const type = spec.type;
  const external =
    type === 'LoadBalancer' ||
    type === 'NodePort' ||
    (type === 'ClusterIP' && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0);
  if (external) setDefaultIfEmpty(spec, 'externalTrafficPolicy', 'Cluster');
  if (type === 'NodePort' || type === 'LoadBalancer' || type === 'ClusterIP')
    setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  if (type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);
  if (type !== 'ExternalName') {
    const ips = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [];
    if (typeof spec.clusterIP === 'string' && spec.clusterIP !== '' && ips.length === 0)
      spec.clusterIPs = [spec.clusterIP];
    if ((isAbsent(spec.clusterIP) || spec.clusterIP === '') && typeof ips[0] === 'string')
      spec.clusterIP = ips[0];
  }
  if (type === 'LoadBalancer') {
    each(maybe(maybe(svc, 'status'), 'loadBalancer')?.ingress, (ing) => {
      if (typeof ing.ip === 'string' && ing.ip !== '') setDefault(ing, 'ipMode', 'VIP');
    });
  }
}

/** SetDefaults_Namespace, the strategy's `kubernetes` finalizer and SetDefaults_NamespaceStatus. */
export function defaultNamespace(ns: Obj): void {
  const meta = child(ns, 'metadata');
  if (typeof meta.name === 'string' && meta.name !== '')
    child(meta, 'labels')['kubernetes.io/metadata.name'] = meta.name;
  setDefault(child(ns, 'spec'), 'finalizers', ['kubernetes']);
  setDefaultIfEmpty(child(ns, 'status'), 'phase', 'Active');
}

/** SetDefaults_Secret; stringData is merged into data as the v1 conversion does. */
export function defaultSecret(secret: Obj): void {
  setDefaultIfEmpty(secret, 'type', 'Opaque');
  const stringData = maybe(secret, 'stringData');
  if (stringData) {
    const data = child(secret, 'data');
    for (const k of Object.keys(stringData))
      data[k] = Buffer.from(String(stringData[k] ?? '')).toString('base64');
    delete secret.stringData;
  }
}

export function defaultEndpoints(ep: Obj): void {
  each(ep.subsets, (ss) => each(ss.ports, (p) => setDefaultIfEmpty(p, 'protocol', 'TCP')));
}

export function defaultPersistentVolume(pv: Obj): void {
  setDefaultIfEmpty(child(pv, 'status'), 'phase', 'Pending');
  const spec = child(pv, 'spec');
  setDefaultIfEmpty(spec, 'persistentVolumeReclaimPolicy', 'Retain');
  setDefault(spec, 'volumeMode', 'Filesystem');
  defaultResourceList(spec.capacity);
  const hostPath = maybe(spec, 'hostPath');
  if (hostPath) setDefault(hostPath, 'type', '');
}

export function defaultPersistentVolumeClaim(pvc: Obj): void {
  setDefaultIfEmpty(child(pvc, 'status'), 'phase', 'Pending');
  defaultPVCSpec(child(pvc, 'spec'));
  const status = maybe(pvc, 'status');
  defaultResourceList(status?.capacity);
  defaultResourceList(status?.allocatedResources);
}

/** SetDefaults_NodeStatus: allocatable defaults to capacity. */
export function defaultNode(node: Obj): void {
  const status = maybe(node, 'status');
  if (!status) return;
  defaultResourceList(status.capacity);
  if (isAbsent(status.allocatable) && isObj(status.capacity))
    status.allocatable = { ...status.capacity };
  defaultResourceList(status.allocatable);
}

/** SetDefaults_LimitRangeItem: container defaults come from max, then default, then min. */
export function defaultLimitRange(lr: Obj): void {
  each(maybe(lr, 'spec')?.limits, (item) => {
    for (const k of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'])
      defaultResourceList(item[k]);
    if (item.type !== 'Container') return;
    const def = child(item, 'default');
    const defReq = child(item, 'defaultRequest');
    for (const [k, v] of Object.entries(maybe(item, 'max') ?? {})) if (!(k in def)) def[k] = v;
    for (const [k, v] of Object.entries(def)) if (!(k in defReq)) defReq[k] = v;
    for (const [k, v] of Object.entries(maybe(item, 'min') ?? {}))
      if (!(k in defReq)) defReq[k] = v;
  });
}

export function defaultResourceQuota(rq: Obj): void {
  defaultResourceList(maybe(rq, 'spec')?.hard);
  const status = maybe(rq, 'status');
  defaultResourceList(status?.hard);
  defaultResourceList(status?.used);
}

/** SetDefaults_ReplicationController: selector and labels from the template's labels. */
export function defaultReplicationController(rc: Obj): void {
  const spec = child(rc, 'spec');
  const template = maybe(spec, 'template');
  const labels = maybe(maybe(template, 'metadata'), 'labels');
  if (labels) {
    if (!isObj(spec.selector) || Object.keys(spec.selector).length === 0)
      spec.selector = { ...labels };
    const meta = child(rc, 'metadata');
    if (!isObj(meta.labels) || Object.keys(meta.labels).length === 0) meta.labels = { ...labels };
  }
  setDefault(spec, 'replicas', 1);
  if (template) defaultPodTemplateSpec(template);
}

export function defaultPodTemplate(pt: Obj): void {
  defaultPodTemplateSpec(child(pt, 'template'));
}
