import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mountServiceAccountToken, TOKEN_MOUNT_PATH } from './admission.ts';

// The mounting half of the ServiceAccount admission, table-style after Kubernetes'
// plugin/pkg/admission/serviceaccount tests.

type Spec = Parameters<typeof mountServiceAccountToken>[0];
const suffix = () => 'abcde';
const mount = { name: 'kube-api-access-abcde', readOnly: true, mountPath: TOKEN_MOUNT_PATH };

describe('mountServiceAccountToken', () => {
  it('mounts the token volume into every container and init container', () => {
    const spec: Spec = { initContainers: [{}], containers: [{}, { volumeMounts: [] }] };
    mountServiceAccountToken(spec, suffix);
    assert.deepEqual(spec.initContainers, [{ volumeMounts: [mount] }]);
    assert.deepEqual(spec.containers, [{ volumeMounts: [mount] }, { volumeMounts: [mount] }]);
    assert.equal(spec.volumes?.length, 1);
    const volume = spec.volumes![0] as unknown as {
      name: string;
      projected: { defaultMode: number; sources: Record<string, unknown>[] };
    };
    assert.equal(volume.name, 'kube-api-access-abcde');
    assert.equal(volume.projected.defaultMode, 0o644);
    assert.deepEqual(volume.projected.sources, [
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      {
        downwardAPI: {
          items: [
            { path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
          ],
        },
      },
    ]);
  });

  it('leaves a container that mounts something at the token path alone', () => {
    const own = { name: 'mine', mountPath: TOKEN_MOUNT_PATH };
    const spec: Spec = {
      volumes: [{ name: 'mine' }],
      containers: [{ volumeMounts: [own] }, {}],
    };
    mountServiceAccountToken(spec, suffix);
    assert.deepEqual(spec.containers![0], { volumeMounts: [own] });
    assert.deepEqual(spec.containers![1], { volumeMounts: [mount] });
    assert.deepEqual(
      spec.volumes!.map((v) => v.name),
      ['mine', 'kube-api-access-abcde'],
    );
  });

  it('adds no volume when every container has its own mount there', () => {
    const spec: Spec = {
      volumes: [{ name: 'mine' }],
      containers: [{ volumeMounts: [{ name: 'mine', mountPath: TOKEN_MOUNT_PATH }] }],
    };
    mountServiceAccountToken(spec, suffix);
    assert.deepEqual(
      spec.volumes!.map((v) => v.name),
      ['mine'],
    );
  });

  it('reuses a kube-api-access volume the pod already has', () => {
    const spec: Spec = { volumes: [{ name: 'kube-api-access-zzzzz' }], containers: [{}] };
    mountServiceAccountToken(spec, suffix);
    assert.equal(spec.volumes!.length, 1);
    assert.equal(spec.containers![0]!.volumeMounts![0]!.name, 'kube-api-access-zzzzz');
  });
});
