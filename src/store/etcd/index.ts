import type { Backend } from '../types.ts';
import { EtcdBackend, type EtcdBackendOptions } from './backend.ts';

export { ETCD_DRIVER, EtcdBackend, type EtcdBackendOptions } from './backend.ts';

/**
 * Connects to etcd at `hosts` (`host:2379` or `http(s)://host:2379`) and checks that it
 * answers, so a wrong address fails here with Unavailable rather than at the first write.
 */
export async function openEtcdBackend(
  hosts: string[],
  opts: EtcdBackendOptions = {},
): Promise<Backend> {
  if (hosts.length === 0) throw new Error('etcd needs at least one host');
  const backend = new EtcdBackend(
    hosts.map((host) => (/^https?:\/\//.test(host) ? host : `http://${host}`)),
    opts,
  );
  try {
    await backend.currentRevision();
  } catch (err) {
    await backend.close();
    throw err;
  }
  return backend;
}

/** `etcd://h1:2379,h2:2379`: the location is the comma-separated host list. */
export function openEtcdLocation(location: string): Promise<Backend> {
  return openEtcdBackend(
    location
      .split(',')
      .map((host) => host.trim().replace(/\/+$/, ''))
      .filter((host) => host !== ''),
  );
}
