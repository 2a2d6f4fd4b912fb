import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../support/cluster.ts';
import { KUBECTL, kubectl } from '../support/kubectl.ts';
import { missingCommand, missingRoot } from '../support/requirements.ts';
import { ensureTestImage } from '../support/test-image.ts';
import { until } from '../support/until.ts';

// A pod's securityContext through kubectl, on both runtimes: who its processes run as,
// what they may do, and what the kubelet refuses (runAsNonRoot against a root image).
// Docker applies all of it; the process runtime applies the identity (as root, with
// setpriv) and says in an event what it does not apply.

type Json = Record<string, any>;

const runtimes = [
  {
    runtime: 'docker' as const,
    image: ensureTestImage,
    skip: missingCommand('dockerd', 'apt-get install docker.io && dockerd &'),
  },
  {
    runtime: 'process' as const,
    image: async () => 'busybox:recorded',
    skip: missingRoot('running a container as another user'),
  },
];

for (const { runtime, image: imageOf, skip } of runtimes) {
  describe(`securityContext on the ${runtime} runtime`, { skip, timeout: 300_000 }, () => {
    let cluster: TestCluster;
    let image = '';
    const node = `security-${runtime}`;
    const ok = async (args: string[], input?: string) => {
      const r = await kubectl(KUBECTL, cluster.kubectlArgs, args, {
        ...(input ? { input } : {}),
        timeoutMs: 60_000,
      });
      assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const waitPod = (name: string, test: (p: Json) => boolean, what: string) =>
      until(`pod ${name} ${what}`, async () => {
        const p: Json = JSON.parse(await ok(['get', 'pod', name, '-o', 'json']));
        return test(p) ? p : undefined;
      });
    const running = (p: Json) => !!p.status?.containerStatuses?.[0]?.state?.running;
    const apply = (name: string, spec: Json, container: Json = {}) =>
      ok(
        ['apply', '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name },
          spec: {
            nodeName: node,
            terminationGracePeriodSeconds: 1,
            ...spec,
            containers: [
              {
                name: 'main',
                image,
                imagePullPolicy: 'IfNotPresent',
                command: ['sh', '-c', 'while true; do sleep 1; done'],
                ...container,
              },
            ],
          },
        }),
      );
    const inPod = (name: string, script: string) => ok(['exec', name, '--', 'sh', '-c', script]);
    const statusField = async (name: string, field: string) =>
      (await inPod(name, `grep '^${field}:' /proc/self/status`)).split(/\s+/)[1];

    before(async () => {
      image = await imageOf();
      cluster = await startTestCluster({ agent: { runtime, nodeName: node } });
    });
    after(async () => {
      await kubectl(KUBECTL, cluster.kubectlArgs, ['delete', 'pods', '--all', '--grace-period=1']);
      await cluster?.close();
    });

    it('runs the containers as runAsUser and runAsGroup, with the pod groups, no new privileges', async () => {
      await apply(
        'as-user',
        { securityContext: { runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000 } },
        { securityContext: { allowPrivilegeEscalation: false } },
      );
      await waitPod('as-user', running, 'running');
      assert.equal((await inPod('as-user', 'id -u')).trim(), '1000');
      assert.equal((await inPod('as-user', 'id -g')).trim(), '3000');
      assert.ok((await inPod('as-user', 'id -G')).trim().split(' ').includes('2000'));
      assert.equal(await statusField('as-user', 'NoNewPrivs'), '1');
      // The main process too, not only what exec starts.
      const uid = await inPod('as-user', "grep '^Uid:' /proc/1/status 2>/dev/null || true");
      if (runtime === 'docker') assert.match(uid, /^Uid:\s+1000\s/);
    });

    it("gives the pod's volumes its fsGroup, so another user can read a 0400 secret", async () => {
      await ok(['create', 'secret', 'generic', 'token', '--from-literal=value=s3cret']);
      await ok(
        ['apply', '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'grouped' },
          spec: {
            nodeName: node,
            terminationGracePeriodSeconds: 1,
            securityContext: { runAsUser: 1000, fsGroup: 2000 },
            volumes: [
              { name: 'token', secret: { secretName: 'token', defaultMode: 0o400 } },
              { name: 'scratch', emptyDir: {} },
            ],
            containers: [
              {
                name: 'main',
                image,
                imagePullPolicy: 'IfNotPresent',
                command: ['sh', '-c', 'while true; do sleep 1; done'],
                volumeMounts: [
                  { name: 'token', mountPath: '/etc/token' },
                  { name: 'scratch', mountPath: '/scratch' },
                ],
              },
            ],
          },
        }),
      );
      await waitPod('grouped', running, 'running');
      assert.equal(await inPod('grouped', 'cat /etc/token/value'), 's3cret');
      assert.equal(
        (await inPod('grouped', 'echo hi > /scratch/f && stat -c %g /scratch/f')).trim(),
        '2000',
        'a new file in the emptyDir takes its set-group-ID group',
      );
    });

    it('refuses runAsNonRoot for a container that would run as root', async () => {
      await apply('non-root', { securityContext: { runAsNonRoot: true } });
      const p = await waitPod(
        'non-root',
        (p) => !!p.status?.containerStatuses?.[0]?.state?.waiting?.message,
        'waiting with a message',
      );
      const waiting = p.status.containerStatuses[0].state.waiting;
      assert.equal(waiting.reason, 'CreateContainerConfigError');
      assert.equal(
        waiting.message,
        `container has runAsNonRoot and image will run as root (pod: "non-root_default(${p.metadata.uid})", container: main)`,
      );
      await apply('non-root-ok', { securityContext: { runAsNonRoot: true, runAsUser: 1000 } });
      await waitPod('non-root-ok', running, 'running as 1000');
    });

    if (runtime === 'docker') {
      it('applies privileged, capabilities, a read-only root and seccomp', async () => {
        await apply(
          'confined',
          {},
          { securityContext: { capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true } },
        );
        await apply('privileged', {}, { securityContext: { privileged: true } });
        await apply('default-seccomp', {
          securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
        });
        await apply('unconfined', {});
        for (const name of ['confined', 'default-seccomp', 'unconfined']) {
          await waitPod(name, running, 'running');
        }
        // A privileged container may not start where the engine itself lacks capabilities
        // (this machine's): the engine is asked for it all the same.
        const privileged = await waitPod(
          'privileged',
          (p) => !!p.status?.containerStatuses?.[0]?.containerID,
          'created',
        );
        const id = privileged.status.containerStatuses[0].containerID.replace('docker://', '');
        const inspected = JSON.parse(
          await new Promise<string>((resolve, reject) =>
            execFile('docker', ['inspect', id], (err, out) => (err ? reject(err) : resolve(out))),
          ),
        )[0];
        assert.equal(inspected.HostConfig.Privileged, true);
        assert.equal(await statusField('confined', 'CapEff'), '0000000000000000');
        const written = await inPod('confined', 'touch /written 2>&1 && echo yes || echo no');
        assert.match(written, /Read-only file system/);
        // Kubernetes runs containers Unconfined unless the pod asks for a profile.
        assert.equal(await statusField('unconfined', 'Seccomp'), '0');
        assert.equal(await statusField('default-seccomp', 'Seccomp'), '2');
      });
      it('loads a Localhost seccomp profile from the node, and says which one it cannot', async () => {
        const dir = path.join(cluster.dataDir, 'agent', 'seccomp', 'profiles');
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, 'allow.json'), '{"defaultAction":"SCMP_ACT_ALLOW"}');
        const localhost = (file: string) => ({
          securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: file } },
        });
        await apply('local-profile', localhost('profiles/allow.json'));
        await waitPod('local-profile', running, 'running');
        assert.equal(await statusField('local-profile', 'Seccomp'), '2');
        await apply('no-profile', localhost('profiles/none.json'));
        const p = await waitPod(
          'no-profile',
          (p) => !!p.status?.containerStatuses?.[0]?.state?.waiting?.message,
          'waiting with a message',
        );
        const waiting = p.status.containerStatuses[0].state.waiting;
        assert.equal(waiting.reason, 'CreateContainerError');
        assert.equal(
          waiting.message,
          `cannot load seccomp profile "${path.join(dir, 'none.json')}": no such file`,
        );
      });
    } else {
      it("drops capabilities from the command's bounding set", async () => {
        await apply('no-caps', {}, { securityContext: { capabilities: { drop: ['ALL'] } } });
        await apply(
          'one-cap',
          {},
          { securityContext: { capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } } },
        );
        await waitPod('no-caps', running, 'running');
        await waitPod('one-cap', running, 'running');
        assert.equal(await statusField('no-caps', 'CapEff'), '0000000000000000');
        assert.equal(await statusField('one-cap', 'CapEff'), '0000000000000400');
      });

      it('says in an event which settings it does not apply', async () => {
        await apply('host-rooted', {}, { securityContext: { readOnlyRootFilesystem: true } });
        await waitPod('host-rooted', running, 'running');
        const events = JSON.parse(
          await ok([
            'get',
            'events',
            '--field-selector',
            'involvedObject.name=host-rooted',
            '-o',
            'json',
          ]),
        ).items.map((e: Json) => `${e.type} ${e.reason} ${e.message}`);
        assert.ok(
          events.includes(
            'Warning SecurityContextNotEnforced the securityContext settings readOnlyRootFilesystem of container main are not enforced by the process runtime',
          ),
          events.join('\n'),
        );
      });
    }
  });
}
