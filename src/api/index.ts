export type {
  KubeObject,
  ObjectMeta,
  OwnerReference,
  GroupVersionKind,
  GroupVersionResource,
  FieldError,
  TableColumn,
  Printer,
} from './types.ts';
export { apiVersionOf, parseApiVersion } from './types.ts';
export type { ResourceType, Subresource, ScaleSpec } from './resource-type.ts';
export { defineResource, STANDARD_VERBS } from './resource-type.ts';
export { ResourceRegistry, builtinRegistry, type GroupVersions } from './registry.ts';
export type { Conversion } from './conversion.ts';
export {
  parseQuantity,
  tryParseQuantity,
  formatQuantity,
  compareQuantities,
  milliValue,
  quantityValue,
  QuantityError,
  type Quantity,
} from './quantity.ts';
export { cloneJson } from './clone.ts';
export { rfc3339 } from './time.ts';
