import type { KubeObject } from '../../api/index.ts';
import { isNamespaceTerminating, type RestClient, type StoreReader } from '../../client/index.ts';
import {
  ANNOTATION_TRIGGER_TIME,
  podSpec,
  rfc3339Nano,
  semanticEqual,
  serviceSpec,
  shouldPodBeInEndpoints,
} from '../endpoints/index.ts';
import {
  addressTypesForService,
  endpointKey,
  endpointPorts,
  newEndpointSlice,
  ownedBy,
  podToEndpoint,
  portMapKey,
  sliceLabels,
  SLICES,
  type AddressType,
  type Endpoint,
  type EndpointPort,
  type EndpointSlice,
} from './slices.ts';
import type { EndpointSliceTracker } from './tracker.ts';

// The EndpointSlice reconciler of Kubernetes (k8s.io/endpointslice reconciler.go): given
// a service, its pods and the slices this controller manages for it, make as few writes
// as possible. Per address type and per distinct set of resolved ports: keep endpoints
// in the slice they are in (updating them in place), drop the ones no longer wanted,
// fill slices marked for update first, then an unchanged slice that has room for all
// the rest, then new slices; a create paired with a delete becomes an update. A service
// without endpoints keeps one empty placeholder slice per address type.

export type SliceClient = Pick<RestClient, 'create' | 'update' | 'delete'>;

export interface ReconcilerContext {
  client: SliceClient;
  tracker: EndpointSliceTracker;
  nodes: StoreReader;
  maxEndpointsPerSlice: number;
}

interface Plan {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

export async function reconcileSlices(
  ctx: ReconcilerContext,
  service: KubeObject,
  pods: KubeObject[],
  existing: EndpointSlice[],
  triggerTime: number,
): Promise<void> {
  const errors: Error[] = [];
  const types = addressTypesForService(service);
  const plan: Plan = { create: [], update: [], delete: [] };
  // Slices of an address type the service no longer has go.
  const unsupported = existing.filter((s) => !types.includes(s.addressType as AddressType));
  for (const addressType of types) {
    const ofType = existing.filter((s) => s.addressType === addressType);
    const typePlan = planAddressType(ctx, service, pods, ofType, addressType, errors);
    await finalize(ctx, service, typePlan, triggerTime).catch((err: Error) => errors.push(err));
  }
  plan.delete.push(...unsupported);
  await finalize(ctx, service, plan, triggerTime).catch((err: Error) => errors.push(err));
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, errors.map((e) => e.message).join('; '));
}

function planAddressType(
  ctx: ReconcilerContext,
  service: KubeObject,
  pods: KubeObject[],
  existing: EndpointSlice[],
  addressType: AddressType,
  errors: Error[],
): Plan {
  const plan: Plan = { create: [], update: [], delete: [] };
  const existingByPorts = new Map<string, EndpointSlice[]>();
  for (const slice of existing) {
    // A slice of an earlier service of the same name goes.
    if (!ownedBy(slice, service)) {
      plan.delete.push(slice);
      continue;
    }
    const key = portMapKey(slice.ports);
    existingByPorts.set(key, [...(existingByPorts.get(key) ?? []), slice]);
  }

  const desired = new Map<string, { ports: EndpointPort[]; endpoints: Map<string, Endpoint> }>();
  const publishNotReady = !!serviceSpec(service).publishNotReadyAddresses;
  for (const pod of pods) {
    // Terminating pods stay, with conditions saying so.
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ports = endpointPorts(service, pod);
    const key = portMapKey(ports);
    let group = desired.get(key);
    if (!group) desired.set(key, (group = { ports, endpoints: new Map() }));
    const nodeName = podSpec(pod).nodeName ?? '';
    const node = ctx.nodes.get(nodeName);
    // A pod on a node that does not exist is left out (and the sync retried), lest a
    // missing node leave a slice stuck; unless the user asked for every address.
    if (!node && !publishNotReady) {
      const { namespace, name } = pod.metadata ?? {};
      errors.push(
        new Error(
          `skipping Pod ${name} for Service ${namespace}/${service.metadata?.name}: Node ${nodeName} Not Found`,
        ),
      );
      continue;
    }
    const endpoint = podToEndpoint(pod, node, service, addressType);
    if (endpoint.addresses.length > 0) group.endpoints.set(endpointKey(endpoint), endpoint);
  }

  for (const [key, group] of desired) {
    const byPorts = planPortMapping(
      ctx,
      service,
      existingByPorts.get(key) ?? [],
      group,
      addressType,
    );
    plan.create.push(...byPorts.create);
    plan.update.push(...byPorts.update);
    plan.delete.push(...byPorts.delete);
  }
  for (const [key, slices] of existingByPorts) {
    if (!desired.has(key)) plan.delete.push(...slices);
  }

  if (existing.length === plan.delete.length && plan.create.length === 0) {
    const placeholder = newEndpointSlice(service, [], addressType);
    if (plan.delete.length === 1 && isPlaceholder(plan.delete[0]!, placeholder)) {
      // Deleting the placeholder only to create it again: keep it.
      plan.delete = [];
    } else {
      plan.create.push(placeholder);
    }
  }
  return plan;
}

