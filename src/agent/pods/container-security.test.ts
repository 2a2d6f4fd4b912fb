import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Container, Pod } from '../k8s-types.ts';
import { containerSecurity } from './container-security.ts';

// How a container's securityContext is merged with its pod's before the runtime sees it.

describe("a container's effective securityContext", () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-seccomp-'));
    await writeFile(join(dir, 'audit.json'), '{"defaultAction":"SCMP_ACT_LOG"}');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const pod = (securityContext: Json, container: Json = {}): [Pod, Container] => {
    const c = { name: 'main', image: 'x', ...container } as Container;
    return [{ spec: { securityContext, containers: [c] } } as Pod, c];
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Json = Record<string, any>;

  it('has Kubernetes defaults when nothing is set: seccomp Unconfined, no rights added', async () => {
    assert.deepEqual(await containerSecurity(...pod({}), dir), {
      runAsNonRoot: false,
      supplementalGroups: [],
      privileged: false,
      capAdd: [],
      capDrop: [],
      readOnlyRootFilesystem: false,
      noNewPrivileges: false,
      seccomp: { type: 'Unconfined' },
    });
  });

  it("takes the container's fields over the pod's, and the pod's groups and fsGroup", async () => {
    const merged = await containerSecurity(
      ...pod(
        {
          runAsUser: 1000,
          runAsGroup: 3000,
          runAsNonRoot: true,
          supplementalGroups: [4000, 2000],
          fsGroup: 2000,
          seccompProfile: { type: 'RuntimeDefault' },
        },
        {
          securityContext: {
            runAsUser: 1001,
            runAsNonRoot: false,
            privileged: false,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
            seccompProfile: { type: 'Localhost', localhostProfile: 'audit.json' },
          },
        },
      ),
      dir,
    );
    assert.deepEqual(merged, {
      runAsUser: 1001,
      runAsGroup: 3000,
      runAsNonRoot: false,
      supplementalGroups: [4000, 2000],
      privileged: false,
      capAdd: ['NET_BIND_SERVICE'],
      capDrop: ['ALL'],
      readOnlyRootFilesystem: true,
      noNewPrivileges: true,
      seccomp: {
        type: 'Localhost',
        path: join(dir, 'audit.json'),
        profile: '{"defaultAction":"SCMP_ACT_LOG"}',
      },
    });
  });

  it('says which Localhost profile it cannot load', async () => {
    await assert.rejects(
      containerSecurity(
        ...pod({ seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/none.json' } }),
        dir,
      ),
      { message: `cannot load seccomp profile "${join(dir, 'profiles/none.json')}": no such file` },
    );
  });
});
