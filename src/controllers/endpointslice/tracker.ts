import type { KubeObject } from '../../api/index.ts';
import { serviceKeyOf } from './slices.ts';

// Kubernetes' EndpointSliceTracker: the version of every slice this controller last
// wrote, by service, so that (a) informer events for its own writes do not trigger
// another sync, and (b) a sync over a cache that has not yet seen those writes is
// refused (and retried) instead of acting on stale slices.
//
// Kubernetes tracks metadata.generation; wharf's API server does not keep a generation
// for EndpointSlices, so the resourceVersion stands in: it is a store revision, which
// only grows. A slice whose version is not a number is never tracked.

const DELETION_EXPECTED = -1;

export class EndpointSliceTracker {
  /** Service key → slice UID → version written, or DELETION_EXPECTED. */
  readonly #byService = new Map<string, Map<string, number>>();

  has(slice: KubeObject): boolean {
    return this.#slices(slice)?.has(slice.metadata?.uid ?? '') ?? false;
  }

  /** True unless the slice is one we wrote and have not seen changed since. */
  shouldSync(slice: KubeObject): boolean {
    const tracked = this.#slices(slice)?.get(slice.metadata?.uid ?? '');
    const version = versionOf(slice);
    return tracked === undefined || version === undefined || version > tracked;
  }

  /**
   * True when the cache is behind our writes for this service: a slice older than we
   * wrote it, one we deleted still there, or one we wrote missing.
   */
  staleSlices(serviceKey: string, slices: KubeObject[]): boolean {
    const tracked = this.#byService.get(serviceKey);
    if (!tracked) return false;
    const provided = new Set<string>();
    for (const slice of slices) {
      const uid = slice.metadata?.uid ?? '';
      provided.add(uid);
      const expected = tracked.get(uid);
      if (expected === undefined) continue;
      const version = versionOf(slice);
      if (expected === DELETION_EXPECTED || (version !== undefined && expected > version)) {
        return true;
      }
    }
    for (const [uid, expected] of tracked) {
      if (expected !== DELETION_EXPECTED && !provided.has(uid)) return true;
    }
    return false;
  }

  /** Records a slice as the API answered our create or update. */
  update(slice: KubeObject): void {
    const version = versionOf(slice);
    if (version === undefined) return;
    this.#slicesFor(slice)?.set(slice.metadata?.uid ?? '', version);
  }

  expectDeletion(slice: KubeObject): void {
    this.#slicesFor(slice)?.set(slice.metadata?.uid ?? '', DELETION_EXPECTED);
  }

  /** Forgets a deleted slice; false when we did not expect its deletion. */
  handleDeletion(slice: KubeObject): boolean {
    const slices = this.#slices(slice);
    const uid = slice.metadata?.uid ?? '';
    const expected = slices?.get(uid);
    slices?.delete(uid);
    return expected === undefined || expected === DELETION_EXPECTED;
  }

  deleteService(serviceKey: string): void {
    this.#byService.delete(serviceKey);
  }

  #slices(slice: KubeObject): Map<string, number> | undefined {
    const key = serviceKeyOf(slice);
    return key === undefined ? undefined : this.#byService.get(key);
  }

  #slicesFor(slice: KubeObject): Map<string, number> | undefined {
    const key = serviceKeyOf(slice);
    if (key === undefined) return undefined;
    let slices = this.#byService.get(key);
    if (!slices) this.#byService.set(key, (slices = new Map()));
    return slices;
  }
}

function versionOf(slice: KubeObject): number | undefined {
  const rv = Number(slice.metadata?.resourceVersion);
  return Number.isSafeInteger(rv) && rv > 0 ? rv : undefined;
}
