import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { bridgeAddressPinArgs } from '../../../network/index.ts';
import { SYSTEM_PATH, type RunStep, type Spawner, type StepResult } from '../host/index.ts';
import { AttachQueue } from './attach-queue.ts';
import {
  legacyTearDownStep,
  netnsPath,
  portmapStep,
  pluginFailure,
  type CniNetwork,
  type CniTools,
  type PodAttachment,
} from './cni.ts';
import { AddressPool, gatewayOf, parseSubnet } from './ipam.ts';

// A pod's network: the network namespace, a veth pair from the namespace's eth0 to the
// bridge (hairpin on), an address from the pool (ipam.ts) with a default route through
// the bridge, and `lo` up — what the CNI plugins loopback, bridge (isGateway, hairpinMode)
// and host-local do, with `ip -batch` instead of three plugin executions: the host's
// side with other pods' in one run, the pod's own in another (attach-queue.ts). The
// plugins cost ~40 ms of CPU per pod, most of it the bridge plugin's per-pod masquerade
// chain in iptables; here masquerading is one rule set per network, made once (ensure()).
// hostPorts still go through the CNI `portmap` plugin, given the result the bridge plugin
// would have returned. Every process involved is started by the spawner, never the agent.
//
// A pod attached this way is recognised by the host end of its veth in the sandbox record;
// sandboxes of agents before it are released with the plugins' DEL (cni.ts).

export interface PodNetworkTools extends CniTools {
  /** For the masquerade rules; without them pods cannot reach beyond the node. */
  iptables?: string;
  iptablesRestore?: string;
}

/** What the sandbox record keeps of a pod attached here. */
export interface PodLink {
  hostVeth: string;
  /** Absent only when the agent died between reserving an address and recording it. */
  address?: string;
}

const IFNAME = 'eth0';

export interface PodNetworkOptions {
  /** The bridge's address; default the subnet's first. */
  gateway?: string;
  /**
   * Who made the bridge and its rules, when not this runtime (the docker engine): then
   * they are used as they are, and a missing bridge is that owner's to make.
   */
  bridgeOwner?: string;
  /** A CIDR inside the subnet that pod addresses come from; default all of it (ipam.ts). */
  range?: string;
}

export function hostVethName(sandboxId: string): string {
  return `wh${sandboxId.slice(0, 12)}`; // at most 15 characters (IFNAMSIZ)
}

/** The masquerade chain of a network: its name hashed, as chain names are short. */
function masqueradeChain(network: CniNetwork): string {
  const digest = createHash('sha256').update(`${network.name}\0${network.subnet}`).digest('hex');
  return `WHARF-MASQ-${digest.slice(0, 12)}`;
}

/** Synchronous: sysfs and /run/netns answer at once, a busy event loop may not. */
const exists = existsSync;

function failure(what: string, r: StepResult | undefined): Error {
  const why = r?.error ?? (r?.stderr.trim() || r?.stdout.trim() || `exit ${r?.code}`);
  return new Error(`${what}: ${why}`);
}

export class PodNetwork {
  readonly network: CniNetwork;
  readonly #spawner: Spawner;
  readonly #tools: PodNetworkTools;
  readonly #pool: AddressPool;
  readonly #gateway: string;
  readonly #prefix: number;
  #ensured?: Promise<void>;
  #ready = false;
  readonly #attachments: AttachQueue;

  readonly #bridgeOwner: string | undefined;

