import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { KubeObject } from '../../api/index.ts';
import {
  NAMESPACE_INDEX,
  namespaceIndex,
  type ResourceRef,
  type RestClient,
  type StoreReader,
} from '../../client/index.ts';
import type { Pod } from '../k8s-types.ts';
import {
  PodVolumes as VolumeSet,
  resolveEnvironment,
  type ConfigSources,
  type Pod as ConfigPod,
} from '../pod-config/index.ts';
import { containerSecurity } from './container-security.ts';
import { TokenCache } from './token-cache.ts';
import type { PodConfig } from './start-container.ts';
import type { PodVolumes } from './sync-pod.ts';

// The pod-config library fed from the agent's informer caches: ConfigMaps, Secrets and
// Services are read from memory, service-account tokens come from the TokenRequest API
// and are reused until they near their end (token-cache.ts).
// One volume set per pod lives under `<dataDir>/pods/<uid>/volumes`; Localhost seccomp
// profiles are read from `<dataDir>/seccomp`.

export interface PodConfigDeps {
  dataDir: string;
  /** A tmpfs directory for the pods' secret and projected volumes (memory-volumes.ts). */
  memoryDir?: string;
  nodeName: string;
  hostIP: string;
  allocatable: Record<string, string>;
  configMaps: StoreReader;
  secrets: StoreReader;
  services: StoreReader;
  client: RestClient;
  masterService?: { host: string; port: number; replacesService?: boolean };
}

const SERVICE_ACCOUNTS: ResourceRef = {
  group: '',
  version: 'v1',
  resource: 'serviceaccounts',
  namespaced: true,
};

/** The agent's pod volumes, and the sweep of those no pod owns any more. */
export interface NodePodVolumes extends PodVolumes {
  /**
   * Removes the directories of pods that `owned` does not name: pods deleted while the
   * agent was down leave no record to tear down, and on tmpfs their volumes are memory.
   */
  removeOrphans(owned: (uid: string) => boolean): Promise<string[]>;
}

export function createPodConfig(deps: PodConfigDeps): {
  config: PodConfig;
  volumes: NodePodVolumes;
} {
  try {
    deps.services.addIndexer(NAMESPACE_INDEX, namespaceIndex);
  } catch {
    // Already indexed by another user of the same informer.
  }
  const sets = new Map<string, VolumeSet>();
  const tokens = new TokenCache();
  const newSet = (uid: string) =>
    new VolumeSet(path.join(deps.dataDir, 'pods', uid, 'volumes'), {
      ...(deps.memoryDir ? { memoryDir: path.join(deps.memoryDir, uid) } : {}),
    });
  const setFor = (uid: string) => {
    let set = sets.get(uid);
    if (!set) {
      set = newSet(uid);
      sets.set(uid, set);
    }
    return set;
  };
  const sources = (podIPs: string[]): ConfigSources => ({
    configMap: (ns, name) => deps.configMaps.get(`${ns}/${name}`),
    secret: (ns, name) => deps.secrets.get(`${ns}/${name}`),
    services: (ns) => {
      const own = deps.services.byIndex(NAMESPACE_INDEX, ns);
      const api = deps.services.get('default/kubernetes');
      return api && ns !== 'default' ? [...own, api] : own;
    },
    nodeName: deps.nodeName,
    hostIP: deps.hostIP,
    podIPs,
    nodeAllocatable: deps.allocatable,
    ...(deps.masterService ? { masterService: deps.masterService } : {}),
    serviceAccountToken: (pod: KubeObject, audience: string | undefined, seconds: number) => {
      const meta = pod.metadata!;
      const account =
        (pod.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName || 'default';
      const key = `${meta.uid}/${account}/${audience ?? ''}/${seconds}`;
      return tokens.get(key, meta.uid!, async () => {
        const answer = await deps.client.createSubresource<{
          status?: { token?: string; expirationTimestamp?: string };
        }>(SERVICE_ACCOUNTS, meta.namespace!, account, 'token', {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: {
            ...(audience ? { audiences: [audience] } : {}),
            expirationSeconds: seconds,
            boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: meta.name, uid: meta.uid },
          },
        });
        const expires = Date.parse(answer.status?.expirationTimestamp ?? '');
        return {
          token: answer.status?.token ?? '',
          // Without a readable expiry, one as short as the request allows: refreshed soon.
          expirationTimestamp: new Date(Number.isNaN(expires) ? Date.now() : expires),
          expirationSeconds: seconds,
        };
      });
    },
  });
  const podIPs = (pod: Pod) =>
    (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => !!ip);

  const config: PodConfig = {
    async environment(pod, container, ips) {
      return resolveEnvironment(pod as ConfigPod, container as never, sources(ips)).env;
    },
    security(pod, container) {
      return containerSecurity(pod, container, path.join(deps.dataDir, 'seccomp'));
    },
    async mounts(pod, container, env) {
      const mounts = await setFor(pod.metadata!.uid!).mountsFor(container as never, env);
      return mounts.map((m) => ({
        hostPath: m.hostPath,
        containerPath: m.containerPath,
        readOnly: m.readOnly,
      }));
    },
  };
  const ready = new Set<string>();
  const volumes: NodePodVolumes = {
    async setUp(pod) {
      const uid = pod.metadata!.uid!;
      const set = setFor(uid);
      // The first pass lays the volumes out; later ones rewrite what changed, atomically.
      if (ready.has(uid)) await set.update(pod as ConfigPod, sources(podIPs(pod)));
      else {
        await set.setUp(pod as ConfigPod, sources(podIPs(pod)));
        ready.add(uid);
      }
      if (!set.fsGroupDenied) return [];
      const group = pod.spec?.securityContext?.fsGroup;
      return [
        `the securityContext setting fsGroup ${group} is not applied to the pod's volumes: giving files a group the agent is not in needs root`,
      ];
    },
    async tearDown(uid) {
      const set = sets.get(uid) ?? newSet(uid);
      await set.tearDown();
      sets.delete(uid);
      ready.delete(uid);
      tokens.forgetPod(uid);
      await rm(path.join(deps.dataDir, 'pods', uid), { recursive: true, force: true });
    },
    async removeOrphans(owned) {
      const roots = [path.join(deps.dataDir, 'pods'), ...(deps.memoryDir ? [deps.memoryDir] : [])];
      const orphans = new Set<string>();
      for (const root of roots) {
        const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
        // Pods' directories are named by uid (the memory dir also holds its owner file).
        for (const uid of entries.filter((e) => e.isDirectory()).map((e) => e.name)) {
          if (owned(uid) || sets.has(uid)) continue;
          orphans.add(uid);
          await rm(path.join(root, uid), { recursive: true, force: true });
        }
      }
      return [...orphans];
    },
  };
  return { config, volumes };
}
