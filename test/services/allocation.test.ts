import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../support/cluster.ts';
import { KUBECTL, kubectl, kubectlOk } from '../support/kubectl.ts';

// Cluster IPs and node ports through real kubectl: allocation from the service range,
// requested values honoured or refused with Kubernetes' messages, values carried over
// updates and released on delete, and no double allocation after a restart.

interface Svc {
  spec: {
    type: string;
    clusterIP?: string;
    clusterIPs?: string[];
    ipFamilies?: string[];
    ports: { port: number; nodePort?: number; targetPort?: number }[];
  };
}

describe('service cluster IPs and node ports', () => {
  let cluster: TestCluster;
  const k = (...args: string[]) => kubectlOk(KUBECTL, cluster.kubectlArgs, args);
  const fails = async (args: string[], input?: string) => {
    const r = await kubectl(KUBECTL, cluster.kubectlArgs, args, input ? { input } : {});
    assert.notEqual(r.code, 0, `kubectl ${args.join(' ')} should fail`);
    return r.stderr.trim();
  };
  const get = async (name: string, ns = 'default') =>
    JSON.parse(await k('get', 'service', name, '-n', ns, '-o', 'json')) as Svc;
  const svcYaml = (name: string, spec: string) =>
    `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n${spec}\n`;
  const apply = (yaml: string) =>
    kubectlOk(KUBECTL, cluster.kubectlArgs, ['create', '-f', '-'], { input: yaml });

  before(async () => {
    cluster = await startTestCluster();
  });
  after(async () => {
    await cluster?.close();
  });

  it('gives the kubernetes service the first address of the range', async () => {
    const svc = await get('kubernetes');
    assert.equal(svc.spec.clusterIP, '10.96.0.1');
    assert.deepEqual(
      svc.spec.ports.map((p) => p.port),
      [443],
    );
    assert.equal(svc.spec.ports[0]!.targetPort, Number(new URL(cluster.url).port));
  });

  it('allocates a cluster IP from 10.96.0.0/12 with its IP family', async () => {
    await k('create', 'service', 'clusterip', 'web', '--tcp=80:8080');
    const svc = await get('web');
    assert.match(svc.spec.clusterIP!, /^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
    assert.deepEqual(svc.spec.clusterIPs, [svc.spec.clusterIP]);
    assert.deepEqual(svc.spec.ipFamilies, ['IPv4']);
    const table = await k('get', 'service', 'web');
    assert.match(
      table,
      new RegExp(
        `web\\s+ClusterIP\\s+${svc.spec.clusterIP!.replace(/\./g, '\\.')}\\s+<none>\\s+80/TCP`,
      ),
    );
  });

  it('honours a requested cluster IP and refuses it twice, or outside the range', async () => {
    await apply(svcYaml('fixed', '  clusterIP: 10.96.100.100\n  ports:\n  - port: 80'));
    assert.equal((await get('fixed')).spec.clusterIP, '10.96.100.100');
    const taken = await fails(
      ['create', '-f', '-'],
      svcYaml('fixed2', '  clusterIP: 10.96.100.100\n  ports:\n  - port: 80'),
    );
    assert.match(
      taken,
      /The Service "fixed2" is invalid: spec.clusterIPs: Invalid value: \[\]string\{"10.96.100.100"\}: failed to allocate IP 10.96.100.100: provided IP is already allocated/,
    );
    const outside = await fails(
      ['create', '-f', '-'],
      svcYaml('outside', '  clusterIP: 10.0.0.1\n  ports:\n  - port: 80'),
    );
    assert.match(
      outside,
      /spec.clusterIPs: Invalid value: \[\]string\{"10.0.0.1"\}: failed to allocate IP 10.0.0.1: the provided IP \(10.0.0.1\) is not in the valid range. The range of valid IPs is 10.96.0.0\/12/,
    );
    // Released on delete: the address can be asked for again.
    await k('delete', 'service', 'fixed');
    await apply(svcYaml('fixed2', '  clusterIP: 10.96.100.100\n  ports:\n  - port: 80'));
    assert.equal((await get('fixed2')).spec.clusterIP, '10.96.100.100');
  });

  it('refuses IPv6 and dual-stack on this single-stack cluster, as kube-apiserver does', async () => {
    const v6 = await fails(
      ['create', '-f', '-'],
      svcYaml('v6', '  ipFamilies: [IPv6]\n  ports:\n  - port: 80'),
    );
    assert.match(
      v6,
      /The Service "v6" is invalid: spec.ipFamilies\[0\]: Invalid value: "IPv6": not configured on this cluster/,
    );
    const dual = await fails(
      ['create', '-f', '-'],
      svcYaml('dual', '  ipFamilyPolicy: RequireDualStack\n  ports:\n  - port: 80'),
    );
    assert.match(
      dual,
      /spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services/,
    );
    const v6ip = await fails(
      ['create', '-f', '-'],
      svcYaml('v6ip', '  clusterIP: fd00::10\n  ports:\n  - port: 80'),
    );
    assert.match(
      v6ip,
      /spec.clusterIPs\[0\]: Invalid value: .*IPv6 is not configured on this cluster/,
    );
    // PreferDualStack falls back to the one family there is.
    await apply(svcYaml('prefer', '  ipFamilyPolicy: PreferDualStack\n  ports:\n  - port: 80'));
    const prefer = await get('prefer');
    assert.deepEqual(prefer.spec.ipFamilies, ['IPv4']);
    assert.equal(prefer.spec.clusterIPs?.length, 1);
    // A headless service without a selector gets no address and may name any family.
    await apply(svcYaml('bare', '  clusterIP: None\n  ipFamilies: [IPv6]\n  ports:\n  - port: 80'));
    for (const name of ['v6', 'dual', 'v6ip']) {
      assert.match(await fails(['get', 'service', name]), /NotFound|not found/);
    }
  });

  it('allocates node ports, refuses taken and out-of-range ones, shares one across protocols', async () => {
    await apply(svcYaml('np', '  type: NodePort\n  ports:\n  - port: 80\n    nodePort: 30080'));
    assert.equal((await get('np')).spec.ports[0]!.nodePort, 30080);
    const taken = await fails(
      ['create', '-f', '-'],
      svcYaml('np2', '  type: NodePort\n  ports:\n  - port: 80\n    nodePort: 30080'),
    );
    assert.match(
      taken,
      /The Service "np2" is invalid: spec.ports\[0\].nodePort: Invalid value: 30080: provided port is already allocated/,
    );
    const low = await fails(
      ['create', '-f', '-'],
      svcYaml('np3', '  type: NodePort\n  ports:\n  - port: 80\n    nodePort: 80'),
    );
    assert.match(
      low,
      /spec.ports\[0\].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767/,
    );
    await apply(
      svcYaml(
        'dns-like',
        '  type: NodePort\n  ports:\n  - name: dns\n    port: 53\n    protocol: UDP\n  - name: dns-tcp\n    port: 53\n    protocol: TCP',
      ),
    );
    const ports = (await get('dns-like')).spec.ports.map((p) => p.nodePort!);
    assert.ok(ports[0]! >= 30000 && ports[0]! <= 32767, `node port ${ports[0]}`);
    assert.equal(ports[1], ports[0]);
    // Taken by nobody else, and the refused services took nothing.
    await apply(svcYaml('np4', '  type: NodePort\n  ports:\n  - port: 81'));
    assert.notEqual((await get('np4')).spec.ports[0]!.nodePort, 30080);
  });

  it('carries allocations over updates, and drops node ports when the type goes back to ClusterIP', async () => {
    await k('create', 'service', 'clusterip', 'flip', '--tcp=80:80');
    const ip = (await get('flip')).spec.clusterIP;
    await k('patch', 'service', 'flip', '-p', '{"spec":{"type":"NodePort"}}');
    const asNodePort = await get('flip');
    assert.equal(asNodePort.spec.clusterIP, ip);
    const np = asNodePort.spec.ports[0]!.nodePort!;
    assert.ok(np >= 30000 && np <= 32767);
    await k('patch', 'service', 'flip', '-p', '{"spec":{"type":"ClusterIP"}}');
    const back = await get('flip');
    assert.equal(back.spec.ports[0]!.nodePort, undefined);
    // The port went back to the pool.
    await apply(svcYaml('reuse', `  type: NodePort\n  ports:\n  - port: 80\n    nodePort: ${np}`));
    // A replace that leaves out clusterIP keeps it.
    await kubectlOk(KUBECTL, cluster.kubectlArgs, ['replace', '-f', '-'], {
      input: svcYaml('flip', '  ports:\n  - port: 8080'),
    });
    assert.equal((await get('flip')).spec.clusterIP, ip);
    assert.match(
      await fails([
        'patch',
        'service',
        'flip',
        '-p',
        '{"spec":{"clusterIP":"10.96.5.5","clusterIPs":["10.96.5.5"]}}',
      ]),
      /spec.clusterIPs\[0\]: Invalid value: \[\]string\{"10.96.5.5"\}: may not change once set/,
    );
  });

  it('gives headless and ExternalName services no address', async () => {
    await apply(svcYaml('headless', '  clusterIP: None\n  ports:\n  - port: 80'));
    assert.equal((await get('headless')).spec.clusterIP, 'None');
    await k('create', 'service', 'externalname', 'ext', '--external-name', 'example.test');
    assert.equal((await get('ext')).spec.clusterIP, undefined);
  });

  it('keeps every allocation across a restart', async () => {
    await cluster.stop();
    cluster = await startTestCluster({ dataDir: cluster.dataDir });
    const taken = await fails(
      ['create', '-f', '-'],
      svcYaml('again', '  clusterIP: 10.96.100.100\n  ports:\n  - port: 80'),
    );
    assert.match(taken, /provided IP is already allocated/);
    const np = await fails(
      ['create', '-f', '-'],
      svcYaml('again', '  type: NodePort\n  ports:\n  - port: 80\n    nodePort: 30080'),
    );
    assert.match(np, /provided port is already allocated/);
  });
});

describe('the kubernetes service endpoints', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster({ host: '0.0.0.0' });
  });
  after(async () => {
    await cluster?.close();
  });

  it('lists the API server address and port', async () => {
    const out = await kubectlOk(KUBECTL, cluster.kubectlArgs, [
      'get',
      'endpoints',
      'kubernetes',
      '-o',
      'json',
    ]);
    const ep = JSON.parse(out) as {
      subsets: { addresses: { ip: string }[]; ports: { port: number }[] }[];
    };
    assert.equal(ep.subsets.length, 1);
    assert.ok(!ep.subsets[0]!.addresses[0]!.ip.startsWith('127.'));
    assert.equal(ep.subsets[0]!.ports[0]!.port, Number(new URL(cluster.url).port));
    const slice = await kubectlOk(KUBECTL, cluster.kubectlArgs, [
      'get',
      'endpointslice',
      'kubernetes',
      '-o',
      'json',
    ]);
    assert.equal((JSON.parse(slice) as { endpoints: unknown[] }).endpoints.length, 1);
  });
});
