// Pod and PodSpec defaults: SetObjectDefaults_Pod / SetObjectDefaults_PodTemplate of
// pkg/apis/core/v1, plus the v1 PodSpec conversion's serviceAccount alias.

import {
  canonicalizeQuantity,
  child,
  defaultResourceList,
  each,
  isAbsent,
  maybe,
  setDefault,
  setDefaultIfEmpty,
  type Obj,
} from './util.ts';
import { tryParseQuantity } from '../validation/index.ts';

/** parsers.ParseImageName's tag: `latest` without tag or digest; undefined when unparseable. */
export function imageTag(image: string): string | undefined {
  if (image === '') return undefined;
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const digest = at >= 0 ? image.slice(at + 1) : '';
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const tag = colon > slash ? name.slice(colon + 1) : '';
  const parts = (colon > slash ? name.slice(0, colon) : name).split('/');
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0])) parts.shift();
  if (!parts.every((p) => /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/.test(p))) return undefined;
  if (colon > slash && !/^\w[\w.-]{0,127}$/.test(tag)) return undefined;
  if (
    digest !== '' &&
    !/^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/.test(digest)
  ) {
    return undefined;
  }
  if (tag !== '') return tag;
  return digest !== '' ? '' : 'latest';
}

function defaultHTTPGet(h: Obj | undefined): void {
  if (!h) return;
  setDefaultIfEmpty(h, 'path', '/');
  setDefaultIfEmpty(h, 'scheme', 'HTTP');
}

function defaultProbe(p: Obj | undefined): void {
  if (!p) return;
  for (const [k, v] of [
    ['timeoutSeconds', 1],
    ['periodSeconds', 10],
    ['successThreshold', 1],
    ['failureThreshold', 3],
  ] as const) {
    if (isAbsent(p[k]) || p[k] === 0) p[k] = v;
  }
  defaultHTTPGet(maybe(p, 'httpGet'));
  const grpc = maybe(p, 'grpc');
  if (grpc) setDefault(grpc, 'service', '');
}

function defaultFieldRef(ref: Obj | undefined): void {
  if (ref) setDefaultIfEmpty(ref, 'apiVersion', 'v1');
}

/** The imagePullPolicy a container without one gets: Always for `:latest`, else IfNotPresent. */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  return imageTag(image) === 'latest' ? 'Always' : 'IfNotPresent';
}

/** SetDefaults_Container and the defaults of everything a container holds. */
function defaultContainer(c: Obj): void {
  if (isAbsent(c.imagePullPolicy) || c.imagePullPolicy === '') {
    c.imagePullPolicy = defaultPullPolicy(typeof c.image === 'string' ? c.image : '');
  }
  setDefaultIfEmpty(c, 'terminationMessagePath', '/dev/termination-log');
  setDefaultIfEmpty(c, 'terminationMessagePolicy', 'File');
  each(c.ports, (p) => setDefaultIfEmpty(p, 'protocol', 'TCP'));
  each(c.env, (e) => {
    const from = maybe(e, 'valueFrom');
    defaultFieldRef(maybe(from, 'fieldRef'));
    const rf = maybe(from, 'resourceFieldRef');
    if (rf && !isAbsent(rf.divisor)) canonicalizeQuantity(rf, 'divisor');
  });
  const resources = child(c, 'resources');
  defaultResourceList(resources.limits);
  defaultResourceList(resources.requests);
  defaultProbe(maybe(c, 'livenessProbe'));
  defaultProbe(maybe(c, 'readinessProbe'));
  defaultProbe(maybe(c, 'startupProbe'));
  const lc = maybe(c, 'lifecycle');
  defaultHTTPGet(maybe(maybe(lc, 'postStart'), 'httpGet'));
  defaultHTTPGet(maybe(maybe(lc, 'preStop'), 'httpGet'));
}