/** placeholderSliceCompare: same namespace, labels, address type, and nothing in it. */
function isPlaceholder(slice: EndpointSlice, placeholder: EndpointSlice): boolean {
  return (
    slice.metadata?.namespace === placeholder.metadata?.namespace &&
    semanticEqual(slice.metadata?.labels, placeholder.metadata?.labels) &&
    slice.addressType === placeholder.addressType &&
    (slice.ports ?? []).length === 0 &&
    (slice.endpoints ?? []).length === 0
  );
}

/** reconcileByPortMapping, for the slices and endpoints of one set of ports. */
function planPortMapping(
  ctx: ReconcilerContext,
  service: KubeObject,
  existing: EndpointSlice[],
  group: { ports: EndpointPort[]; endpoints: Map<string, Endpoint> },
  addressType: AddressType,
): Plan {
  const max = ctx.maxEndpointsPerSlice;
  const wanted = new Map(group.endpoints);
  const labels = sliceLabels(service);
  const byName = new Map<string, EndpointSlice>();
  const unchanged = new Set<string>();
  const toUpdate = new Set<string>();
  const toDelete = new Set<string>();

  // 1. Keep wanted endpoints where they are, updated; drop the others.
  for (const slice of existing) {
    const name = slice.metadata?.name ?? '';
    byName.set(name, slice);
    const kept: Endpoint[] = [];
    let endpointChanged = false;
    for (const endpoint of slice.endpoints ?? []) {
      const key = endpointKey(endpoint);
      const want = wanted.get(key);
      if (!want) continue;
      kept.push(want);
      if (!semanticEqual(want, endpoint)) endpointChanged = true;
      wanted.delete(key);
    }
    const labelsChanged = !semanticEqual(slice.metadata?.labels, labels);
    if (endpointChanged || kept.length !== (slice.endpoints ?? []).length) {
      if (kept.length === 0) {
        toDelete.add(name);
      } else {
        byName.set(name, withEndpoints(slice, kept, labels));
        toUpdate.add(name);
      }
    } else if (labelsChanged) {
      byName.set(name, withEndpoints(slice, slice.endpoints ?? [], labels));
      toUpdate.add(name);
    } else {
      unchanged.add(name);
    }
  }

  const take = (slice: EndpointSlice) => {
    const endpoints = (slice.endpoints ??= []);
    for (const [key, endpoint] of wanted) {
      if (endpoints.length >= max) break;
      endpoints.push(endpoint);
      wanted.delete(key);
    }
  };

  // 2. Fill the slices being updated anyway, fullest first.
  if (wanted.size > 0 && toUpdate.size > 0) {
    const slices = [...toUpdate].map((n) => byName.get(n)!);
    slices.sort((a, b) => (b.endpoints?.length ?? 0) - (a.endpoints?.length ?? 0));
    for (const slice of slices) take(slice);
  }

  // 3. The rest: into the unchanged slice closest to full that takes them all, or new ones.
  const create: EndpointSlice[] = [];
  while (wanted.size > 0) {
    let slice: EndpointSlice | undefined;
    if (wanted.size < max && unchanged.size > 0) {
      const fit = sliceToFill(
        [...unchanged].map((n) => byName.get(n)!),
        wanted.size,
        max,
      );
      // A copy: the cached slice is shared.
      if (fit) slice = withEndpoints(fit, fit.endpoints ?? [], fit.metadata?.labels ?? {});
    }
    slice ??= newEndpointSlice(service, group.ports, addressType);
    take(slice);
    const name = slice.metadata?.name;
    if (name) {
      byName.set(name, slice);
      toUpdate.add(name);
      unchanged.delete(name);
    } else {
      create.push(slice);
    }
  }
  return {
    create,
    update: [...toUpdate].map((n) => byName.get(n)!),
    delete: [...toDelete].map((n) => byName.get(n)!),
  };
}

