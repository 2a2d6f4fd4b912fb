// What the node agent needs to start a pod's containers, computed as the kubelet does:
// each container's environment (resolveEnvironment) and the host directories of the
// pod's volumes (PodVolumes), kept current while the pod runs (PodVolumes.update).
export { resolveEnvironment, type ResolvedEnvironment } from './environment.ts';
export { PodVolumes, type HostMount, type PodVolumesOptions } from './volumes.ts';
// `expand(arg, mappingFor(new Map(env.map((e) => [e.name, e.value]))))` is the kubelet's
// ExpandContainerCommandAndArgs for one command or args entry.
export { expand, mappingFor, type Mapping } from './expansion.ts';
export { ConfigError, type ConfigSources, type Container, type EnvVar, type Pod } from './types.ts';
