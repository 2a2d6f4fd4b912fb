// Reads the Kubernetes 1.32 API model out of the generated @kubernetes/client-node 1.1.2
// sources (installed under the alias below, pinned exactly, because that release is
// generated from the v1.32.0 OpenAPI spec and later ones from newer Kubernetes).
//
// No npm package ships the Kubernetes swagger itself for 1.30–1.33, so this reads the
// generator's output as text: `attributeTypeMap` literals (JSON) in each model's .js,
// the JSDoc descriptions in its .d.ts, and the REST paths in the API classes. Reading
// text instead of importing keeps loading synchronous and avoids evaluating ~700
// modules. The shapes read here are fixed by the pinned version; the tests pin them.
// Descriptions the client lacks come from cdk8s+ (see readFieldDocs).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export const SOURCE_PACKAGE = 'kubernetes-client-node-v1.32';
/** cdk8s+ for Kubernetes 1.32.0; only its jsii assembly (`.jsii`, JSON) is read. */
export const FIELD_DOCS_PACKAGE = 'cdk8s-plus-32';

export interface ModelAttribute {
  /** The TypeScript property name (`_continue`, `ref`). */
  name: string;
  /** The JSON field name (`continue`, `$ref`). */
  baseName: string;
  /** e.g. `string`, `number`, `Array<V1Container>`, `{ [key: string]: string; }`, `any`. */
  type: string;
  /** e.g. `int32`, `date-time`, `int-or-string`, or ''. */
  format: string;
}

export interface Model {
  /** Generated class name, e.g. `V1Container`, `CoreV1Event`. */
  name: string;
  description?: string;
  attributes: ModelAttribute[];
  /** JSON field name → description, from the .d.ts JSDoc. */
  fieldDescriptions: Map<string, string>;
  /** JSON field names declared without `?`. */
  required: string[];
}

/** A REST operation of a generated API class: its path and the type its 200 answer holds. */
export interface ApiOperation {
  path: string;
  responseType: string;
}

let root: string | undefined;

function packageDir(name: string): string {
  return path.dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));
}

function genDir(): string {
  root ??= path.join(packageDir(SOURCE_PACKAGE), 'dist/gen');
  return root;
}

function read(relative: string): string {
  return fs.readFileSync(path.join(genDir(), relative), 'utf8');
}

/**
 * Every model `models/all.js` re-exports. The package also carries stale files of
 * removed API versions (resource v1alpha2, flowcontrol v1beta3); `all.js` leaves them out.
 */
export function readModels(): Map<string, Model> {
  const names = [...read('models/all.js').matchAll(/from '\.\.\/models\/(\w+)\.js'/g)].map(
    (m) => m[1],
  );
  const models = new Map<string, Model>();
  for (const name of names) {
    const js = read(`models/${name}.js`);
    const literal = js.match(/\.attributeTypeMap = (\[[\s\S]*?\]);/);
    if (!literal) continue; // ObjectSerializer and plain helpers have none
    const attributes = JSON.parse(literal[1]) as ModelAttribute[];
    models.set(name, { name, attributes, ...readDocs(name, attributes) });
  }
  return models;
}

function readDocs(
  name: string,
  attributes: ModelAttribute[],
): Pick<Model, 'description' | 'fieldDescriptions' | 'required'> {
  const dts = read(`models/${name}.d.ts`);
  const jsonName = new Map(attributes.map((a) => [a.name, a.baseName]));
  const classDoc = dts.match(/\/\*\*\n\* (.*)\n\*\/\nexport declare class /);
  const fieldDescriptions = new Map<string, string>();
  for (const m of dts.matchAll(/\/\*\*\n\s*\* (.*)\n\s*\*\/\n\s*'(\w+)'\??:/g)) {
    fieldDescriptions.set(jsonName.get(m[2]) ?? m[2], unescapeDoc(m[1]));
  }
  const required = [...dts.matchAll(/^ {4}'(\w+)':/gm)].map((m) => jsonName.get(m[1]) ?? m[1]);
  return {
    description: classDoc ? unescapeDoc(classDoc[1]) : undefined,
    fieldDescriptions,
    required: [...new Set(required)],
  };
}

/** The generator escapes quotes and backslashes and breaks up comment terminators. */
function unescapeDoc(text: string): string {
  return text.replace(/\\(.)/g, '$1').replaceAll('*_/', '*/').replaceAll('/_*', '/*');
}

/** REST operations of every versioned API class (`AppsV1Api`, `CoreV1Api`, …). */
export function readApiOperations(): ApiOperation[] {
  const dir = path.join(genDir(), 'apis');
  const operations: ApiOperation[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => /V\d\w*Api\.js$/.test(f))) {
    const js = fs.readFileSync(path.join(dir, file), 'utf8');
    // Request factories (`createNamespacedDeployment`) hold the path; response
    // processors (`createNamespacedDeploymentWithHttpInfo`) the answer's type.
    const paths = new Map<string, string>();
    const answers = new Map<string, string>();
    for (const method of js.split(/\n {4}(?=async \w+\()/)) {
      const name = method.match(/^async (\w+)\(/)?.[1];
      if (!name) continue;
      if (name.endsWith('WithHttpInfo')) {
        const type = method.match(/"200"[^]*?deserialize\([^"]*"(\w+)"/)?.[1];
        if (type) answers.set(name.slice(0, -'WithHttpInfo'.length), type);
      } else {
        const opPath = method.match(/const localVarPath = '([^']+)'/)?.[1];
        if (opPath) paths.set(name, opPath);
      }
    }
    for (const [name, opPath] of paths) {
      const responseType = answers.get(name);
      if (responseType) operations.push({ path: opPath, responseType });
    }
  }
  return operations;
}

/**
 * Field descriptions (`io.k8s.api.apps.v1.DeploymentSpec#template` → text) from the jsii
 * assembly of cdk8s+ for Kubernetes 1.32. The generated client drops the description of
 * every field whose type is another definition (`metadata`, `spec`, `template`, probes);
 * cdk8s imported the same 1.32 spec with them, for every type reachable from a resource's
 * spec (not from its status). jsii splits each text into a first-sentence summary (adding
 * a final period if there was none) and the rest, which are joined back here.
 */
export function readFieldDocs(): Map<string, string> {
  const assembly = JSON.parse(
    fs.readFileSync(path.join(packageDir(FIELD_DOCS_PACKAGE), '.jsii'), 'utf8'),
  ) as { types: Record<string, JsiiType> };
  const docs = new Map<string, string>();
  for (const type of Object.values(assembly.types)) {
    for (const property of type.properties ?? []) {
      const schema = property.docs?.custom?.schema;
      const text = [property.docs?.summary, property.docs?.remarks].filter(Boolean).join(' ');
      if (schema?.includes('#') && text) docs.set(schema, text);
    }
  }
  return docs;
}

interface JsiiType {
  properties?: {
    docs?: { summary?: string; remarks?: string; custom?: { schema?: string } };
  }[];
}
