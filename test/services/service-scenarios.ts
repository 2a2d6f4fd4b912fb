import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../support/cluster.ts';
import { KUBECTL, kubectl } from '../support/kubectl.ts';
import { lockKernelRules } from '../support/kernel-lock.ts';
import { until } from '../support/until.ts';

// The classic guide's service steps for real, through kubectl, with the node's agent,
// service proxy and cluster DNS: a ReplicationController behind a service, its cluster
// IP answering from the host, requests spread over every replica, pods killed while a
// bounded loop of requests keeps being answered, NodePort and LoadBalancer on the node's
// address, a pod leaving the rotation when it turns unready, service variables, and
// names resolved in a pod through the node's cluster DNS (docker gives pods their
// resolv.conf; the process runtime bind-mounts one over /etc/resolv.conf as root).

export interface ServiceScenarioOptions {
  runtime: 'docker' | 'process';
  proxyMode: 'kernel' | 'userspace';
  image: () => Promise<string>;
  skip: string | false;
}

type Json = Record<string, any>;

/** Serves `served by <pod>` on 8080; unready while /tmp/www-<pod>/unready exists. */
const SERVE =
  'mkdir -p /tmp/www-$HOSTNAME && echo served by $HOSTNAME > /tmp/www-$HOSTNAME/index.html && exec busybox httpd -f -p 8080 -h /tmp/www-$HOSTNAME';

