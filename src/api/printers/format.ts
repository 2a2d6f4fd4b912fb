// Formatting helpers shared by the printers: labels, label selectors, container lists and
// the "a,b,c + N more..." lists, each rendered as kube-apiserver renders it.

import { type Json, isRecord, list, rec, recs, str, strMap } from './fields.ts';

/** `labels.FormatLabels`: sorted `k=v` pairs joined by commas, `<none>` when empty. */
export function formatLabels(value: unknown): string {
  const labels = strMap(value);
  const text = Object.keys(labels)
    .sort(compareStrings)
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
  return text === '' ? '<none>' : text;
}

/** Byte-wise string order, as Go's sort.Strings. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function isLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    if (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) return false;
  }
  return name.length > 0 && name.length <= 63 && NAME_PART.test(name);
}

function isLabelValue(value: string): boolean {
  return value === '' || (value.length <= 63 && NAME_PART.test(value));
}

interface Requirement {
  key: string;
  text: string;
}

function requirement(key: string, op: string, values: string[]): Requirement | null {
  if (!isLabelKey(key)) return null;
  const sorted = [...values].sort(compareStrings);
  switch (op) {
    case 'In':
    case 'NotIn':
      if (values.length === 0 || !values.every(isLabelValue)) return null;
      return { key, text: `${key} ${op === 'In' ? 'in' : 'notin'} (${sorted.join(',')})` };
    case 'Exists':
      return values.length === 0 ? { key, text: key } : null;
    case 'DoesNotExist':
      return values.length === 0 ? { key, text: `!${key}` } : null;
    case '=':
      return values.length === 1 && isLabelValue(values[0])
        ? { key, text: `${key}=${values[0]}` }
        : null;
    default:
      return null;
  }
}

/**
 * `metav1.LabelSelectorAsSelector(sel).String()`: requirements sorted by key; `''` for a
 * nil or empty selector; null when the selector is invalid.
 */
export function selectorString(selector: unknown): string | null {
  if (!isRecord(selector)) return '';
  const reqs: Requirement[] = [];
  for (const [key, value] of Object.entries(strMap(selector.matchLabels))) {
    const r = requirement(key, '=', [value]);
    if (!r) return null;
    reqs.push(r);
  }
  for (const expr of recs(selector.matchExpressions)) {
    const values = list(expr.values).map((v) => (typeof v === 'string' ? v : `${v}`));
    const r = requirement(str(expr.key), str(expr.operator), values);
    if (!r) return null;
    reqs.push(r);
  }
  // Array.prototype.sort is stable, so equal keys keep their order.
  reqs.sort((a, b) => compareStrings(a.key, b.key));
  return reqs.map((r) => r.text).join(',');
}

/** `metav1.FormatLabelSelector`: `<none>` when empty, `<error>` when invalid. */
export function formatLabelSelector(selector: unknown): string {
  const text = selectorString(selector);
  if (text === null) return '<error>';
  return text === '' ? '<none>' : text;
}

/** Comma-joined container names and images (`layoutContainerCells`). */
export function containerCells(containers: unknown): [names: string, images: string] {
  const items = recs(containers);
  return [items.map((c) => str(c.name)).join(','), items.map((c) => str(c.image)).join(',')];
}

/** Containers of `spec.template.spec.containers` below `spec`. */
export function templateContainers(spec: Json): unknown {
  return rec(rec(spec.template).spec).containers;
}

/** `list + N more...` once more than `max` items exist; `<unset>` when there are none. */
export function listWithMore(items: string[], count: number, max: number): string {
  const text = items.slice(0, max).join(',');
  if (count > max) return `${text} + ${count - max} more...`;
  return text === '' ? '<unset>' : text;
}

/** `net.JoinHostPort`: brackets around hosts that contain a colon (IPv6). */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Access modes as `RWO,ROX,RWX,RWOP`, always in that order, duplicates dropped. */
export function accessModesString(modes: unknown): string {
  const present = new Set(list(modes).map(str));
  const out: string[] = [];
  if (present.has('ReadWriteOnce')) out.push('RWO');
  if (present.has('ReadOnlyMany')) out.push('ROX');
  if (present.has('ReadWriteMany')) out.push('RWX');
  if (present.has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

/** An IntOrString field (`intstr.String()`); null when unset. */
export function intOrString(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return `${Math.trunc(value)}`;
  if (typeof value === 'string') return value;
  return null;
}

/** Go's printBool for a *bool: True/False, `<unset>` when nil. */
export function printBool(value: unknown): string {
  if (typeof value !== 'boolean') return '<unset>';
  return value ? 'True' : 'False';
}

/** Sorted, de-duplicated IPs/hostnames of a load-balancer status, comma-joined. */
export function loadBalancerString(status: unknown): string {
  const seen = new Set<string>();
  for (const ing of recs(rec(status).ingress)) {
    const ip = str(ing.ip);
    const host = str(ing.hostname);
    if (ip !== '') seen.add(ip);
    else if (host !== '') seen.add(host);
  }
  return [...seen].sort(compareStrings).join(',');
}
