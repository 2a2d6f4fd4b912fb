import type { KubeObject } from '../../../api/index.ts';
import type { LabelSelectorSpec } from '../../../api/selectors/index.ts';
import type { NodeAffinity, Taint, Toleration } from '../../../api/scheduling/index.ts';
import type { NodeInfo } from '../../framework/index.ts';

export type {
  NodeAffinity,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  Taint,
  Toleration,
} from '../../../api/scheduling/index.ts';
export { hasLabel } from '../../../api/scheduling/index.ts';

// The parts of the Pod and Node APIs the plugins read, typed just enough to read them.
// Objects come from the API as JSON, so every field is optional.

export interface PodAffinityTerm {
  labelSelector?: LabelSelectorSpec | null;
  namespaces?: string[];
  namespaceSelector?: LabelSelectorSpec | null;
  topologyKey: string;
  matchLabelKeys?: string[];
  mismatchLabelKeys?: string[];
}

export interface WeightedPodAffinityTerm {
  weight: number;
  podAffinityTerm: PodAffinityTerm;
}

interface PodAffinityRules {
  requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
  preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTerm[];
}

export interface Affinity {
  nodeAffinity?: NodeAffinity;
  podAffinity?: PodAffinityRules;
  podAntiAffinity?: PodAffinityRules;
}

export interface TopologySpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: string;
  labelSelector?: LabelSelectorSpec | null;
  minDomains?: number;
  nodeAffinityPolicy?: string;
  nodeTaintsPolicy?: string;
  matchLabelKeys?: string[];
}

export interface ContainerPort {
  containerPort: number;
  hostPort?: number;
  hostIP?: string;
  protocol?: string;
}

export interface Container {
  ports?: ContainerPort[];
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  restartPolicy?: string;
}

export interface PodSpec {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  affinity?: Affinity;
  topologySpreadConstraints?: TopologySpreadConstraint[];
  containers?: Container[];
  initContainers?: Container[];
  overhead?: Record<string, unknown>;
}

const NO_LABELS: Record<string, string> = Object.freeze({}) as Record<string, string>;

export function podSpec(pod: KubeObject): PodSpec {
  return (pod.spec ?? {}) as PodSpec;
}

export function podLabels(pod: KubeObject): Record<string, string> {
  return pod.metadata?.labels ?? NO_LABELS;
}

export function podNamespace(pod: KubeObject): string {
  return pod.metadata?.namespace ?? 'default';
}

export function nodeLabels(node: NodeInfo): Record<string, string> {
  return node.node.metadata?.labels ?? NO_LABELS;
}

export function nodeSpec(node: NodeInfo): { taints?: Taint[]; unschedulable?: boolean } {
  return (node.node.spec ?? {}) as { taints?: Taint[]; unschedulable?: boolean };
}

/** Pods being deleted still hold their place but are left out of spreading counts. */
export function isTerminating(pod: KubeObject): boolean {
  return pod.metadata?.deletionTimestamp != null;
}