/** getSliceToFill: the slice that will be closest to full with `count` more endpoints. */
function sliceToFill(slices: EndpointSlice[], count: number, max: number) {
  let closest: EndpointSlice | undefined;
  let closestDiff = max;
  for (const slice of slices) {
    const diff = max - (count + (slice.endpoints?.length ?? 0));
    if (diff >= 0 && diff < closestDiff) {
      closestDiff = diff;
      closest = slice;
      if (diff === 0) break;
    }
  }
  return closest;
}

/** A copy of a cached slice (which is shared and never mutated) with new contents. */
function withEndpoints(
  slice: EndpointSlice,
  endpoints: Endpoint[],
  labels: Record<string, string>,
): EndpointSlice {
  const copy = structuredClone(slice);
  copy.endpoints = structuredClone(endpoints);
  copy.metadata = { ...copy.metadata, labels: { ...labels } };
  return copy;
}

/** The writes: creates paired with deletes become updates of the slices to delete. */
async function finalize(
  ctx: ReconcilerContext,
  service: KubeObject,
  plan: Plan,
  triggerTime: number,
): Promise<void> {
  const { namespace = '', name: serviceName } = service.metadata ?? {};
  const what = `Service ${namespace}/${serviceName}`;
  const toDelete = [...plan.delete];
  const toCreate = [...plan.create];
  const toUpdate = [...plan.update];
  for (let i = 0; i < toDelete.length && toCreate.length > 0;) {
    const doomed = toDelete[i]!;
    const slice = toCreate[toCreate.length - 1]!;
    // Only the service's own slices of the same (immutable) address type: a slice of an
    // older service of the same name is being garbage collected.
    if (doomed.addressType === slice.addressType && ownedBy(doomed, service)) {
      slice.metadata = { ...slice.metadata, name: doomed.metadata?.name };
      toCreate.pop();
      toUpdate.push(slice);
      toDelete.splice(i, 1);
    } else {
      i++;
    }
  }
  // No new slices for a service being deleted: the garbage collector would race them.
  if (!service.metadata?.deletionTimestamp) {
    for (const slice of toCreate) {
      withTriggerTime(slice, triggerTime);
      try {
        ctx.tracker.update(await ctx.client.create(SLICES, namespace, slice));
      } catch (err) {
        // Creations in a terminating namespace keep failing: give up on the service.
        if (isNamespaceTerminating(err)) return;
        throw new Error(`failed to create EndpointSlice for ${what}: ${message(err)}`);
      }
    }
  }
  for (const slice of toUpdate) {
    withTriggerTime(slice, triggerTime);
    const name = slice.metadata?.name ?? '';
    try {
      ctx.tracker.update(await ctx.client.update(SLICES, namespace, name, slice));
    } catch (err) {
      throw new Error(`failed to update ${name} EndpointSlice for ${what}: ${message(err)}`);
    }
  }
  for (const slice of toDelete) {
    const name = slice.metadata?.name ?? '';
    try {
      await ctx.client.delete(SLICES, namespace, name);
      ctx.tracker.expectDeletion(slice);
    } catch (err) {
      throw new Error(`failed to delete ${name} EndpointSlice for ${what}: ${message(err)}`);
    }
  }
}

function withTriggerTime(slice: EndpointSlice, triggerTime: number): void {
  const annotations = { ...slice.metadata?.annotations };
  if (triggerTime > 0) annotations[ANNOTATION_TRIGGER_TIME] = rfc3339Nano(triggerTime);
  else delete annotations[ANNOTATION_TRIGGER_TIME];
  slice.metadata = { ...slice.metadata, annotations };
  if (Object.keys(annotations).length === 0) delete slice.metadata.annotations;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
