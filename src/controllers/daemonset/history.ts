import type { KubeObject } from '../../api/index.ts';
import { matchesLabels, type LabelSelector } from '../../api/selectors/index.ts';
import { isAlreadyExists, type ResourceRef } from '../../client/index.ts';
import { claimObjects, type ClaimOptions } from '../controller-ref/index.ts';
import type { SyncContext } from './context.ts';
import { computeHash, stableStringify } from './hash.ts';
import { BY_NAMESPACE } from './indexes.ts';
import {
  CONTROLLER_REVISIONS,
  DAEMONSETS,
  newControllerRef,
  PODS,
  REVISION_HASH_LABEL,
  specOf,
  statusOf,
} from './types.ts';

// The template history of a DaemonSet (update.go constructHistory, snapshot,
// dedupCurHistories, cleanupHistory): one ControllerRevision per template it has had,
// named `<ds>-<hash>` and labelled with the hash, holding the patch that restores the
// template (what `kubectl rollout undo` applies) and a revision number; the current
// template's revision always has the highest number. Pods carry the hash of the
// revision they were made from, which is how the rolling update tells old from new.

export interface History {
  current: KubeObject;
  old: KubeObject[];
}

export function revisionOf(cr: KubeObject): number {
  return (cr as { revision?: number }).revision ?? 0;
}

export function hashOf(obj: KubeObject): string | undefined {
  return obj.metadata?.labels?.[REVISION_HASH_LABEL];
}

/** getPatch: the strategic merge patch that puts this template back. */
export function revisionData(ds: KubeObject): Record<string, unknown> {
  const template = structuredClone(specOf(ds).template) as Record<string, unknown>;
  return { spec: { template: { ...template, $patch: 'replace' } } };
}

/** Match: whether the revision holds the DaemonSet's current template. */
export function matchesTemplate(ds: KubeObject, cr: KubeObject): boolean {
  return stableStringify(revisionData(ds)) === stableStringify(cr.data);
}

/**
 * The current revision (made if missing, renumbered if older than another) and the old
 * ones. `pods` are the DaemonSet's claimed pods, relabelled if duplicates are merged.
 */
export async function constructHistory(
  ctx: SyncContext,
  ds: KubeObject,
  selector: LabelSelector,
  pods: KubeObject[],
): Promise<History> {
  const namespace = ds.metadata?.namespace ?? '';
  const inNamespace = ctx.caches.revisions.byIndex(BY_NAMESPACE, namespace);
  const owned = await claimObjects(
    claimOptions(ctx, ds, selector, CONTROLLER_REVISIONS, 'ControllerRevision'),
    inNamespace,
  );
  const currents: KubeObject[] = [];
  const old: KubeObject[] = [];
  for (let cr of owned) {
    if (hashOf(cr) === undefined) {
      // Older revisions lack the label: their name stands in for the hash.
      const body = structuredClone(cr);
      body.metadata!.labels = {
        ...body.metadata?.labels,
        [REVISION_HASH_LABEL]: cr.metadata?.name ?? '',
      };
      cr = await ctx.client.update(CONTROLLER_REVISIONS, namespace, cr.metadata?.name ?? '', body);
    }
    (matchesTemplate(ds, cr) ? currents : old).push(cr);
  }
  const next = Math.max(0, ...old.map(revisionOf)) + 1;
  if (currents.length === 0) return { current: await snapshot(ctx, ds, next), old };
  const current = await dedupCurrent(ctx, currents, pods);
  if (revisionOf(current) < next) {
    const body = { ...structuredClone(current), revision: next };
    await ctx.client.update(CONTROLLER_REVISIONS, namespace, current.metadata?.name ?? '', body);
  }
  return { current, old };
}

