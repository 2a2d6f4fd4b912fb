import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../support/cluster.ts';
import { KUBECTL, kubectl, kubectlOk, versionedKubectl } from '../support/kubectl.ts';

// Discovery, OpenAPI and the informational commands, with the dispatcher (which picks
// kubectl 1.32 from our /version) and directly with the versioned binaries.

const binaries: [string, string | undefined][] = [
  ['dispatcher (1.32)', KUBECTL],
  ['1.27', versionedKubectl(27)],
  ['1.30', versionedKubectl(30)],
  ['1.33', versionedKubectl(33)],
];

describe('kubectl discovery and information', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster();
  });
  after(async () => {
    await cluster?.close();
  });

  for (const [label, binary] of binaries) {
    describe(
      `kubectl ${label}`,
      { skip: binary ? false : `kubectl ${label} is not installed` },
      () => {
        const args = () => [
          ...cluster.kubectlArgs.slice(0, 2),
          '--cache-dir',
          `${cluster.dataDir}/cache-${label.replace(/\W/g, '')}`,
        ];

        it('reports the server version as Kubernetes 1.32', async () => {
          const out = await kubectlOk(binary!, args(), ['version', '-o', 'json']);
          const v = JSON.parse(out) as {
            serverVersion: { major: string; minor: string; gitVersion: string };
          };
          assert.equal(v.serverVersion.major, '1');
          assert.equal(v.serverVersion.minor, '32');
          assert.match(v.serverVersion.gitVersion, /^v1\.32\.0-wharf\.\d+$/);
        });

        it('lists every served resource with short names, and exits 0', async () => {
          const out = await kubectlOk(binary!, args(), ['api-resources']);
          for (const line of [
            /^pods\s+po\s+v1\s+true\s+Pod$/m,
            /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m,
            /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m,
            /^horizontalpodautoscalers\s+hpa\s+autoscaling\/v2\s+true\s+HorizontalPodAutoscaler$/m,
            /^clusterroles\s+rbac\.authorization\.k8s\.io\/v1\s+false\s+ClusterRole$/m,
            /^ingresses\s+ing\s+networking\.k8s\.io\/v1\s+true\s+Ingress$/m,
          ]) {
            assert.match(out, line);
          }
        });

        it('lists api versions', async () => {
          const out = await kubectlOk(binary!, args(), ['api-versions']);
          for (const gv of [
            'v1',
            'apps/v1',
            'batch/v1',
            'autoscaling/v1',
            'autoscaling/v2',
            'policy/v1',
          ]) {
            assert.ok(out.split('\n').includes(gv), `${gv} missing from:\n${out}`);
          }
        });

        it('answers cluster-info', async () => {
          const out = await kubectlOk(binary!, args(), ['cluster-info']);
          assert.match(
            out,
            /Kubernetes control plane.* is running at .*https:\/\/127\.0\.0\.1:\d+/,
          );
        });

        it('explains fields from the OpenAPI schema', async () => {
          // kubectl 1.27 reads the protobuf OpenAPI v2 document, newer ones OpenAPI v3.
          const out = await kubectlOk(binary!, args(), ['explain', 'deployment.spec.replicas']);
          assert.match(out, /KIND:\s+Deployment/);
          assert.match(out, /replicas/);
          assert.match(out, /desired pods/i);
          const nested = await kubectlOk(binary!, args(), [
            'explain',
            'pods.spec.containers.livenessProbe',
          ]);
          assert.match(nested, /livenessProbe/);
        });

        it('gets the system namespaces as a table', async () => {
          const out = await kubectlOk(binary!, args(), ['get', 'namespaces']);
          assert.match(out, /^NAME\s+STATUS\s+AGE$/m);
          for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
            assert.match(out, new RegExp(`^${ns}\\s+Active\\s+\\d+[smh]`, 'm'));
          }
        });

        it('refuses a wrong token', async () => {
          const r = await kubectl(
            binary!,
            [
              '--kubeconfig',
              cluster.kubeconfigPath,
              '--token',
              'not-the-token',
              '--cache-dir',
              `${cluster.dataDir}/anon`,
            ],
            ['get', 'ns'],
            { input: '' },
          );
          assert.notEqual(r.code, 0);
          assert.match(r.stderr, /You must be logged in to the server/);
        });
      },
    );
  }
});
