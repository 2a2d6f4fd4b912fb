// Proves /openapi/v2 against real kubectl binaries. kubectl 1.27 and 1.28 fetch it as
// protobuf before `explain` and before `create --validate=strict` (the default) and fail
// when it is missing; later versions must not be disturbed by it being served.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFixture, type Fixture, type FixtureOptions } from './kubectl-fixture.ts';

const binary = (minor: number) => `/usr/lib/google-cloud-sdk/bin/kubectl.1.${minor}`;
const V2_CLIENTS = [27, 28].map(binary).filter((b) => fs.existsSync(b));
const V3_CLIENTS = [32, 33].map(binary).filter((b) => fs.existsSync(b));
const PROTOBUF_ACCEPT = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

const DEPLOYMENT = (extra: string) =>
  [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata: {name: web}',
    'spec:',
    '  selector: {matchLabels: {app: web}}',
    extra,
    '  template:',
    '    metadata: {labels: {app: web}}',
    '    spec: {containers: [{name: web, image: nginx}]}',
    '',
  ].join('\n');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let tmp = '';

function kubectl(
  kubectlPath: string,
  fixture: Fixture,
  args: string[],
  // A fresh cache dir per run unless given: kubectl caches discovery and OpenAPI.
  cacheDir = fs.mkdtempSync(path.join(tmp, 'cache-')),
): Promise<Run> {
  const env = { ...process.env, KUBECONFIG: path.join(tmp, 'no-kubeconfig'), HOME: tmp };
  const argv = ['--server', fixture.url, '--cache-dir', cacheDir, ...args];
  return new Promise((resolve) => {
    execFile(kubectlPath, argv, { env, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const skip = V2_CLIENTS.length === 0 && 'needs /usr/lib/google-cloud-sdk/bin/kubectl.1.27 or 1.28';

describe('real kubectl against /openapi/v2', { skip }, () => {
  const fixtures: Fixture[] = [];
  let valid = '';
  let unknownField = '';
  const start = async (options?: FixtureOptions) => {
    const fixture = await startFixture(options);
    fixtures.push(fixture);
    return fixture;
  };
  const create = (kubectlPath: string, fixture: Fixture, file: string, dryRun = 'client') =>
    kubectl(kubectlPath, fixture, ['create', `--dry-run=${dryRun}`, '-o', 'name', '-f', file]);

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-openapi-v2-'));
    valid = path.join(tmp, 'valid.yaml');
    unknownField = path.join(tmp, 'unknown-field.yaml');
    fs.writeFileSync(valid, DEPLOYMENT(''));
    fs.writeFileSync(unknownField, DEPLOYMENT('  bogusField: 1'));
  });
  after(async () => {
    await Promise.all(fixtures.map((f) => f.close()));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  for (const kubectlPath of V2_CLIENTS) {
    const name = path.basename(kubectlPath);

    test(`${name} fetches /openapi/v2 as protobuf and explains deployment.spec.replicas`, async () => {
      const fixture = await start();
      const run = await kubectl(kubectlPath, fixture, ['explain', 'deployment.spec.replicas']);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /KIND:\s+Deployment/);
      assert.match(run.stdout, /FIELD:\s+replicas\s+<integer>/);
      assert.match(run.stdout, /Number of desired pods/);
      const v2 = fixture.requests.filter((r) => r.path === '/openapi/v2');
      assert.deepEqual(
        v2.map((r) => r.accept),
        [PROTOBUF_ACCEPT],
      );
    });

    test(`${name} revalidates its cached /openapi/v2 by ETag`, async () => {
      const fixture = await start();
      const cacheDir = fs.mkdtempSync(path.join(tmp, 'cache-'));
      for (let i = 0; i < 2; i++) {
        const args = ['explain', 'deployment.spec.replicas'];
        const run = await kubectl(kubectlPath, fixture, args, cacheDir);
        assert.equal(run.code, 0, run.stderr);
      }
      const [first, second] = fixture.requests.filter((r) => r.path === '/openapi/v2');
      assert.equal(first?.status, 200);
      assert.match(second?.ifNoneMatch ?? '', /^"[0-9A-F]{128}"$/);
      assert.equal(second?.status, 304);
    });

    test(`${name} explains pods.spec.containers.livenessProbe from v2 alone`, async () => {
      const fixture = await start();
      const run = await kubectl(kubectlPath, fixture, [
        'explain',
        'pods.spec.containers.livenessProbe',
        '--output=plaintext-openapiv2',
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /KIND:\s+Pod/);
      assert.match(run.stdout, /RESOURCE:\s+livenessProbe <Object>/);
      assert.match(run.stdout, /Periodic probe of container liveness/);
      assert.match(run.stdout, /^\s+failureThreshold\s+<integer>/m);
      assert.match(run.stdout, /^\s+httpGet\s+<Object>/m);
    });

    test(`${name} create --validate=strict: valid passes, unknown field is the server's`, async () => {
      const fixture = await start();
      const ok = await create(kubectlPath, fixture, valid);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout.trim(), 'deployment.apps/web');
      // The server advertises fieldValidation, so kubectl skips client-side schema checks
      // (as against kube-apiserver 1.32) and the server rejects the field.
      const clientSide = await create(kubectlPath, fixture, unknownField);
      assert.equal(clientSide.code, 0, clientSide.stderr);
      const serverSide = await create(kubectlPath, fixture, unknownField, 'server');
      assert.equal(serverSide.code, 1);
      assert.match(serverSide.stderr, /strict decoding error: unknown field "spec\.bogusField"/);
      const post = fixture.requests.find((r) => r.method === 'POST');
      assert.match(post?.query ?? '', /fieldValidation=Strict/);
    });

    test(`${name} reads fieldValidation support from the v2 PATCH operations`, async () => {
      const fixture = await start({ withoutV3: true });
      const run = await create(kubectlPath, fixture, unknownField, 'server');
      assert.equal(run.code, 1);
      assert.match(run.stderr, /strict decoding error: unknown field "spec\.bogusField"/);
    });

    test(`${name} validates against the v2 schema when the server cannot`, async () => {
      const fixture = await start({ withoutPatch: true });
      const ok = await create(kubectlPath, fixture, valid);
      assert.equal(ok.code, 0, ok.stderr);
      const run = await create(kubectlPath, fixture, unknownField);
      assert.equal(run.code, 1);
      assert.match(
        run.stderr,
        /ValidationError\(Deployment\.spec\): unknown field "bogusField" in io\.k8s\.api\.apps\.v1\.DeploymentSpec/,
      );
    });
  }

  for (const kubectlPath of V3_CLIENTS) {
    const name = path.basename(kubectlPath);
    test(`${name} still uses only /openapi/v3 for explain and create`, async () => {
      const fixture = await start();
      const explain = await kubectl(kubectlPath, fixture, ['explain', 'deployment.spec.replicas']);
      assert.equal(explain.code, 0, explain.stderr);
      assert.match(explain.stdout, /Number of desired pods/);
      const created = await create(kubectlPath, fixture, valid);
      assert.equal(created.code, 0, created.stderr);
      const rejected = await create(kubectlPath, fixture, unknownField, 'server');
      assert.match(rejected.stderr, /unknown field "spec\.bogusField"/);
      const paths = fixture.requests.map((r) => r.path);
      assert.ok(!paths.includes('/openapi/v2'), paths.join(' '));
    });
  }
});
