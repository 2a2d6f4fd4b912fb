// Regenerates ../tables.generated.ts from kubectl binaries:
//   node --import tsx src/apiserver/protobuf/scripts/generate-tables.ts [kubectl …]
// Later binaries win where they disagree, so list them oldest first. Messages come from the
// descriptors gogo-protobuf embeds; JSON names and omitempty/inline from the Go struct tags.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as prettier from 'prettier';
import { extractFileDescriptors, extractGoStructs, type GoStruct } from './kubectl-binary.ts';
import { parseFileDescriptor, type FieldDescriptor, type MessageDescriptor } from './descriptor.ts';

const DEFAULT_BINARIES = [
  '/usr/lib/google-cloud-sdk/bin/kubectl.1.32',
  '/usr/lib/google-cloud-sdk/bin/kubectl.1.33',
];
const OUTPUT = path.join(import.meta.dirname, '..', 'tables.generated.ts');

/** Go import paths of the packages to include: every GA k8s.io/api group, and apimachinery. */
const INCLUDE =
  /^k8s\.io\/(api\/[a-z]+\/v\d+|apimachinery\/pkg\/(apis\/meta\/v1|runtime|runtime\/schema|api\/resource|util\/intstr))$/;

const SCALARS: Record<number, string> = {
  1: 'float64',
  2: 'float32',
  3: 'int64',
  4: 'uint64',
  5: 'int32',
  8: 'bool',
  9: 'string',
  12: 'bytes',
  13: 'uint32',
};
const TYPE_MESSAGE = 11;

type Row = [number: number, json: string, type: string];
type Tables = Map<string, Map<string, Map<number, Row>>>;

const packageKey = (goPath: string) => goPath.replace(/^k8s\.io\/(api|apimachinery\/pkg)\//, '');
const warnings = new Set<string>();

async function main(): Promise<void> {
  const binaries = process.argv.slice(2).length ? process.argv.slice(2) : DEFAULT_BINARIES;
  const tables: Tables = new Map();
  const stringLists = new Set<string>();
  const versions: string[] = [];
  for (const binary of binaries.filter((b) => fs.existsSync(b))) {
    const info = JSON.parse(
      execFileSync(binary, ['version', '--client', '-o', 'json'], { encoding: 'utf8' }),
    );
    versions.push(info.clientVersion.gitVersion);
    addBinary(fs.readFileSync(binary), tables, stringLists);
  }
  if (versions.length === 0) throw new Error(`none of ${binaries.join(', ')} exists`);
  for (const w of warnings) console.error(`warning: ${w}`);
  checkReferences(tables);
  await writeTables(tables, stringLists, versions);
}

function addBinary(bin: Buffer, tables: Tables, stringLists: Set<string>): void {
  const structs = new Map<string, GoStruct>();
  for (const s of extractGoStructs(bin)) structs.set(`${packageKey(s.pkgPath)}.${s.name}`, s);
  if (!structs.has('core/v1.Pod')) throw new Error('no Go type metadata found: unknown Go layout?');
  const files = extractFileDescriptors(bin).map(parseFileDescriptor);
  // Proto package name → package key, to turn `k8s.io.api.core.v1.PodSpec` into `core/v1.PodSpec`.
  const keyOfProtoPackage = new Map<string, string>();
  for (const f of files) keyOfProtoPackage.set(f.package, packageKey(path.dirname(f.name)));
  for (const file of files) {
    const key = packageKey(path.dirname(file.name));
    if (!INCLUDE.test(path.dirname(file.name))) continue;
    const messages = tables.get(key) ?? new Map<string, Map<number, Row>>();
    tables.set(key, messages);
    const typeRef = (fullName: string): string => {
      const dot = fullName.lastIndexOf('.');
      const owner = keyOfProtoPackage.get(fullName.slice(0, dot));
      if (owner === undefined) throw new Error(`unknown message ${fullName}`);
      return owner === key ? fullName.slice(dot + 1) : `${owner}.${fullName.slice(dot + 1)}`;
    };
    for (const message of file.messages) {
      const goStruct = structs.get(`${key}.${message.name}`);
      if (!goStruct && isStringList(message)) stringLists.add(`${key}.${message.name}`);
      const rows = messages.get(message.name) ?? new Map<number, Row>();
      messages.set(message.name, rows);
      for (const field of message.fields) {
        const type = goType(field, message, typeRef);
        rows.set(field.number, [field.number, jsonTag(field, goStruct, key, message.name), type]);
      }
    }
  }
}

/** Every message a field refers to must be in the tables: the decoder resolves them lazily. */
function checkReferences(tables: Tables): void {
  for (const [key, messages] of tables) {
    if (messages.size === 0) tables.delete(key);
  }
  for (const [key, messages] of tables) {
    for (const [name, rows] of messages) {
      for (const [number, , type] of rows.values()) {
        const ref = type.replace(/^(\*|\[\]|map\[\w+\])/, '');
        if (/^(string|bool|bytes|u?int(32|64)|float(32|64))$/.test(ref)) continue;
        const dot = ref.lastIndexOf('.');
        const [pkg, message] = dot < 0 ? [key, ref] : [ref.slice(0, dot), ref.slice(dot + 1)];
        if (!tables.get(pkg)?.has(message)) {
          throw new Error(`${key}.${name} field ${number} refers to ${ref}, which is not included`);
        }
      }
    }
  }
}

function isStringList(message: MessageDescriptor): boolean {
  const [only, ...rest] = message.fields;
  return rest.length === 0 && only?.name === 'items' && only.repeated && only.type === 9;
}

function goType(
  field: FieldDescriptor,
  message: MessageDescriptor,
  typeRef: (n: string) => string,
): string {
  const base = (f: FieldDescriptor): string => {
    if (f.type === TYPE_MESSAGE) return typeRef(f.typeName);
    const scalar = SCALARS[f.type];
    if (!scalar) throw new Error(`${message.name}.${f.name}: unsupported field type ${f.type}`);
    return scalar;
  };
  const entry = message.nested.find((n) => n.mapEntry && field.typeName.endsWith(`.${n.name}`));
  if (entry) return `map[${base(entry.fields[0]!)}]${base(entry.fields[1]!)}`;
  if (field.repeated) return `[]${base(field)}`;
  return `${field.nullable ? '*' : ''}${base(field)}`;
}

/** The Go `json` struct tag of the field: `name`, `name,omitempty` or `,inline`. */
function jsonTag(
  field: FieldDescriptor,
  goStruct: GoStruct | undefined,
  key: string,
  message: string,
): string {
  const number = `protobuf:"\\w+,${field.number}`;
  const wanted = new RegExp(`${number},(?:\\w+,)?name=${field.name}[,"]|${number}(?:,\\w+)?"`);
  const goField = goStruct?.fields.find((f) => wanted.test(f.tag));
  if (!goField) {
    // Types with their own JSON form (Time, Quantity, …) and types the linker dropped.
    warnings.add(`no Go struct field for ${key}.${message}.${field.name}`);
    return field.repeated || field.nullable ? `${field.name},omitempty` : field.name;
  }
  const json = /(?:^| )json:"([^"]*)"/.exec(goField.tag)?.[1];
  if (json === undefined) return goField.embedded ? ',inline' : goField.goName;
  return json;
}

