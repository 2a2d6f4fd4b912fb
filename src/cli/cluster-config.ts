import { isNotFound, type ResourceRef, type RestClient } from '../client/index.ts';

// What a joining agent must agree on with the control plane and cannot know by itself,
// published by the control plane in a ConfigMap, as kubeadm publishes its
// ClusterConfiguration in kube-system/kubeadm-config: for now the service range, which
// `wharf up` picks itself when nobody chose one (10.96.0.0/12, or loopback without root).

const CONFIG_MAPS: ResourceRef = {
  group: '',
  version: 'v1',
  resource: 'configmaps',
  namespaced: true,
};
const NAMESPACE = 'kube-system';
const NAME = 'wharf-config';
const SERVICE_CIDR_KEY = 'serviceCIDR';

export interface ClusterConfig {
  serviceCIDR: string;
}

/** Writes the cluster's configuration (created, or brought up to date). */
export async function publishClusterConfig(
  client: RestClient,
  config: ClusterConfig,
): Promise<void> {
  await client.patch(
    CONFIG_MAPS,
    NAMESPACE,
    NAME,
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: NAME, namespace: NAMESPACE },
      data: { [SERVICE_CIDR_KEY]: config.serviceCIDR },
    },
    'apply',
    { fieldManager: 'wharf-control-plane', force: true },
  );
}

/** The cluster's configuration; undefined from a control plane that publishes none. */
export async function readClusterConfig(client: RestClient): Promise<ClusterConfig | undefined> {
  try {
    const cm = await client.get(CONFIG_MAPS, NAMESPACE, NAME);
    const cidr = (cm.data as Record<string, string> | undefined)?.[SERVICE_CIDR_KEY];
    return cidr ? { serviceCIDR: cidr } : undefined;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