const VOLUME_SOURCES = [
  'hostPath',
  'emptyDir',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'persistentVolumeClaim',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'downwardAPI',
  'fc',
  'azureFile',
  'configMap',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'projected',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'csi',
  'ephemeral',
  'image',
];

function defaultDownwardItems(src: Obj | undefined): void {
  each(src?.items, (item) => {
    defaultFieldRef(maybe(item, 'fieldRef'));
    const rf = maybe(item, 'resourceFieldRef');
    if (rf && !isAbsent(rf.divisor)) canonicalizeQuantity(rf, 'divisor');
  });
}

/** SetDefaults_Volume and the defaults of each volume source. */
function defaultVolume(v: Obj): void {
  if (VOLUME_SOURCES.every((s) => isAbsent(v[s]))) v.emptyDir = {};
  const emptyDir = maybe(v, 'emptyDir');
  if (emptyDir && !isAbsent(emptyDir.sizeLimit)) canonicalizeQuantity(emptyDir, 'sizeLimit');
  const hostPath = maybe(v, 'hostPath');
  if (hostPath) setDefault(hostPath, 'type', '');
  for (const k of ['secret', 'configMap', 'downwardAPI', 'projected']) {
    const src = maybe(v, k);
    if (src) setDefault(src, 'defaultMode', 420);
  }
  defaultDownwardItems(maybe(v, 'downwardAPI'));
  each(maybe(v, 'projected')?.sources, (s) => {
    defaultDownwardItems(maybe(s, 'downwardAPI'));
    const sat = maybe(s, 'serviceAccountToken');
    if (sat) setDefault(sat, 'expirationSeconds', 3600);
  });
  const iscsi = maybe(v, 'iscsi');
  if (iscsi) setDefaultIfEmpty(iscsi, 'iscsiInterface', 'default');
  const rbd = maybe(v, 'rbd');
  if (rbd) {
    setDefaultIfEmpty(rbd, 'pool', 'rbd');
    setDefaultIfEmpty(rbd, 'user', 'admin');
    setDefaultIfEmpty(rbd, 'keyring', '/etc/ceph/keyring');
  }
  const azureDisk = maybe(v, 'azureDisk');
  if (azureDisk) {
    setDefault(azureDisk, 'cachingMode', 'ReadWrite');
    setDefault(azureDisk, 'fsType', 'ext4');
    setDefault(azureDisk, 'readOnly', false);
    setDefault(azureDisk, 'kind', 'Shared');
  }
  const scaleIO = maybe(v, 'scaleIO');
  if (scaleIO) {
    setDefaultIfEmpty(scaleIO, 'storageMode', 'ThinProvisioned');
    setDefaultIfEmpty(scaleIO, 'fsType', 'xfs');
  }
  const tpl = maybe(maybe(v, 'ephemeral'), 'volumeClaimTemplate');
  if (tpl) defaultPVCSpec(child(tpl, 'spec'));
}

/** SetDefaults_PersistentVolumeClaimSpec (shared with PVCs and StatefulSet claim templates). */
export function defaultPVCSpec(spec: Obj): void {
  setDefault(spec, 'volumeMode', 'Filesystem');
  const resources = maybe(spec, 'resources');
  defaultResourceList(resources?.limits);
  defaultResourceList(resources?.requests);
}

