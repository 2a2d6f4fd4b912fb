// core/v1 printers for the simpler kinds: namespaces, configmaps, secrets, serviceaccounts,
// endpoints, replicationcontrollers, podtemplates and resourcequotas.

import type { Printer } from '../types.ts';
import { age, ageCol, col, containerCols, nameCol, wide } from './columns.ts';
import { int, keyCount, list, nameOf, optInt, rec, recs, str, strMap } from './fields.ts';
import { compareStrings, containerCells, formatLabels, joinHostPort } from './format.ts';
import { formatQuantity } from './quantity.ts';

export const namespacePrinter: Printer = {
  columns: [nameCol(), col('Status', 'string', 'The status of the namespace'), ageCol()],
  // The API server sets phase Active on create.
  cells: (obj, now) => [nameOf(obj), str(rec(obj.status).phase) || 'Active', age(obj, now)],
};

export const configMapPrinter: Printer = {
  columns: [nameCol(), col('Data', 'string', 'Number of data and binaryData keys.'), ageCol()],
  cells: (obj, now) => [nameOf(obj), keyCount(obj.data) + keyCount(obj.binaryData), age(obj, now)],
};

export const secretPrinter: Printer = {
  columns: [
    nameCol(),
    col('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
    col('Data', 'string', 'Number of keys in the secret data.'),
    ageCol(),
  ],
  cells(obj, now) {
    // stringData is merged into data on write; count the union of both key sets.
    const keys = new Set([...Object.keys(rec(obj.data)), ...Object.keys(rec(obj.stringData))]);
    return [nameOf(obj), str(obj.type) || 'Opaque', keys.size, age(obj, now)];
  },
};

export const serviceAccountPrinter: Printer = {
  columns: [
    nameCol(),
    col('Secrets', 'string', 'Secrets in the namespace that pods running as this account may use.'),
    ageCol(),
  ],
  cells: (obj, now) => [nameOf(obj), list(obj.secrets).length, age(obj, now)],
};

/** `formatEndpoints`: up to three `ip:port` pairs, then `+ N more...`; `<none>` with no subsets. */
function formatEndpoints(subsets: unknown): string {
  const all = recs(subsets);
  if (all.length === 0) return '<none>';
  const max = 3;
  const shown: string[] = [];
  let count = 0;
  for (const subset of all) {
    const addresses = recs(subset.addresses);
    const ports = recs(subset.ports);
    // Headless services may have no ports: list bare addresses.
    const targets = ports.length === 0 ? [undefined] : ports.map((p) => int(p.port));
    for (const port of targets) {
      count += addresses.length;
      for (const addr of addresses) {
        if (shown.length === max) break;
        const ip = str(addr.ip);
        shown.push(port === undefined ? ip : joinHostPort(ip, port));
      }
    }
  }
  const text = shown.join(',');
  return count > max ? `${text} + ${count - max} more...` : text;
}

export const endpointsPrinter: Printer = {
  columns: [
    nameCol(),
    col('Endpoints', 'string', 'The set of addresses and ports that comprise the service.'),
    ageCol(),
  ],
  cells: (obj, now) => [nameOf(obj), formatEndpoints(obj.subsets), age(obj, now)],
};

export const replicationControllerPrinter: Printer = {
  columns: [
    nameCol(),
    col('Desired', 'integer', 'The number of desired replicas.'),
    col('Current', 'integer', 'The most recently observed number of replicas.'),
    col('Ready', 'integer', 'The number of ready replicas for this replication controller.'),
    ageCol(),
    ...containerCols(),
    wide('Selector', 'string', 'Label keys and values that pods must match to be controlled.'),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    const status = rec(obj.status);
    const template = rec(spec.template);
    // Defaulting: replicas 1, selector copied from the template labels when empty.
    let selector = strMap(spec.selector);
    if (Object.keys(selector).length === 0) selector = strMap(rec(template.metadata).labels);
    const [names, images] = containerCells(rec(template.spec).containers);
    return [
      nameOf(obj),
      optInt(spec.replicas) ?? 1,
      int(status.replicas),
      int(status.readyReplicas),
      age(obj, now),
      names,
      images,
      formatLabels(selector),
    ];
  },
};

export const podTemplatePrinter: Printer = {
  columns: [
    nameCol(),
    col('Containers', 'string', 'Names of each container in the template.'),
    col('Images', 'string', 'Images referenced by each container in the template.'),
    col('Pod Labels', 'string', 'The labels for the pod template.'),
  ],
  cells(obj) {
    const template = rec(obj.template);
    const [names, images] = containerCells(rec(template.spec).containers);
    return [nameOf(obj), names, images, formatLabels(rec(template.metadata).labels)];
  },
};

export const resourceQuotaPrinter: Printer = {
  // 1.32 prints Age before Request and Limit (reordered in 1.33).
  columns: [
    nameCol(),
    ageCol(),
    col('Request', 'string', 'Minimum amount of cpu/memory a container may consume: used/hard.'),
    col('Limit', 'string', 'Maximum amount of cpu/memory a container may use: used/hard.'),
  ],
  cells(obj, now) {
    const status = rec(obj.status);
    const hard = rec(status.hard);
    const used = rec(status.used);
    const requests: string[] = [];
    const limits: string[] = [];
    for (const resource of Object.keys(hard).sort(compareStrings)) {
      const pieces = resource.split('.');
      const target = pieces.length > 1 && pieces[0] === 'limits' ? limits : requests;
      target.push(
        `${resource}: ${formatQuantity(used[resource])}/${formatQuantity(hard[resource])}`,
      );
    }
    return [nameOf(obj), age(obj, now), requests.join(', '), limits.join(', ')];
  },
};
