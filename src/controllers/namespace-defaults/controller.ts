import type { KubeObject } from '../../api/index.ts';
import {
  InformerFactory,
  isAlreadyExists,
  isNotFound,
  WorkQueue,
  type Logger,
  type ResourceRef,
  type RestClient,
} from '../../client/index.ts';
import { runController } from '../workers.ts';

// What every namespace holds in Kubernetes from the moment it exists: the `default`
// ServiceAccount (kube-controller-manager's serviceaccount controller) and the
// `kube-root-ca.crt` ConfigMap with the cluster CA (its root-ca-cert-publisher). Both are
// put back when deleted, and the CA bundle is kept current.

const NAMESPACES: ResourceRef = {
  group: '',
  version: 'v1',
  resource: 'namespaces',
  namespaced: false,
};
const SERVICE_ACCOUNTS: ResourceRef = {
  group: '',
  version: 'v1',
  resource: 'serviceaccounts',
  namespaced: true,
};
const CONFIG_MAPS: ResourceRef = {
  group: '',
  version: 'v1',
  resource: 'configmaps',
  namespaced: true,
};

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

export class NamespaceDefaultsController {
  readonly #client: RestClient;
  readonly #caPem: string;
  readonly #factory: InformerFactory;
  readonly #queue = new WorkQueue<string>();
  readonly #log: Logger;

  constructor(client: RestClient, caPem: string, factory: InformerFactory, log: Logger) {
    this.#client = client;
    this.#caPem = caPem;
    this.#factory = factory;
    this.#log = log;
    const byNamespace = (obj: KubeObject) =>
      obj.metadata?.name && this.#queue.add(obj.metadata.name);
    factory
      .informerFor(NAMESPACES)
      .addEventHandler({ onAdd: byNamespace, onUpdate: (_o, n) => byNamespace(n) });
    // Our objects being deleted or changed sends their namespace round again.
    const owned = (name: string) => (obj: KubeObject) => {
      if (obj.metadata?.name === name && obj.metadata.namespace)
        this.#queue.add(obj.metadata.namespace);
    };
    factory.informerFor(SERVICE_ACCOUNTS).addEventHandler({ onDelete: owned('default') });
    const ca = owned(ROOT_CA_CONFIGMAP);
    factory.informerFor(CONFIG_MAPS).addEventHandler({ onUpdate: (_o, n) => ca(n), onDelete: ca });
  }

  async run(signal: AbortSignal, workers = 1): Promise<void> {
    return runController(signal, {
      factory: this.#factory,
      queue: this.#queue,
      workers,
      reconcile: (ns) => this.reconcile(ns),
      log: this.#log,
      name: 'namespace-defaults',
    });
  }

  async reconcile(namespace: string): Promise<void> {
    const ns = this.#factory.informerFor(NAMESPACES).store.get(namespace);
    if (!ns || ns.metadata?.deletionTimestamp) return;
    const sa = this.#factory.informerFor(SERVICE_ACCOUNTS).store.get(`${namespace}/default`);
    if (!sa)
      await this.#create(SERVICE_ACCOUNTS, namespace, {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'default' },
      });
    const cm = this.#factory
      .informerFor(CONFIG_MAPS)
      .store.get(`${namespace}/${ROOT_CA_CONFIGMAP}`);
    const data = { 'ca.crt': this.#caPem };
    if (!cm) {
      await this.#create(CONFIG_MAPS, namespace, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: ROOT_CA_CONFIGMAP,
          annotations: { 'kubernetes.io/description': DESCRIPTION },
        },
        data,
      });
    } else if ((cm.data as Record<string, string> | undefined)?.['ca.crt'] !== this.#caPem) {
      try {
        await this.#client.patch(CONFIG_MAPS, namespace, ROOT_CA_CONFIGMAP, { data }, 'merge', {
          fieldManager: 'root-ca-cert-publisher',
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  async #create(ref: ResourceRef, namespace: string, obj: KubeObject): Promise<void> {
    try {
      await this.#client.create(ref, namespace, obj, { fieldManager: 'kube-controller-manager' });
    } catch (err) {
      // Already there, or the namespace went away meanwhile: nothing to do.
      if (!isAlreadyExists(err) && !isNotFound(err) && (err as { code?: number }).code !== 403)
        throw err;
    }
  }
}