async function writeTables(
  tables: Tables,
  stringLists: Set<string>,
  versions: string[],
): Promise<void> {
  const lines: string[] = [];
  for (const [key, messages] of [...tables].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`'${key}': {`);
    for (const [name, rows] of [...messages].sort(([a], [b]) => a.localeCompare(b))) {
      const sorted = [...rows.values()].sort((a, b) => a[0] - b[0]);
      lines.push(
        `${name}: [${sorted.map((r) => JSON.stringify(r).replaceAll('"', "'")).join(',')}],`,
      );
    }
    lines.push('},');
  }
  const source = `// GENERATED by src/apiserver/protobuf/scripts/generate-tables.ts from ${versions.join(', ')}. Do not edit.
// Regenerate: node --import tsx src/apiserver/protobuf/scripts/generate-tables.ts
//
// MESSAGES[package][message] lists the fields of each protobuf message as
// [field number, Go json tag, Go type]. Packages are Go import paths without
// 'k8s.io/api/' or 'k8s.io/apimachinery/pkg/'. Types: a scalar (string, bool, int32,
// int64, uint32, uint64, float32, float64, bytes) or a message (bare when in the same
// package, else 'package.Message'); '*' marks a pointer (sent only when set), '[]' a
// repeated field, 'map[K]V' a map. Proto field names equal the JSON names unless the tag
// says otherwise; ',inline' fields are flattened into their parent in JSON.
export type FieldRow = readonly [number: number, json: string, type: string];

export const MESSAGES: Readonly<Record<string, Readonly<Record<string, readonly FieldRow[]>>>> = {
${lines.join('\n')}
};

/** Messages whose Go type is []string: they are JSON arrays, not objects. */
export const STRING_LIST_MESSAGES: readonly string[] = ${JSON.stringify([...stringLists].sort())};
`;
  const options = (await prettier.resolveConfig(OUTPUT)) ?? {};
  fs.writeFileSync(OUTPUT, await prettier.format(source, { ...options, filepath: OUTPUT }));
  console.error(`wrote ${OUTPUT}`);
}

await main();