/** snapshot: creates the revision of the current template, handling hash collisions. */
async function snapshot(ctx: SyncContext, ds: KubeObject, revision: number): Promise<KubeObject> {
  const { namespace = '', name = '' } = ds.metadata ?? {};
  const template = specOf(ds).template;
  const collisionCount = statusOf(ds).collisionCount;
  const hash = computeHash(template, collisionCount);
  const crName = `${name}-${hash}`;
  const cr: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: crName,
      namespace,
      labels: { ...template.metadata?.labels, [REVISION_HASH_LABEL]: hash },
      ...(ds.metadata?.annotations ? { annotations: { ...ds.metadata.annotations } } : {}),
      ownerReferences: [newControllerRef(ds)],
    },
    data: revisionData(ds),
    revision,
  };
  try {
    return await ctx.client.create(CONTROLLER_REVISIONS, namespace, cr);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const existing = await ctx.client.get(CONTROLLER_REVISIONS, namespace, crName);
    if (matchesTemplate(ds, existing)) return existing;
    // Another template took the name: bump collisionCount so the next sync hashes anew.
    const fresh = await ctx.client.get(DAEMONSETS, namespace, name);
    const freshCount = statusOf(fresh).collisionCount;
    if (freshCount !== collisionCount) {
      throw new Error(
        `found a stale collision count (${collisionCount}, expected ${freshCount}) of DaemonSet "${name}" while processing; will retry until it is updated`,
      );
    }
    const body = {
      ...fresh,
      status: { ...statusOf(fresh), collisionCount: (freshCount ?? 0) + 1 },
    };
    await ctx.client.update(DAEMONSETS, namespace, name, body, { subresource: 'status' });
    ctx.log.info(
      { daemonset: `${namespace}/${name}` },
      'found a hash collision; bumped collisionCount',
    );
    throw err;
  }
}

/** dedupCurHistories: keeps the highest-numbered, relabels pods to it, deletes the rest. */
async function dedupCurrent(
  ctx: SyncContext,
  currents: KubeObject[],
  pods: KubeObject[],
): Promise<KubeObject> {
  if (currents.length === 1) return currents[0]!;
  let keep = currents[0]!;
  for (const cr of currents) if (revisionOf(cr) >= revisionOf(keep)) keep = cr;
  const hash = hashOf(keep) ?? '';
  for (const pod of pods) {
    if (hashOf(pod) === hash) continue;
    const { namespace = '', name = '' } = pod.metadata ?? {};
    const patch = { metadata: { labels: { [REVISION_HASH_LABEL]: hash } } };
    await ctx.client.patch(PODS, namespace, name, patch, 'merge');
  }
  for (const cr of currents) {
    if (cr === keep) continue;
    await ctx.client.delete(
      CONTROLLER_REVISIONS,
      cr.metadata?.namespace ?? '',
      cr.metadata?.name ?? '',
    );
  }
  return keep;
}

/**
 * cleanupHistory: deletes the oldest revisions beyond revisionHistoryLimit, sparing any
 * whose hash a pod of the DaemonSet still carries (`pods` include terminal ones).
 */
export async function cleanupHistory(
  ctx: SyncContext,
  ds: KubeObject,
  old: KubeObject[],
  pods: KubeObject[],
): Promise<void> {
  let toKill = old.length - specOf(ds).revisionHistoryLimit;
  if (toKill <= 0) return;
  const live = new Set(pods.map(hashOf).filter((h): h is string => !!h));
  const oldestFirst = [...old].sort((a, b) => revisionOf(a) - revisionOf(b));
  for (const cr of oldestFirst) {
    if (toKill <= 0) break;
    if (live.has(hashOf(cr) ?? '')) continue;
    await ctx.client.delete(
      CONTROLLER_REVISIONS,
      cr.metadata?.namespace ?? '',
      cr.metadata?.name ?? '',
    );
    toKill--;
  }
}

/** How the DaemonSet claims its pods and ControllerRevisions. */
export function claimOptions(
  ctx: SyncContext,
  ds: KubeObject,
  selector: LabelSelector,
  resource: ResourceRef,
  kind: 'Pod' | 'ControllerRevision',
): ClaimOptions {
  return {
    client: ctx.client,
    owner: ds,
    ownerResource: DAEMONSETS,
    ownerKind: 'DaemonSet',
    controllerRef: newControllerRef(ds),
    resource,
    kind,
    match: (obj) => matchesLabels(selector, obj.metadata?.labels),
  };
}
