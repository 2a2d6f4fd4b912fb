import type { DataPlane } from '../types.ts';
import { UserspaceDataPlane, type UserspaceDataPlaneOptions } from './data-plane.ts';

export type { UserspaceDataPlaneOptions } from './data-plane.ts';

/** The `userspace` data plane: service addresses are sockets of this process. */
export function newUserspaceDataPlane(opts: UserspaceDataPlaneOptions): DataPlane {
  return new UserspaceDataPlane(opts);
}
