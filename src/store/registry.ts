import type { Backend } from './types.ts';

// Drivers register by URL scheme (`sqlite:///path/state.db`, `etcd://h1:2379,h2:2379`),
// as kine's drivers/registry.go does, so the CLI can pick one from a flag.

export type DriverOpener = (location: string) => Promise<Backend>;

const drivers = new Map<string, DriverOpener>();

export function registerDriver(scheme: string, open: DriverOpener): void {
  if (drivers.has(scheme)) throw new Error(`store driver ${scheme} is registered twice`);
  drivers.set(scheme, open);
}

/** Opens the store a URL names; the part after `scheme://` is the driver's to read. */
export async function openStore(url: string): Promise<Backend> {
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(url);
  if (!match) {
    throw new Error(
      `store URL ${JSON.stringify(url)} is not valid: use sqlite:///path/state.db or etcd://host:2379`,
    );
  }
  const scheme = match[1]!.toLowerCase();
  const open = drivers.get(scheme);
  if (!open) {
    const known = [...drivers.keys()].join(', ');
    throw new Error(
      `store URL ${JSON.stringify(url)} names unknown driver ${scheme} (known: ${known})`,
    );
  }
  return open(match[2]!);
}
