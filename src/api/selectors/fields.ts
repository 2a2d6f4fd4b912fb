import { SelectorParseError } from './labels.ts';

// Field selectors: `?fieldSelector=metadata.name=web,status.phase!=Running`. Only `=`,
// `==` and `!=` exist; which fields are allowed is the resource's business.

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

export function parseFieldSelector(input: string): FieldRequirement[] {
  if (input.trim() === '') return [];
  return splitUnescaped(input, ',').map((part) => {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(part.trim());
    if (!m)
      throw new SelectorParseError(`invalid selector: '${input}'; can't understand '${part}'`);
    return { field: m[1]!.trim(), operator: m[2] === '!=' ? '!=' : '=', value: unescape(m[3]!) };
  });
}

function splitUnescaped(input: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < input.length; i++) {
    if (input[i] === '\\' && i + 1 < input.length) {
      cur += input[i]! + input[i + 1]!;
      i++;
    } else if (input[i] === sep) {
      out.push(cur);
      cur = '';
    } else cur += input[i];
  }
  out.push(cur);
  return out;
}

function unescape(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

export function matchesFields(
  requirements: FieldRequirement[],
  valueOf: (field: string) => string | undefined,
): boolean {
  return requirements.every((r) => {
    const v = valueOf(r.field) ?? '';
    return r.operator === '=' ? v === r.value : v !== r.value;
  });
}
