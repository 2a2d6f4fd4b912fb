import type { KubeObject, OwnerReference } from '../../api/index.ts';
import {
  compileNodeSelectorTerm,
  hasLabel,
  termMatches,
  tolerationsTolerateTaint,
  type NodeAffinity,
  type NodeSelectorTerm,
  type Taint,
  type Toleration,
} from '../../api/scheduling/index.ts';
import {
  REVISION_HASH_LABEL,
  specOf,
  TEMPLATE_GENERATION_LABEL,
  type PodTemplate,
} from './types.ts';

// Which nodes a DaemonSet's pods belong on, and the pods it makes for them
// (daemon_controller.go NodeShouldRunDaemonPod and NewPod; util/daemonset_util.go).
// Since Kubernetes 1.12 the controller does not bind pods itself: each pod carries a
// required node affinity for its one node and the default scheduler binds it.

/** The tolerations every daemon pod gets (util.AddOrUpdateDaemonPodTolerations). */
const DAEMON_TOLERATIONS: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];
const HOST_NETWORK_TOLERATION: Toleration = {
  key: 'node.kubernetes.io/network-unavailable',
  operator: 'Exists',
  effect: 'NoSchedule',
};

/** A pod's affinity: the node part is read and rewritten, the pod (anti-)affinity kept. */
interface Affinity {
  nodeAffinity?: NodeAffinity;
  [other: string]: unknown;
}

interface DaemonPodSpec {
  nodeName?: string;
  hostNetwork?: boolean;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  affinity?: Affinity;
}

/**
 * v1helper.AddOrUpdateTolerationInPodSpec for each daemon toleration: one with the same
 * key, operator, value and effect is replaced in place, otherwise it is appended.
 */
export function withDaemonTolerations(tolerations: Toleration[] = [], hostNetwork = false) {
  const out = [...tolerations];
  const wanted = hostNetwork
    ? [...DAEMON_TOLERATIONS, HOST_NETWORK_TOLERATION]
    : DAEMON_TOLERATIONS;
  for (const t of wanted) {
    const same = (o: Toleration) =>
      (o.key ?? '') === t.key &&
      (o.operator ?? '') === t.operator &&
      (o.value ?? '') === '' &&
      (o.effect ?? '') === t.effect;
    const at = out.findIndex(same);
    if (at < 0) out.push({ ...t });
    else out[at] = { ...t };
  }
  return out;
}

export interface NodePlacement {
  /** The node should run a daemon pod, if it has none. */
  shouldRun: boolean;
  /** A daemon pod already on the node may stay. */
  shouldContinueRunning: boolean;
}

/**
 * NodeShouldRunDaemonPod: the template's nodeName, nodeSelector and required node affinity
 * must admit the node, else neither; then an untolerated NoSchedule or NoExecute taint
 * stops new pods, and only an untolerated NoExecute one evicts running pods.
 */
export function nodeShouldRunDaemonPod(node: KubeObject, ds: KubeObject): NodePlacement {
  const spec = (specOf(ds).template.spec ?? {}) as DaemonPodSpec;
  const name = node.metadata?.name ?? '';
  const none = { shouldRun: false, shouldContinueRunning: false };
  if (spec.nodeName && spec.nodeName !== name) return none;
  if (!matchesRequiredAffinity(spec, node)) return none;
  const tolerations = withDaemonTolerations(spec.tolerations, spec.hostNetwork === true);
  const taints = ((node.spec as { taints?: Taint[] } | undefined)?.taints ?? []).filter(
    (t) => !tolerationsTolerateTaint(tolerations, t),
  );
  const noExecute = taints.some((t) => t.effect === 'NoExecute');
  const noSchedule = noExecute || taints.some((t) => t.effect === 'NoSchedule');
  return { shouldRun: !noSchedule, shouldContinueRunning: !noExecute };
}

/** nodeaffinity.GetRequiredNodeAffinity(pod).Match(node): nodeSelector AND any term. */
function matchesRequiredAffinity(spec: DaemonPodSpec, node: KubeObject): boolean {
  const labels = node.metadata?.labels ?? {};
  const name = node.metadata?.name ?? '';
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) {
    if (!hasLabel(labels, k) || labels[k] !== v) return false;
  }
  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return (required.nodeSelectorTerms ?? []).some((term) => {
    const compiled = compileNodeSelectorTerm(term);
    return !!compiled && termMatches(compiled, labels, name);
  });
}

/**
 * util.CreatePodTemplate: a copy of the template with the daemon tolerations, the
 * revision hash label and, when the DaemonSet has the deprecated annotation, its
 * template generation label.
 */
export function daemonPodTemplate(
  template: PodTemplate,
  hash: string,
  generation: string | undefined,
): PodTemplate {
  const copy = structuredClone(template);
  const spec = (copy.spec ??= {}) as DaemonPodSpec;
  spec.tolerations = withDaemonTolerations(spec.tolerations, spec.hostNetwork === true);
  const meta = (copy.metadata ??= {});
  const labels = (meta.labels ??= {});
  if (generation !== undefined) labels[TEMPLATE_GENERATION_LABEL] = generation;
  if (hash) labels[REVISION_HASH_LABEL] = hash;
  return copy;
}

/**
 * util.ReplaceDaemonSetPodNodeNameNodeAffinity: the required node affinity becomes the
 * single term `metadata.name In [nodeName]`; preferred terms and pod (anti-)affinity stay.
 */
export function replaceNodeNameAffinity(affinity: Affinity | undefined, nodeName: string) {
  const term: NodeSelectorTerm = {
    matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }],
  };
  const out: Affinity = structuredClone(affinity ?? {});
  out.nodeAffinity ??= {};
  out.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = {
    ...out.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution,
    nodeSelectorTerms: [term],
  };
  return out;
}

/**
 * util.GetTargetNodeName: spec.nodeName, or for a pod not yet bound the node its
 * `metadata.name In [x]` field term names; undefined if neither says.
 */
export function targetNodeName(pod: KubeObject): string | undefined {
  const spec = (pod.spec ?? {}) as DaemonPodSpec;
  if (spec.nodeName) return spec.nodeName;
  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  for (const term of required?.nodeSelectorTerms ?? []) {
    for (const f of term.matchFields ?? []) {
      if (f.key !== 'metadata.name' || f.operator !== 'In') continue;
      return f.values?.length === 1 ? f.values[0] : undefined;
    }
  }
  return undefined;
}

/**
 * The pod for `nodeName` (GetPodFromTemplate, then the node affinity): `generateName:
 * <ds>-`, the template's labels, annotations and finalizers, and the controller reference.
 */
export function daemonPod(
  dsName: string,
  template: PodTemplate,
  nodeName: string,
  ref: OwnerReference,
): KubeObject {
  const meta = template.metadata ?? {};
  const metadata: Record<string, unknown> = { generateName: `${dsName}-` };
  if (meta.labels && Object.keys(meta.labels).length > 0) metadata.labels = { ...meta.labels };
  if (meta.annotations && Object.keys(meta.annotations).length > 0) {
    metadata.annotations = { ...meta.annotations };
  }
  if (meta.finalizers && meta.finalizers.length > 0) metadata.finalizers = [...meta.finalizers];
  metadata.ownerReferences = [{ ...ref }];
  const spec = structuredClone(template.spec ?? {}) as DaemonPodSpec;
  spec.affinity = replaceNodeNameAffinity(spec.affinity, nodeName);
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec };
}
