import { parseQuantity, milliValue, quantityValue, type Quantity } from '../../api/index.ts';
import { ConfigError, type Container, type Pod, type ResourceFieldSelector } from './types.ts';
import type { ResourceList } from './types.ts';

// The downward API: pod fields (pkg/fieldpath) and container resources
// (pkg/api/v1/resource), with the kubelet's error messages.

/** SplitMaybeSubscriptedPath: `metadata.labels['k']` → [`metadata.labels`, `k`]. */
function splitSubscript(fieldPath: string): [string, string] | undefined {
  if (!fieldPath.endsWith("']")) return undefined;
  const inner = fieldPath.slice(0, -2);
  const at = inner.indexOf("['");
  if (at <= 0) return undefined;
  return [inner.slice(0, at), inner.slice(at + 2)];
}

const QNAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QNAME_RE = new RegExp(`^${QNAME_FMT}$`);
const DNS_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** validation.IsQualifiedName, reduced to the checks that can fail on a map key. */
function qualifiedNameErrors(value: string): string[] {
  const parts = value.split('/');
  const name = parts.length === 2 ? parts[1] : parts[0];
  const errs: string[] = [];
  if (parts.length > 2) return ['a qualified name must have at most one "/"'];
  if (parts.length === 2 && (parts[0].length > 253 || !DNS_SUBDOMAIN_RE.test(parts[0]))) {
    errs.push('prefix part must be a lowercase RFC 1123 subdomain');
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  if (!QNAME_RE.test(name)) {
    errs.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start " +
        `and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or ` +
        `'123-abc', regex used for validation is '${QNAME_FMT}')`,
    );
  }
  return errs;
}

const PRINTABLE = /[\p{L}\p{M}\p{N}\p{P}\p{S} ]/u;
const ESCAPES: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

/** strconv.Quote (Go's %q). */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (PRINTABLE.test(ch)) out += ch;
    else if (ESCAPES[ch]) out += ESCAPES[ch];
    else if (cp < 0x80) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + '"';
}

/** FormatMap: `key="value"` lines in key order, as the labels/annotations files hold. */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${goQuote(m![k])}`)
    .join('\n');
}

/** fieldpath.ExtractFieldPathAsString: the metadata fields a pod exposes. */
export function extractFieldPath(pod: Pod, fieldPath: string): string {
  const meta = pod.metadata ?? {};
  const sub = splitSubscript(fieldPath);
  if (sub) {
    const [path, key] = sub;
    if (path === 'metadata.annotations' || path === 'metadata.labels') {
      const errs = qualifiedNameErrors(path === 'metadata.annotations' ? key.toLowerCase() : key);
      if (errs.length > 0) {
        throw new ConfigError(`invalid key subscript in ${fieldPath}: ${errs.join(';')}`);
      }
      const map = path === 'metadata.annotations' ? meta.annotations : meta.labels;
      return map?.[key] ?? '';
    }
    throw new ConfigError(`fieldPath "${fieldPath}" does not support subscript`);
  }
  switch (fieldPath) {
    case 'metadata.annotations':
      return formatMap(meta.annotations);
    case 'metadata.labels':
      return formatMap(meta.labels);
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
  }
  throw new ConfigError(`unsupported fieldPath: ${fieldPath}`);
}

const ENV_FIELD_LABELS = new Set([
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.serviceAccountName',
  'spec.schedulerName',
  'status.phase',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
]);

/** pods.ConvertDownwardAPIFieldLabel: the field paths an env `fieldRef` may name. */
export function convertFieldLabel(apiVersion: string | undefined, label: string): string {
  // The API server defaults apiVersion to v1.
  const version = apiVersion ?? 'v1';
  if (version !== 'v1') throw new ConfigError(`unsupported pod version: ${version}`);
  const sub = splitSubscript(label);
  if (sub) {
    if (sub[0] === 'metadata.annotations' || sub[0] === 'metadata.labels') return label;
    throw new ConfigError(`field label does not support subscript: ${label}`);
  }
  if (ENV_FIELD_LABELS.has(label)) return label;
  if (label === 'spec.host') return 'spec.nodeName';
  throw new ConfigError(`field label not supported: ${label}`);
}

/** Go's math.Ceil(float64(a)/float64(b)), without the float rounding. */
function ceilDiv(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new ConfigError('invalid divisor: must be greater than zero');
  const q = a / b;
  return q * b !== a && a > 0n === b > 0n ? q + 1n : q;
}

/** parseQuantity, failing as a ConfigError (the object passed validation, so rarely). */
function quantity(v: string | number): Quantity {
  try {
    return parseQuantity(String(v));
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}: ${JSON.stringify(v)}`, { cause: err });
  }
}

function quantityOf(list: ResourceList | undefined, name: string): Quantity {
  const v = list?.[name];
  return v === undefined ? { nanos: 0n, format: 'DecimalSI' } : quantity(v);
}

/** resource.ExtractContainerResourceValue. */
export function containerResourceValue(fs: ResourceFieldSelector, container: Container): string {
  const given = fs.divisor === undefined || fs.divisor === '' ? undefined : quantity(fs.divisor);
  const divisor = !given || given.nanos === 0n ? quantity('1') : given;
  const [kind, name] = [fs.resource.split('.')[0], fs.resource.slice(fs.resource.indexOf('.') + 1)];
  const list = kind === 'limits' ? container.resources?.limits : container.resources?.requests;
  if ((kind === 'limits' || kind === 'requests') && fs.resource.includes('.')) {
    if (name === 'cpu')
      return String(ceilDiv(milliValue(quantityOf(list, name)), milliValue(divisor)));
    if (name === 'memory' || name === 'ephemeral-storage' || name.startsWith('hugepages-')) {
      return String(ceilDiv(quantityValue(quantityOf(list, name)), quantityValue(divisor)));
    }
  }
  throw new ConfigError(`unsupported container resource : ${fs.resource}`);
}

/** resource.MergeContainerResourceLimits: unset or zero limits become node allocatable. */
export function withDefaultLimits(container: Container, allocatable: ResourceList): Container {
  const limits: ResourceList = { ...(container.resources?.limits ?? {}) };
  for (const name of ['cpu', 'memory', 'ephemeral-storage']) {
    const set = limits[name] !== undefined && quantity(limits[name]).nanos !== 0n;
    if (!set && allocatable[name] !== undefined) limits[name] = allocatable[name];
  }
  return { ...container, resources: { ...container.resources, limits } };
}

/** findContainerInPod: regular containers first, then init containers. */
export function findContainer(pod: Pod, name: string): Container {
  const found =
    pod.spec?.containers?.find((c) => c.name === name) ??
    pod.spec?.initContainers?.find((c) => c.name === name);
  if (!found) throw new ConfigError(`container ${name} not found`);
  return found;
}
