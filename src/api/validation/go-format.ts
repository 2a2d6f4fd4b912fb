// Rendering of bad values the way apimachinery's field.Error.ErrorBody prints them:
// strings through %q, integers and booleans bare, nil as `null`, and anything else
// through Go's %#v (`map[string]string{"app":"x"}`, `[]string{"a", "b"}`). JSON values do
// not know their Go type, so validators wrap values whose Go form matters in a GoValue.

import { isObj } from './field.ts';

/** A value already rendered in its Go form; printed verbatim in messages. */
export class GoValue {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
  toJSON(): string {
    return this.text;
  }
}

export function goRaw(text: string): GoValue {
  return new GoValue(text);
}

const PRINTABLE = /[\p{L}\p{M}\p{N}\p{P}\p{S} ]/u;

/** strconv.Quote: printable Unicode kept, everything else escaped. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (PRINTABLE.test(ch)) out += ch;
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\v') out += '\\v';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + '"';
}

/** `map[string]string{"a":"1", "b":"2"}`, or `map[string]string(nil)` when absent. */
export function goStringMap(m: unknown): GoValue {
  if (!isObj(m)) return goRaw('map[string]string(nil)');
  const entries = Object.keys(m)
    .sort()
    .map((k) => `${goQuote(k)}:${goQuote(String(m[k]))}`);
  return goRaw(`map[string]string{${entries.join(', ')}}`);
}

/** `[]T{"a", "b"}` for strings, `[]T{1, 2}` for numbers, `[]T(nil)` when absent. */
export function goSlice(v: unknown, type = '[]string'): GoValue {
  if (!Array.isArray(v)) return goRaw(`${type}(nil)`);
  const items = v.map((x) => (typeof x === 'string' ? goQuote(x) : renderGo(x)));
  return goRaw(`${type}{${items.join(', ')}}`);
}

/** A metav1.LabelSelector as %#v prints it (the value behind the pointer). */
export function goLabelSelector(sel: unknown, pkg = 'v1'): GoValue {
  if (!isObj(sel)) return goRaw('null');
  const exprs = Array.isArray(sel.matchExpressions)
    ? `[]${pkg}.LabelSelectorRequirement{${sel.matchExpressions
        .map((e) => {
          const r = isObj(e) ? e : {};
          return `${pkg}.LabelSelectorRequirement{Key:${goQuote(String(r.key ?? ''))}, Operator:${goQuote(String(r.operator ?? ''))}, Values:${goSlice(r.values).text}}`;
        })
        .join(', ')}}`
    : `[]${pkg}.LabelSelectorRequirement(nil)`;
  return goRaw(
    `${pkg}.LabelSelector{MatchLabels:${goStringMap(sel.matchLabels).text}, MatchExpressions:${exprs}}`,
  );
}

/** An intstr.IntOrString as %#v prints it. */
export function goIntOrString(v: unknown): GoValue {
  if (typeof v === 'number') return goRaw(`intstr.IntOrString{Type:0, IntVal:${v}, StrVal:""}`);
  const s = typeof v === 'string' ? v : '';
  return goRaw(`intstr.IntOrString{Type:1, IntVal:0, StrVal:${goQuote(s)}}`);
}

/** A Go struct literal from field pairs: `pkg.Type{A:"x", B:1}`. */
export function goStruct(type: string, fields: [string, unknown][]): GoValue {
  return goRaw(`${type}{${fields.map(([k, v]) => `${k}:${renderGo(v)}`).join(', ')}}`);
}

/** Go's time.Time String() form of an RFC 3339 timestamp (UTC). */
export function goTime(v: unknown): GoValue | null {
  if (typeof v !== 'string' || v === '') return null;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return goRaw(v);
  const iso = d.toISOString(); // 2024-01-02T03:04:05.000Z
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  return goRaw(`${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? '.' + frac : ''} +0000 UTC`);
}

/** The text after `Invalid value: ` for any value. */
export function renderGo(v: unknown): string {
  if (v instanceof GoValue) return v.text;
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return goSlice(v).text;
    if (v.every((x) => typeof x === 'number')) return goSlice(v, '[]int32').text;
    return `[]interface {}{${v.map(renderGo).join(', ')}}`;
  }
  if (isObj(v)) {
    const keys = Object.keys(v).sort();
    if (keys.every((k) => typeof v[k] === 'string')) return goStringMap(v).text;
    return `map[string]interface {}{${keys.map((k) => `${goQuote(k)}:${renderGo(v[k])}`).join(', ')}}`;
  }
  return String(v);
}
