import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runAsNonRootViolation } from '../security.ts';
import type { ContainerSecurity } from '../types.ts';
import { engineSecurity, imageUserOf } from './security.ts';

// A securityContext as engine options, and the kubelet's runAsNonRoot check.

const base: ContainerSecurity = {
  runAsNonRoot: false,
  supplementalGroups: [],
  privileged: false,
  capAdd: [],
  capDrop: [],
  readOnlyRootFilesystem: false,
  noNewPrivileges: false,
  seccomp: { type: 'Unconfined' },
};

describe('securityContext as docker engine options', () => {
  it('runs Unconfined with nothing else by default', () => {
    assert.deepEqual(engineSecurity(undefined), {
      HostConfig: { SecurityOpt: ['seccomp=unconfined'] },
    });
    assert.deepEqual(engineSecurity(base), { HostConfig: { SecurityOpt: ['seccomp=unconfined'] } });
  });

  it('maps user, groups, rights, a read-only root and the seccomp profile', () => {
    assert.deepEqual(
      engineSecurity({
        ...base,
        runAsUser: 1000,
        runAsGroup: 3000,
        supplementalGroups: [2000],
        privileged: true,
        capAdd: ['NET_ADMIN'],
        capDrop: ['ALL'],
        readOnlyRootFilesystem: true,
        noNewPrivileges: true,
        seccomp: {
          type: 'Localhost',
          path: '/p.json',
          profile: '{"defaultAction":"SCMP_ACT_LOG"}',
        },
      }),
      {
        User: '1000:3000',
        HostConfig: {
          Privileged: true,
          CapAdd: ['NET_ADMIN'],
          CapDrop: ['ALL'],
          ReadonlyRootfs: true,
          GroupAdd: ['2000'],
          SecurityOpt: ['seccomp={"defaultAction":"SCMP_ACT_LOG"}', 'no-new-privileges'],
        },
      },
    );
    assert.deepEqual(engineSecurity({ ...base, seccomp: { type: 'RuntimeDefault' } }).HostConfig, {
      SecurityOpt: [],
    });
  });

  it("gives a group without a user to the image's user", () => {
    assert.equal(engineSecurity({ ...base, runAsGroup: 5 }, '').User, '0:5');
    assert.equal(engineSecurity({ ...base, runAsGroup: 5 }, 'nobody:nogroup').User, 'nobody:5');
    assert.equal(engineSecurity({ ...base, runAsGroup: 5 }, '1000').User, '1000:5');
  });

  it('checks runAsNonRoot as the kubelet does, with its messages', () => {
    const where = { pod: 'p_ns(uid-1)', container: 'main' };
    const nonRoot = { ...base, runAsNonRoot: true };
    assert.equal(runAsNonRootViolation(base, imageUserOf(''), where), undefined);
    assert.equal(
      runAsNonRootViolation(nonRoot, imageUserOf(''), where),
      'container has runAsNonRoot and image will run as root (pod: "p_ns(uid-1)", container: main)',
    );
    assert.equal(
      runAsNonRootViolation(nonRoot, imageUserOf('nobody'), where),
      'container has runAsNonRoot and image has non-numeric user (nobody), cannot verify user is non-root (pod: "p_ns(uid-1)", container: main)',
    );
    assert.equal(runAsNonRootViolation(nonRoot, imageUserOf('65534:65534'), where), undefined);
    assert.equal(
      runAsNonRootViolation({ ...nonRoot, runAsUser: 0 }, imageUserOf('1000'), where),
      `container's runAsUser breaks non-root policy (pod: "p_ns(uid-1)", container: main)`,
    );
    assert.equal(
      runAsNonRootViolation({ ...nonRoot, runAsUser: 7 }, imageUserOf(''), where),
      undefined,
    );
  });
});
