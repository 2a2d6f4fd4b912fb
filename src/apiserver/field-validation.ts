import type { KubeObject, ResourceType } from '../api/index.ts';
import { findUnknownFields } from '../api/openapi/index.ts';
import { badRequest } from './errors.ts';

// fieldValidation=Strict|Warn|Ignore: what to do with fields the schema does not know.
// kubectl sends Strict; a client that says nothing gets Warn, as from kube-apiserver.
// Under Warn and Ignore the unknown fields are dropped, as decoding into Kubernetes'
// typed objects drops them: they are never stored.

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** Checks `obj` (and prunes it in place); returns the warnings to send. */
export function checkFieldValidation(
  type: ResourceType,
  obj: KubeObject,
  mode: FieldValidation | null,
): string[] {
  const chosen = mode ?? 'Warn';
  if (!['Strict', 'Warn', 'Ignore'].includes(chosen)) {
    throw badRequest(
      `fieldValidation: Unsupported value: "${chosen}": supported values: "Ignore", "Strict", "Warn"`,
    );
  }
  const paths = findUnknownFields(obj, type.group, type.version, type.kind);
  if (paths.length === 0) return [];
  const unknown = paths.map((p) => `unknown field "${p}"`);
  if (chosen === 'Strict') throw badRequest(`strict decoding error: ${unknown.join(', ')}`);
  for (const p of paths) removePath(obj, p);
  return chosen === 'Warn' ? unknown : [];
}

/** Removes `spec.containers[0].bar` from an object. */
function removePath(obj: unknown, path: string): void {
  const steps = path.match(/[^.[\]]+|\[\d+\]/g) ?? [];
  let cur: unknown = obj;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const key = step.startsWith('[') ? Number(step.slice(1, -1)) : step;
    if (cur === null || typeof cur !== 'object') return;
    const container = cur as Record<string | number, unknown>;
    if (i === steps.length - 1) {
      if (!Array.isArray(container)) delete container[key];
      return;
    }
    cur = container[key];
  }
}