/** SetDefaults_PodSpec and everything nested in a PodSpec (pods and templates alike). */
export function defaultPodSpec(spec: Obj): void {
  setDefaultIfEmpty(spec, 'dnsPolicy', 'ClusterFirst');
  setDefaultIfEmpty(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefaultIfEmpty(spec, 'schedulerName', 'default-scheduler');
  if (
    (isAbsent(spec.serviceAccountName) || spec.serviceAccountName === '') &&
    typeof spec.serviceAccount === 'string'
  ) {
    spec.serviceAccountName = spec.serviceAccount;
  }
  if (typeof spec.serviceAccountName === 'string' && spec.serviceAccountName !== '') {
    spec.serviceAccount = spec.serviceAccountName;
  }
  each(spec.volumes, defaultVolume);
  each(spec.initContainers, defaultContainer);
  each(spec.containers, defaultContainer);
  each(spec.ephemeralContainers, defaultContainer);
  defaultResourceList(spec.overhead);
  const podResources = maybe(spec, 'resources');
  defaultResourceList(podResources?.limits);
  defaultResourceList(podResources?.requests);
}

/** A pod template: its spec, and the `creationTimestamp: null` Kubernetes always prints. */
export function defaultPodTemplateSpec(template: Obj): void {
  setDefault(child(template, 'metadata'), 'creationTimestamp', null);
  defaultPodSpec(child(template, 'spec'));
}

function copyLimitsToRequests(c: Obj): void {
  const resources = child(c, 'resources');
  const limits = maybe(resources, 'limits');
  if (!limits) return;
  const requests = child(resources, 'requests');
  for (const k of Object.keys(limits)) if (!(k in requests)) requests[k] = limits[k];
}

function defaultHostNetworkPorts(containers: unknown): void {
  each(containers, (c) =>
    each(c.ports, (p) => {
      if (isAbsent(p.hostPort) || p.hostPort === 0) p.hostPort = p.containerPort;
    }),
  );
}

/** What admission plugins add to every new pod in a default kube-apiserver. */
function admissionDefaults(spec: Obj): void {
  // ServiceAccount admission: pods run as the namespace's `default` account.
  setDefaultIfEmpty(spec, 'serviceAccountName', 'default');
  spec.serviceAccount = spec.serviceAccountName;
  // Priority admission, with no PriorityClass marked globalDefault.
  const system: Record<string, number> = {
    'system-node-critical': 2000001000,
    'system-cluster-critical': 2000000000,
  };
  const pcn = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
  if (pcn === '') setDefault(spec, 'priority', 0);
  else if (pcn in system) setDefault(spec, 'priority', system[pcn]);
  if (pcn === '' || pcn in system) setDefault(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  // DefaultTolerationSeconds is admission, with configurable seconds: the API server's
  // builtin admission adds those tolerations (src/apiserver/default-toleration-seconds.ts).
}

function sumCpuMem(c: Obj, field: 'requests' | 'limits', into: Map<string, bigint>): Set<string> {
  const found = new Set<string>();
  const list = maybe(maybe(c, 'resources'), field) ?? {};
  for (const k of ['cpu', 'memory']) {
    const q = tryParseQuantity(list[k]);
    if (!q || q.nanos <= 0n) continue;
    found.add(k);
    into.set(k, (into.get(k) ?? 0n) + q.nanos);
  }
  return found;
}

/** qos.ComputePodQOS: BestEffort, Guaranteed (cpu and memory limits equal requests) or Burstable. */
export function podQOSClass(spec: Obj): string {
  const requests = new Map<string, bigint>();
  const limits = new Map<string, bigint>();
  let guaranteed = true;
  const visit = (c: Obj) => {
    sumCpuMem(c, 'requests', requests);
    const found = sumCpuMem(c, 'limits', limits);
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  };
  each(spec.containers, visit);
  each(spec.initContainers, visit);
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [k, v] of requests) if (limits.get(k) !== v) guaranteed = false;
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

/** SetObjectDefaults_Pod, plus the admission and strategy defaults of a created pod. */
export function defaultPod(pod: Obj): void {
  const spec = child(pod, 'spec');
  each(spec.containers, copyLimitsToRequests);
  each(spec.initContainers, copyLimitsToRequests);
  setDefault(spec, 'enableServiceLinks', true);
  if (spec.hostNetwork === true) {
    defaultHostNetworkPorts(spec.containers);
    defaultHostNetworkPorts(spec.initContainers);
  }
  defaultPodSpec(spec);
  admissionDefaults(spec);
  const status = child(pod, 'status');
  setDefault(status, 'phase', 'Pending');
  setDefault(status, 'qosClass', podQOSClass(spec));
}
