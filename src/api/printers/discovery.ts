// discovery.k8s.io/v1 endpointslices.

import type { Printer } from '../types.ts';
import { age, ageCol, col, nameCol } from './columns.ts';
import { int, isSet, nameOf, recs, str } from './fields.ts';
import { listWithMore } from './format.ts';

function slicePorts(ports: unknown): string {
  const all = recs(ports);
  const shown = all.map((p) =>
    isSet(p.port) ? `${int(p.port)}` : isSet(p.name) ? str(p.name) : '*',
  );
  return listWithMore(shown, all.length, 3);
}

function sliceEndpoints(endpoints: unknown): string {
  const addresses = recs(endpoints).flatMap((e) =>
    Array.isArray(e.addresses) ? e.addresses.map(str) : [],
  );
  return listWithMore(addresses, addresses.length, 3);
}

export const endpointSlicePrinter: Printer = {
  columns: [
    nameCol(),
    col('AddressType', 'string', 'The type of address carried by this EndpointSlice.'),
    col('Ports', 'string', 'The network ports exposed by each endpoint.'),
    col('Endpoints', 'string', 'A list of unique endpoints in this slice.'),
    ageCol(),
  ],
  cells: (obj, now) => [
    nameOf(obj),
    str(obj.addressType),
    slicePorts(obj.ports),
    sliceEndpoints(obj.endpoints),
    age(obj, now),
  ],
};