  constructor(
    spawner: Spawner,
    tools: PodNetworkTools,
    network: CniNetwork,
    options: PodNetworkOptions = {},
  ) {
    this.#spawner = spawner;
    this.#tools = tools;
    this.network = network;
    this.#pool = new AddressPool(
      network.name,
      network.subnet,
      options.range ? { range: options.range } : {},
    );
    this.#gateway = options.gateway ?? gatewayOf(network.subnet);
    this.#bridgeOwner = options.bridgeOwner;
    this.#prefix = parseSubnet(network.subnet).prefix;
    this.#attachments = new AttachQueue(spawner, tools.ip);
  }

  /**
   * The bridge with the gateway address, forwarding on, and masquerading of what leaves
   * the subnet (CNI's isGateway and ipMasq). Idempotent; agents on one machine share it.
   */
  ensure(): Promise<void> {
    this.#ensured ??= this.#ensure()
      .then(() => void (this.#ready = true))
      .finally(() => (this.#ensured = undefined));
    return this.#ensured;
  }

  async #ensure(): Promise<void> {
    const { ip, iptables, iptablesRestore } = this.#tools;
    const { bridge, subnet, name } = this.network;
    if (this.#bridgeOwner) {
      if (!exists(`/sys/class/net/${bridge}`)) {
        throw new Error(`the bridge ${bridge} of ${name} is gone; ${this.#bridgeOwner} makes it`);
      }
      if (iptables) await this.#acceptHostPorts(iptables);
      return;
    }
    const steps: RunStep[] = [
      { file: ip, args: ['link', 'add', bridge, 'type', 'bridge'], tolerate: true },
      {
        file: ip,
        args: ['addr', 'replace', `${this.#gateway}/${this.#prefix}`, 'dev', bridge],
      },
      { file: ip, args: ['link', 'set', bridge, 'up'] },
    ];
    if (iptables && iptablesRestore) {
      const chain = masqueradeChain(this.network);
      // --noflush replaces only the chain declared here, atomically.
      const rules = [
        '*nat',
        `:${chain} - [0:0]`,
        `-A ${chain} -d ${subnet} -j RETURN`,
        `-A ${chain} -d 224.0.0.0/4 -j RETURN`,
        `-A ${chain} -j MASQUERADE`,
        'COMMIT',
        '',
      ].join('\n');
      const jump = ['-s', subnet, '-m', 'comment', '--comment', `wharf pods of ${name}`];
      const addOnce =
        'ipt=$1; shift; "$ipt" -w -t nat -C POSTROUTING "$@" 2>/dev/null || "$ipt" -w -t nat -A POSTROUTING "$@"';
      steps.push(
        { file: iptablesRestore, args: ['-w', '--noflush'], input: rules },
        {
          file: '/bin/sh',
          args: ['-c', addOnce, 'sh', iptables, ...jump, '-j', chain],
          env: { PATH: SYSTEM_PATH },
        },
      );
    }
    const results = await this.#spawner.run(steps);
    const bad = steps.findIndex((step, i) => {
      const r = results[i];
      return !step.tolerate && (!r || r.code !== 0 || r.error);
    });
    if (bad >= 0) {
      const command = [steps[bad]!.file, ...steps[bad]!.args].join(' ');
      throw failure(`setting up the pod network ${name} (${command})`, results[bad]);
    }
    const pin = bridgeAddressPinArgs(bridge);
    if (pin) {
      const [r] = await this.#spawner.run([{ file: ip, args: pin }]);
      if (!r || r.code !== 0 || r.error) {
        throw failure(`setting up the pod network ${name} (${ip} ${pin.join(' ')})`, r);
      }
    }
    await writeFile('/proc/sys/net/ipv4/ip_forward', '1');
  }

  /**
   * Lets hostPort traffic from other machines through FORWARD to the bridge. The owner's
   * rules (docker's: a DROP policy, and ACCEPT only for the ports it published itself)
   * would drop what portmap translated; kube-proxy lets its own through the same way.
   */
  async #acceptHostPorts(iptables: string): Promise<void> {
    const { bridge, name } = this.network;
    const rule = ['-o', bridge, '-m', 'conntrack', '--ctstate', 'DNAT'];
    const comment = ['-m', 'comment', '--comment', `wharf hostPorts of pods of ${name}`];
    const insertOnce =
      'ipt=$1; shift; "$ipt" -w -C FORWARD "$@" 2>/dev/null || "$ipt" -w -I FORWARD "$@"';
    const [r] = await this.#spawner.run([
      {
        file: '/bin/sh',
        args: ['-c', insertOnce, 'sh', iptables, ...rule, ...comment, '-j', 'ACCEPT'],
        env: { PATH: SYSTEM_PATH },
      },
    ]);
    if (!r || r.code !== 0 || r.error) {
      throw failure(`letting hostPort traffic through to ${bridge}`, r);
    }
  }

  /** Attaches the pod; returns its address. Undoes what it did when it fails. */
  async setUp(a: PodAttachment, link: PodLink): Promise<string> {
    // Again when it failed before, or the bridge went: the pod's failure then says why.
    if (!this.#ready || !exists(`/sys/class/net/${this.network.bridge}`)) {
      await this.ensure();
    }
    const address = await this.#pool.allocate(a.sandboxId, IFNAME);
    link.address = address;
    const { ip } = this.#tools;
    const steps: RunStep[] = [
      {
        file: ip,
        args: ['-n', a.netns, '-batch', '-'],
        input: [
          'link set lo up',
          `addr add ${address}/${this.#prefix} dev ${IFNAME}`,
          `link set ${IFNAME} up`,
          `route add default via ${this.#gateway} dev ${IFNAME}`,
          '',
        ].join('\n'),
      },
    ];
    const portmap = portmapStep(this.#tools, a, 'ADD', this.#result(a, link, address));
    if (portmap) {
      if (!this.#tools.portmap) {
        await this.tearDown(a, link).catch(() => undefined);
        throw new Error(
          `hostPort needs the CNI portmap plugin, not found in ${this.#tools.cniBinDir}`,
        );
      }
      steps.push(portmap);
    }
    try {
      await this.#attachments.attach({
        hostLines: [
          // A namespace made elsewhere (a container's) is given a name; else one is made.
          a.pid ? `netns attach ${a.netns} ${a.pid}` : `netns add ${a.netns}`,
          `link add ${link.hostVeth} type veth peer name ${IFNAME} netns ${a.netns}`,
          `link set ${link.hostVeth} master ${this.network.bridge} up`,
          `link set ${link.hostVeth} type bridge_slave hairpin on`,
        ],
        steps,
        failure: (i, r) =>
          i === 1
            ? new Error(`CNI ADD with portmap failed: ${pluginFailure(r.stdout, r.stderr)}`)
            : failure('ip (in the namespace)', r),
      });
    } catch (err) {
      await this.tearDown(a, link).catch(() => undefined);
      throw err;
    }
    return address;
  }

  /** Detaches the pod, deletes its namespace, releases its address. Idempotent. */
  async tearDown(a: PodAttachment, link: PodLink): Promise<void> {
    const { ip } = this.#tools;
    const steps: RunStep[] = [];
    const portmap = this.#tools.portmap ? portmapStep(this.#tools, a, 'DEL') : undefined;
    if (portmap) steps.push(portmap);
    if (exists(netnsPath(a.netns))) {
      // The veth goes explicitly: a process left in the namespace would keep it alive.
      steps.push({ file: ip, args: ['-n', a.netns, 'link', 'del', IFNAME], tolerate: true });
      steps.push({ file: ip, args: ['netns', 'delete', a.netns] });
    }
    if (exists(`/sys/class/net/${link.hostVeth}`)) {
      steps.push({ file: ip, args: ['link', 'del', link.hostVeth], tolerate: true });
    }
    if (steps.length > 0) {
      const results = await this.#spawner.run(steps);
      const bad = results.findIndex((r, i) => !steps[i]!.tolerate && (r.code !== 0 || r.error));
      if (bad >= 0) {
        const what = steps[bad] === portmap ? 'CNI DEL with portmap' : 'ip netns delete';
        throw failure(what, results[bad]);
      }
    }
    if (link.address) await this.#pool.release(link.address, a.sandboxId);
    else await this.#pool.releaseAll(a.sandboxId);
  }

  /** Who holds which address of this network: sandbox id to address. */
  holders(): Promise<Map<string, string>> {
    return this.#pool.holders();
  }

  /** An address for a sandbox that another runtime attaches (the engine, to its bridge). */
  allocate(sandboxId: string): Promise<string> {
    return this.#pool.allocate(sandboxId, IFNAME);
  }

  /** Claims an address another runtime handed out; false when someone else holds it. */
  reserve(address: string, sandboxId: string): Promise<boolean> {
    return this.#pool.reserve(address, sandboxId, IFNAME);
  }

  /** Releases whatever the sandbox holds. Idempotent. */
  release(sandboxId: string): Promise<void> {
    return this.#pool.releaseAll(sandboxId);
  }

  /** Releases a sandbox attached by the CNI plugins themselves (an older agent's). */
  async tearDownLegacy(a: PodAttachment): Promise<void> {
    const [r] = await this.#spawner.run([legacyTearDownStep(this.#tools, a)]);
    if (r?.code !== 0 || r.error) throw failure('tearing down the pod network failed', r);
  }

  /** The result the bridge plugin would have returned: portmap's prevResult. */
  #result(a: PodAttachment, link: PodLink, address: string): Record<string, unknown> {
    return {
      cniVersion: '1.0.0',
      interfaces: [
        { name: this.network.bridge },
        { name: link.hostVeth },
        { name: IFNAME, sandbox: netnsPath(a.netns) },
      ],
      ips: [{ address: `${address}/${this.#prefix}`, gateway: this.#gateway, interface: 2 }],
      routes: [{ dst: '0.0.0.0/0' }],
    };
  }
}
