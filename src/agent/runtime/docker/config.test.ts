import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RuntimeLabels, type ContainerSpec, type SandboxSpec } from '../types.ts';
import {
  attachedPorts,
  containerCreateOptions,
  cpuShares,
  entrypointAndCmd,
  sandboxCreateOptions,
} from './config.ts';

describe('docker create options', () => {
  it('applies command and args over the image Entrypoint and Cmd as Kubernetes does', () => {
    const cases: Array<[string, string[], string[], ReturnType<typeof entrypointAndCmd>]> = [
      ['neither: the image decides', [], [], {}],
      ['command only: Cmd is dropped', ['/bin/app'], [], { Entrypoint: ['/bin/app'] }],
      ['args only: the image Entrypoint gets them', [], ['-v'], { Cmd: ['-v'] }],
      ['both', ['/bin/app'], ['-v'], { Entrypoint: ['/bin/app'], Cmd: ['-v'] }],
    ];
    for (const [name, command, args, want] of cases) {
      assert.deepEqual(entrypointAndCmd(command, args), want, name);
    }
  });

  it('computes cpu shares as kubelet does', () => {
    const cases: Array<[Parameters<typeof cpuShares>[0], number]> = [
      [{}, 2],
      [{ cpuRequestMillis: 1 }, 2],
      [{ cpuRequestMillis: 250 }, 256],
      [{ cpuRequestMillis: 1000 }, 1024],
      [{ cpuLimitMillis: 500 }, 512],
      [{ cpuRequestMillis: 100, cpuLimitMillis: 500 }, 102],
    ];
    for (const [resources, want] of cases) assert.equal(cpuShares(resources), want);
  });

  const sandbox: SandboxSpec = {
    podUid: 'uid-1',
    podName: 'web-0',
    namespace: 'shop',
    hostname: 'web-0',
    hostNetwork: false,
    ports: [
      { containerPort: 80, hostPort: 8080, protocol: 'TCP' },
      { containerPort: 53, hostPort: 5353, protocol: 'UDP', hostIP: '127.0.0.1' },
      { containerPort: 9090, protocol: 'TCP' },
    ],
    dns: { servers: ['10.96.0.10'], searches: ['shop.svc.cluster.local'], options: ['ndots:5'] },
  };

  it("gives the engine's hosts file the pod's subdomain and hostAliases", () => {
    const body = sandboxCreateOptions(
      {
        ...sandbox,
        hostDomain: 'nginx.shop.svc.cluster.local',
        hostAliases: [
          { ip: '127.0.0.1', hostnames: ['foo.local', 'bar.local'] },
          { ip: '10.1.2.3', hostnames: ['foo.remote'] },
        ],
      },
      { instance: 'node-a', network: 'wharf', image: 'wharf/pause:1' },
    );
    assert.equal(body.Domainname, 'nginx.shop.svc.cluster.local');
    assert.deepEqual(body.HostConfig?.ExtraHosts, [
      'foo.local:127.0.0.1',
      'bar.local:127.0.0.1',
      'foo.remote:10.1.2.3',
    ]);
    assert.equal(
      sandboxCreateOptions(sandbox, { instance: 'a', network: 'w', image: 'p' }).HostConfig
        ?.ExtraHosts,
      undefined,
    );
  });

  it('makes a sandbox with labels, hostname, DNS and hostPorts on the pod network', () => {
    const body = sandboxCreateOptions(sandbox, {
      instance: 'node-a',
      network: 'wharf',
      image: 'wharf/pause:1',
    });
    assert.equal(body.Hostname, 'web-0');
    assert.equal(body.Labels?.[RuntimeLabels.kind], 'sandbox');
    assert.equal(body.Labels?.[RuntimeLabels.instance], 'node-a');
    assert.equal(body.Labels?.[RuntimeLabels.podUid], 'uid-1');
    assert.equal(body.HostConfig?.NetworkMode, 'wharf');
    assert.deepEqual(body.HostConfig?.Dns, ['10.96.0.10']);
    assert.deepEqual(body.HostConfig?.DnsSearch, ['shop.svc.cluster.local']);
    assert.deepEqual(body.HostConfig?.DnsOptions, ['ndots:5']);
    assert.deepEqual(body.HostConfig?.PortBindings, {
      '80/tcp': [{ HostPort: '8080' }],
      '53/udp': [{ HostIp: '127.0.0.1', HostPort: '5353' }],
    });
    const host = sandboxCreateOptions(
      { ...sandbox, hostNetwork: true },
      { instance: 'node-a', network: 'wharf', image: 'wharf/pause:1' },
    );
    assert.equal(host.HostConfig?.NetworkMode, 'host');
    assert.equal(host.Hostname, undefined);
  });

  const container: ContainerSpec = {
    podUid: 'uid-1',
    podName: 'web-0',
    namespace: 'shop',
    name: 'app',
    attempt: 3,
    hash: 'abc',
    image: 'app:v1',
    command: [],
    args: ['serve'],
    workingDir: '/srv',
    env: [{ name: 'MODE', value: 'prod' }],
    mounts: [{ hostPath: '/var/lib/wharf/v', containerPath: '/data', readOnly: true }],
    tty: false,
    stdin: true,
    stdinOnce: true,
    resources: { cpuRequestMillis: 250, cpuLimitMillis: 500, memoryLimitBytes: 64 << 20 },
  };

  it('joins the process namespace of the host, the sandbox or a target container', () => {
    const sandbox = { id: 'sb1', hostname: 'web-0', mounts: [] };
    const options = { instance: 'node-a', image: 'app:v1' };
    const pidOf = (processNamespace?: (typeof container)['processNamespace']) =>
      containerCreateOptions(
        { ...container, ...(processNamespace ? { processNamespace } : {}) },
        sandbox,
        options,
      ).HostConfig?.PidMode;
    assert.equal(pidOf(), undefined, 'a process namespace of its own');
    assert.equal(pidOf({ pod: true }), 'container:sb1');
    assert.equal(pidOf({ containerId: 'c7' }), 'container:c7');
    assert.equal(pidOf({ host: true }), 'host');
    const ipc = containerCreateOptions({ ...container, hostIPC: true }, sandbox, options);
    assert.equal(ipc.HostConfig?.IpcMode, 'host');
  });

  it('makes a container that joins its sandbox, with limits, mounts and HOSTNAME', () => {
    const body = containerCreateOptions(
      container,
      { id: 'sb1', hostname: 'web-0', mounts: [] },
      { instance: 'node-a', image: 'app:v1' },
    );
    assert.equal(body.HostConfig?.NetworkMode, 'container:sb1');
    assert.equal(body.HostConfig?.IpcMode, 'container:sb1');
    assert.deepEqual(body.Env, ['HOSTNAME=web-0', 'MODE=prod']);
    assert.equal(body.Entrypoint, undefined);
    assert.deepEqual(body.Cmd, ['serve']);
    assert.equal(body.WorkingDir, '/srv');
    assert.equal(body.OpenStdin, true);
    assert.equal(body.StdinOnce, true);
    assert.equal(body.HostConfig?.CpuShares, 256);
    assert.equal(body.HostConfig?.CpuPeriod, 100_000);
    assert.equal(body.HostConfig?.CpuQuota, 50_000);
    assert.equal(body.HostConfig?.Memory, 64 << 20);
    assert.equal(body.HostConfig?.MemorySwap, 64 << 20);
    assert.deepEqual(body.HostConfig?.Mounts, [
      { Type: 'bind', Source: '/var/lib/wharf/v', Target: '/data', ReadOnly: true },
    ]);
    assert.deepEqual(body.HostConfig?.LogConfig, {
      Type: 'json-file',
      Config: { 'max-size': '10m', 'max-file': '2' },
    });
    assert.equal(body.Labels?.[RuntimeLabels.attempt], '3');
    assert.equal(body.Labels?.[RuntimeLabels.hash], 'abc');
    assert.equal(body.Labels?.[RuntimeLabels.sandbox], 'sb1');
    assert.equal(body.Labels?.[RuntimeLabels.container], 'app');
  });

  it("mounts the pod's /etc files of an attached sandbox, unless the container mounts there", () => {
    const etc = [
      { hostPath: '/run/wharf/e/hosts', containerPath: '/etc/hosts', readOnly: false },
      { hostPath: '/run/wharf/e/resolv.conf', containerPath: '/etc/resolv.conf', readOnly: false },
    ];
    const own = { hostPath: '/srv/my-hosts', containerPath: '/etc/hosts', readOnly: true };
    const body = containerCreateOptions(
      { ...container, mounts: [own] },
      { id: 'sb1', hostname: 'web-0', mounts: etc },
      { instance: 'node-a', image: 'app:v1' },
    );
    assert.deepEqual(body.HostConfig?.Mounts, [
      {
        Type: 'bind',
        Source: '/run/wharf/e/resolv.conf',
        Target: '/etc/resolv.conf',
        ReadOnly: false,
      },
      { Type: 'bind', Source: '/srv/my-hosts', Target: '/etc/hosts', ReadOnly: true },
    ]);
  });

  it('makes an attached sandbox without the engine networking, keeping its hostPorts in a label', () => {
    const body = sandboxCreateOptions(sandbox, {
      instance: 'node-a',
      network: 'wharf',
      image: 'wharf/pause:1',
      attached: true,
    });
    assert.equal(body.NetworkDisabled, true);
    assert.equal(body.Hostname, 'web-0');
    assert.equal(body.HostConfig?.NetworkMode, undefined);
    assert.equal(body.HostConfig?.PortBindings, undefined);
    assert.equal(body.HostConfig?.Dns, undefined);
    assert.equal(body.HostConfig?.IpcMode, 'shareable');
    assert.equal(body.Labels?.[RuntimeLabels.kind], 'sandbox');
    assert.deepEqual(attachedPorts(body.Labels), [
      { containerPort: 80, hostPort: 8080, protocol: 'TCP' },
      { containerPort: 53, hostPort: 5353, protocol: 'UDP', hostIP: '127.0.0.1' },
    ]);
    assert.equal(attachedPorts({}), undefined, 'a sandbox the engine attached');
    const host = sandboxCreateOptions(
      { ...sandbox, hostNetwork: true },
      { instance: 'node-a', network: 'wharf', image: 'wharf/pause:1', attached: true },
    );
    assert.equal(host.HostConfig?.NetworkMode, 'host', "the host network is the engine's");
    assert.equal(attachedPorts(host.Labels), undefined);
  });

  it('leaves a HOSTNAME the pod sets itself alone', () => {
    const body = containerCreateOptions(
      { ...container, env: [{ name: 'HOSTNAME', value: 'mine' }] },
      { id: 'sb1', hostname: 'web-0', mounts: [] },
      { instance: 'node-a', image: 'app:v1' },
    );
    assert.deepEqual(body.Env, ['HOSTNAME=mine']);
  });
});