export function runServiceScenarios(opts: ServiceScenarioOptions): void {
  describe(
    `services on the ${opts.runtime} runtime (${opts.proxyMode} proxy)`,
    { skip: opts.skip, timeout: 600_000 },
    () => {
      let cluster: TestCluster;
      let image: string;
      const node = `svc-${opts.runtime}`;
      const k = (args: string[], input?: string) =>
        kubectl(KUBECTL, cluster.kubectlArgs, args, {
          ...(input ? { input } : {}),
          timeoutMs: 60_000,
        });
      const ok = async (args: string[], input?: string) => {
        const r = await k(args, input);
        assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
        return r.stdout;
      };
      const getJson = async (...args: string[]): Promise<Json> =>
        JSON.parse(await ok(['get', ...args, '-o', 'json']));
      const readyAddresses = async (svc: string): Promise<string[]> => {
        const ep = await getJson('endpoints', svc);
        return (ep.subsets ?? []).flatMap((s: Json) => (s.addresses ?? []).map((a: Json) => a.ip));
      };
      const clusterIP = async (svc: string) =>
        (await getJson('service', svc)).spec.clusterIP as string;

      let unlock: (() => void) | undefined;
      before(async () => {
        // Kernel rules, and the node DNS on the pod gateway's port 53: one cluster at a time.
        unlock = await lockKernelRules();
        image = await opts.image();
        cluster = await startTestCluster({
          host: '0.0.0.0',
          agent: { runtime: opts.runtime, nodeName: node, network: { proxyMode: opts.proxyMode } },
        });
      });
      after(async () => {
        // Every namespace: pods outlive the cluster on the process runtime (as after an agent
        // restart), so one left in `other` would run on after the test.
        await k(['delete', 'rc', '--all', '--all-namespaces', '--grace-period=1', '--wait=false']);
        await k(['delete', 'pods', '--all', '--all-namespaces', '--grace-period=1']);
        await cluster?.close();
        unlock?.();
      });

      it('answers on the cluster IP of a service over a ReplicationController', async () => {
        const rc = {
          apiVersion: 'v1',
          kind: 'ReplicationController',
          metadata: { name: 'hello' },
          spec: {
            replicas: 1,
            selector: { app: 'hello' },
            template: {
              metadata: { labels: { app: 'hello' } },
              spec: {
                terminationGracePeriodSeconds: 5,
                containers: [
                  {
                    name: 'web',
                    image,
                    imagePullPolicy: 'IfNotPresent',
                    command: ['sh', '-c', SERVE],
                    ports: [{ containerPort: 8080, name: 'http' }],
                    // Ready only once httpd answers: a probe that passes before the server
                    // listens puts a replacement pod in rotation a moment too early.
                    readinessProbe: {
                      exec: {
                        command: [
                          'sh',
                          '-c',
                          // busybox's nc: the host may have no wget, and the image's
                          // static busybox wget is not relied on (see the DNS test below).
                          "test ! -f /tmp/www-$HOSTNAME/unready && printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 1 127.0.0.1 8080 | grep -q '200 OK'",
                        ],
                      },
                      periodSeconds: 1,
                    },
                    // Keeps serving while the endpoint is withdrawn (zero-downtime deletes).
                    lifecycle: { preStop: { exec: { command: ['sleep', '2'] } } },
                  },
                ],
              },
            },
          },
        };
        await ok(['create', '-f', '-'], JSON.stringify(rc));
        await ok(['expose', 'rc', 'hello', '--port=80', '--target-port=http']);
        await until('one ready endpoint', async () =>
          (await readyAddresses('hello')).length === 1 ? true : undefined,
        );
        const ip = await clusterIP('hello');
        const body = await until('an answer on the cluster IP', () => get(ip, 80));
        assert.match(body, /^served by hello-[a-z0-9]{5}$/);
      });

      it('spreads requests over all three replicas after scaling', async () => {
        await ok(['scale', 'rc', 'hello', '--replicas=3']);
        await until('three ready endpoints', async () =>
          (await readyAddresses('hello')).length === 3 ? true : undefined,
        );
        const ip = await clusterIP('hello');
        const seen = new Set<string>();
        for (let i = 0; i < 90 && seen.size < 3; i++) seen.add(await get(ip, 80));
        assert.equal(seen.size, 3, `answers came from ${[...seen].join(', ')}`);
      });

      it('keeps answering while two pods are killed and replaced', async () => {
        const ip = await clusterIP('hello');
        const pods = (await getJson('pods', '-l', 'app=hello')).items.map(
          (p: Json) => p.metadata.name as string,
        );
        const deleted = ok(['delete', 'pod', pods[0], pods[1], '--wait=false']);
        const failures: string[] = [];
        let answers = 0;
        const deadline = Date.now() + 6_000;
        for (let i = 0; i < 300 && Date.now() < deadline; i++) {
          try {
            await get(ip, 80);
            answers++;
          } catch (err) {
            failures.push(`${new Date().toISOString()} ${(err as Error).message}`);
          }
          await new Promise((r) => setTimeout(r, 20));
        }
        await deleted;
        assert.deepEqual(
          failures,
          [],
          `${failures.length} of ${answers + failures.length} requests failed`,
        );
        await until('three ready endpoints again', async () =>
          (await readyAddresses('hello')).length === 3 ? true : undefined,
        );
      });

      it('takes a pod that turns unready out of the rotation', async () => {
        const ip = await clusterIP('hello');
        const victim = (await getJson('pods', '-l', 'app=hello')).items.find(
          (p: Json) => !p.metadata.deletionTimestamp,
        ).metadata.name as string;
        await ok(['exec', victim, '--', 'sh', '-c', 'touch /tmp/www-$HOSTNAME/unready']);
        await until('the pod leaves the endpoints', async () =>
          (await readyAddresses('hello')).length === 2 ? true : undefined,
        );
        // The proxy follows the EndpointSlice a moment after the API has it: thirty answers
        // in a row, none of them from the victim, once it has.
        await until('thirty answers without the unready pod', async () => {
          for (let i = 0; i < 30; i++) if ((await get(ip, 80)) === `served by ${victim}`) return;
          return true;
        });
        await ok(['exec', victim, '--', 'sh', '-c', 'rm /tmp/www-$HOSTNAME/unready']);
        await until('the pod is back', async () =>
          (await readyAddresses('hello')).length === 3 ? true : undefined,
        );
      });

      it('publishes NodePort and LoadBalancer services on the node address', async () => {
        await ok([
          'expose',
          'rc',
          'hello',
          '--name=hello-np',
          '--type=NodePort',
          '--port=80',
          '--target-port=8080',
        ]);
        const np = (await getJson('service', 'hello-np')).spec.ports[0].nodePort as number;
        const nodeIP = (await getJson('node', node)).status.addresses.find(
          (a: Json) => a.type === 'InternalIP',
        ).address as string;
        assert.match(await until('the node port', () => get(nodeIP, np)), /^served by hello-/);
        await ok([
          'expose',
          'rc',
          'hello',
          '--name=hello-lb',
          '--type=LoadBalancer',
          '--port=8081',
          '--target-port=8080',
        ]);
        const ingress = await until('a load-balancer ingress', async () => {
          const s = await getJson('service', 'hello-lb');
          return s.status?.loadBalancer?.ingress?.[0]?.ip as string | undefined;
        });
        assert.equal(ingress, nodeIP);
        assert.match(
          await until('the load-balancer address', () => get(ingress, 8081)),
          /^served by hello-/,
        );
        const table = await ok(['get', 'service', 'hello-lb']);
        assert.match(
          table,
          new RegExp(
            `hello-lb\\s+LoadBalancer\\s+\\S+\\s+${ingress.replace(/\./g, '\\.')}\\s+8081:\\d+/TCP`,
          ),
        );
      });

      it('gives pods created after the service its variables', async () => {
        const ip = await clusterIP('hello');
        const pod = {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'client' },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                name: 'c',
                image,
                imagePullPolicy: 'IfNotPresent',
                command: ['sh', '-c', 'exec sleep 3600'],
              },
            ],
          },
        };
        await ok(['create', '-f', '-'], JSON.stringify(pod));
        await ok(['wait', '--for=condition=Ready', 'pod/client', '--timeout=60s']);
        const env = await ok([
          'exec',
          'client',
          '--',
          'sh',
          '-c',
          'echo $HELLO_SERVICE_HOST:$HELLO_SERVICE_PORT $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT',
        ]);
        assert.equal(env.trim(), `${ip}:80 10.96.0.1:443`);
      });

      it('resolves service names from inside a pod, across namespaces', async () => {
        const ip = await clusterIP('hello');
        // Process pods run the host's programs: busybox's applets by their full name.
        const bb = opts.runtime === 'process' ? ['busybox'] : [];
        // busybox is static: its wget and nc cannot resolve (glibc NSS; wget crashes even on
        // an address), but its nslookup
        // reads resolv.conf and applies the search list itself.
        const resolvConf = await ok(['exec', 'client', '--', 'cat', '/etc/resolv.conf']);
        assert.match(
          resolvConf,
          /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local\b/m,
        );
        assert.match(resolvConf, /^options ndots:5$/m);
        // The pod's own name in its hosts file, as Docker and the kubelet write it.
        const podIP = (await getJson('pod', 'client')).status.podIP as string;
        const hosts = await ok(['exec', 'client', '--', 'cat', '/etc/hosts']);
        assert.match(hosts, new RegExp(`^${podIP.replace(/\./g, '\\.')}\\s+client$`, 'm'));
        assert.match(hosts, /^127\.0\.0\.1\s+localhost$/m);
        const lookup = async (pod: string, ns: string, name: string) => {
          const r = await k(['exec', '-n', ns, pod, '--', ...bb, 'nslookup', name]);
          const m = /Name:\s+(\S+)\nAddress:\s+(\S+)/.exec(r.stdout);
          return m ? { name: m[1]!, address: m[2]! } : undefined;
        };
        assert.deepEqual(await lookup('client', 'default', 'hello'), {
          name: 'hello.default.svc.cluster.local',
          address: ip,
        });
        assert.equal(
          (await lookup('client', 'default', 'hello.default.svc.cluster.local'))?.address,
          ip,
        );
        assert.equal((await lookup('client', 'default', 'kubernetes'))?.address, '10.96.0.1');
        assert.equal(
          await lookup('client', 'default', 'missing.default.svc.cluster.local'),
          undefined,
        );
        // The address a name gives leads to the pods.
        const body = await ok([
          'exec',
          'client',
          '--',
          'sh',
          '-c',
          `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | ${bb.join('')} nc -w 3 ${ip} 80`,
        ]);
        assert.match(body, /served by hello-/);
        const api = await k([
          'exec',
          'client',
          '--',
          'sh',
          '-c',
          `echo | ${bb.join('')} nc -w 3 10.96.0.1 443 && echo connected`,
        ]);
        assert.match(api.stdout, /connected/, api.stderr);

        await ok(['create', 'namespace', 'other']);
        const other = {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'other-client', namespace: 'other' },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                name: 'c',
                image,
                imagePullPolicy: 'IfNotPresent',
                command: ['sh', '-c', 'exec sleep 3600'],
              },
            ],
          },
        };
        await ok(['create', '-f', '-'], JSON.stringify(other));
        await ok([
          'wait',
          '-n',
          'other',
          '--for=condition=Ready',
          'pod/other-client',
          '--timeout=60s',
        ]);
        assert.deepEqual(await lookup('other-client', 'other', 'hello.default.svc.cluster.local'), {
          name: 'hello.default.svc.cluster.local',
          address: ip,
        });
        if (opts.runtime === 'process') {
          // The host's C library, as `curl http://frontend.development` resolves: the search
          // list with ndots:5 turns `svc` and `svc.ns` into cluster names. (busybox nslookup
          // tries the search list on dot-less names only; the docker test image has no libc.)
          const ipPattern = ip.replace(/\./g, '\\.');
          const getent = async (pod: string, ns: string, name: string) =>
            (await ok(['exec', '-n', ns, pod, '--', 'getent', 'hosts', name])).trim();
          assert.match(await getent('client', 'default', 'hello'), new RegExp(`^${ipPattern}\\s`));
          assert.match(
            await getent('other-client', 'other', 'hello.default'),
            new RegExp(`^${ipPattern}\\s+hello\\.default\\.svc\\.cluster\\.local$`),
          );
        }
        assert.equal(
          await lookup('other-client', 'other', 'hello'),
          undefined,
          'hello is not a service of namespace other',
        );
      });

      it('lets a pod use the API as an in-cluster client, through the kubernetes service', async () => {
        // kubectl without a kubeconfig is an in-cluster client: it reads
        // KUBERNETES_SERVICE_HOST/PORT and the token and CA that the ServiceAccount
        // admission mounted, and verifies the server as 10.96.0.1. It is a static binary:
        // a docker pod gets the host's through a hostPath.
        const binary = fs.realpathSync(KUBECTL);
        const docker = opts.runtime === 'docker';
        const script =
          'k=$1; $k get service kubernetes -o jsonpath={.spec.clusterIP} && echo && $k auth whoami -o jsonpath={.status.userInfo.username}';
        const pod = {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'in-cluster' },
          spec: {
            restartPolicy: 'Never',
            containers: [
              {
                name: 'c',
                image,
                imagePullPolicy: 'IfNotPresent',
                command: ['sh', '-c', script, 'sh', docker ? '/usr/local/bin/kubectl' : binary],
                env: [{ name: 'HOME', value: '/tmp' }],
                ...(docker
                  ? { volumeMounts: [{ name: 'kubectl', mountPath: '/usr/local/bin/kubectl' }] }
                  : {}),
              },
            ],
            ...(docker
              ? { volumes: [{ name: 'kubectl', hostPath: { path: binary, type: 'File' } }] }
              : {}),
          },
        };
        await ok(['create', '-f', '-'], JSON.stringify(pod));
        const phase = await until('the in-cluster pod ends', async () => {
          const p = await getJson('pod', 'in-cluster');
          return ['Succeeded', 'Failed'].includes(p.status?.phase) ? p.status.phase : undefined;
        });
        const logs = await ok(['logs', 'in-cluster']);
        assert.equal(phase, 'Succeeded', logs);
        assert.deepEqual(logs.trim().split('\n'), [
          '10.96.0.1',
          'system:serviceaccount:default:default',
        ]);
      });
    },
  );
}

/** One GET on a fresh connection; the body, trimmed. */
function get(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: 3_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(body.trim()) : reject(new Error(`HTTP ${res.statusCode}`)),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}
