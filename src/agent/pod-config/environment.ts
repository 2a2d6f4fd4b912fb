import type { KubeObject } from '../../api/index.ts';
import {
  containerResourceValue,
  convertFieldLabel,
  extractFieldPath,
  findContainer,
  withDefaultLimits,
} from './downward.ts';
import { expand, mappingFor } from './expansion.ts';
import { serviceEnv } from './service-env.ts';
import { ConfigError } from './types.ts';
import type {
  ConfigSources,
  Container,
  EnvVar,
  ObjectFieldSelector,
  Pod,
  ResourceFieldSelector,
} from './types.ts';

// A container's environment, as the kubelet's makeEnvironmentVariables builds it:
//
//   1. service variables (see service-env.ts);
//   2. envFrom, in order: every key of each ConfigMap/Secret, with its prefix;
//   3. env, in order: `value` expanded against everything so far (2 and 3 first, then 1),
//      or the value of `valueFrom`.
//
// Later entries replace earlier ones of the same name, and a replaced variable moves to
// its new place, so the result reads services, then envFrom, then env. Keys are not
// filtered by name: since Kubernetes 1.30 (RelaxedEnvironmentVariableValidation) the
// kubelet passes every envFrom key through, where it used to skip invalid ones.

export interface ResolvedEnvironment {
  env: EnvVar[];
}

function data(obj: KubeObject): Record<string, string> {
  return (obj.data ?? {}) as Record<string, string>;
}

/** A Secret's data is base64 in JSON; the kubelet hands the bytes over as a string. */
function secretValue(b64: string): string {
  return Buffer.from(b64, 'base64').toString('utf8');
}

/** The ConfigMaps and Secrets of one resolution, each looked up once (as the kubelet). */
class ObjectCache {
  #configMaps = new Map<string, KubeObject | undefined>();
  #secrets = new Map<string, KubeObject | undefined>();
  #sources: ConfigSources;
  #namespace: string;
  constructor(sources: ConfigSources, namespace: string) {
    this.#sources = sources;
    this.#namespace = namespace;
  }

  configMap(name: string): KubeObject | undefined {
    if (!this.#configMaps.has(name)) {
      this.#configMaps.set(name, this.#sources.configMap(this.#namespace, name));
    }
    return this.#configMaps.get(name);
  }

  secret(name: string): KubeObject | undefined {
    if (!this.#secrets.has(name)) {
      this.#secrets.set(name, this.#sources.secret(this.#namespace, name));
    }
    return this.#secrets.get(name);
  }
}

function fieldValue(fs: ObjectFieldSelector, pod: Pod, sources: ConfigSources): string {
  const path = convertFieldLabel(fs.apiVersion, fs.fieldPath);
  const podIPs = sources.podIPs;
  const hostIPs = sources.hostIPs?.length ? sources.hostIPs : [sources.hostIP];
  switch (path) {
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? sources.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return hostIPs[0];
    case 'status.hostIPs':
      return hostIPs.join(',');
    case 'status.podIP':
      return podIPs[0] ?? '';
    case 'status.podIPs':
      return podIPs.join(',');
  }
  return extractFieldPath(pod, path);
}

/**
 * containerResourceRuntimeValue after defaultPodLimitsForDownwardAPI: the limits of this
 * container and of the pod's regular containers default to node allocatable (init
 * containers named by `containerName` keep theirs, as in the kubelet).
 */
function resourceValue(
  fs: ResourceFieldSelector,
  pod: Pod,
  container: Container,
  sources: ConfigSources,
): string {
  const allocatable = sources.nodeAllocatable;
  if (!fs.containerName)
    return containerResourceValue(fs, withDefaultLimits(container, allocatable));
  const regular = pod.spec?.containers?.find((c) => c.name === fs.containerName);
  const target = regular
    ? withDefaultLimits(regular, allocatable)
    : findContainer(pod, fs.containerName);
  return containerResourceValue(fs, target);
}

/**
 * The environment of `container` in `pod`. Throws `ConfigError` with the kubelet's
 * message when a required ConfigMap, Secret or key is missing, or a field cannot be read.
 */
export function resolveEnvironment(
  pod: Pod,
  container: Container,
  sources: ConfigSources,
): ResolvedEnvironment {
  const namespace = pod.metadata?.namespace ?? '';
  const services = serviceEnv(namespace, pod.spec?.enableServiceLinks !== false, sources);
  const objects = new ObjectCache(sources, namespace);
  const declared = new Map<string, string>();
  const set = (name: string, value: string) => {
    declared.delete(name);
    declared.set(name, value);
  };

  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) {
      const name = from.configMapRef.name ?? '';
      const cm = objects.configMap(name);
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw new ConfigError(`configmap "${name}" not found`);
      }
      for (const [k, v] of Object.entries(data(cm))) set(prefix + k, v);
    } else if (from.secretRef) {
      const name = from.secretRef.name ?? '';
      const secret = objects.secret(name);
      if (!secret) {
        if (from.secretRef.optional) continue;
        throw new ConfigError(`secret "${name}" not found`);
      }
      for (const [k, v] of Object.entries(data(secret))) set(prefix + k, secretValue(v));
    }
  }

  const mapping = mappingFor(declared, services);
  for (const envVar of container.env ?? []) {
    let value = envVar.value ?? '';
    const from = envVar.valueFrom;
    if (value !== '') {
      value = expand(value, mapping);
    } else if (from?.fieldRef) {
      value = fieldValue(from.fieldRef, pod, sources);
    } else if (from?.resourceFieldRef) {
      value = resourceValue(from.resourceFieldRef, pod, container, sources);
    } else if (from?.configMapKeyRef) {
      const { name = '', key, optional } = from.configMapKeyRef;
      const cm = objects.configMap(name);
      if (!cm) {
        if (optional) continue;
        throw new ConfigError(`configmap "${name}" not found`);
      }
      const found = data(cm)[key];
      if (found === undefined) {
        if (optional) continue;
        throw new ConfigError(`couldn't find key ${key} in ConfigMap ${namespace}/${name}`);
      }
      value = found;
    } else if (from?.secretKeyRef) {
      const { name = '', key, optional } = from.secretKeyRef;
      const secret = objects.secret(name);
      if (!secret) {
        if (optional) continue;
        throw new ConfigError(`secret "${name}" not found`);
      }
      const found = data(secret)[key];
      if (found === undefined) {
        if (optional) continue;
        throw new ConfigError(`couldn't find key ${key} in Secret ${namespace}/${name}`);
      }
      value = secretValue(found);
    }
    set(envVar.name, value);
  }

  const env: EnvVar[] = [];
  for (const [name, value] of services) if (!declared.has(name)) env.push({ name, value });
  for (const [name, value] of declared) env.push({ name, value });
  return { env };
}
