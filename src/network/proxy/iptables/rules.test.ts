import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProxyEndpoint, ServicePortRule } from '../types.ts';
import { chainName } from './chains.ts';
import { parseIptablesSave, renderCleanup, renderRestore } from './restore.ts';

// The iptables-restore text for tables of one service port each: the rules kube-proxy's
// iptables mode would write, under wharf's chain names.

const rule = (over: Partial<ServicePortRule> = {}): ServicePortRule => ({
  id: 'ns/web:http',
  namespace: 'ns',
  name: 'web',
  portName: 'http',
  protocol: 'TCP',
  clusterIPs: ['10.96.200.1'],
  port: 80,
  nodePort: 0,
  externalIPs: [],
  loadBalancerIPs: [],
  sessionAffinity: null,
  externalLocalOnly: false,
  internalLocalOnly: false,
  endpoints: [ep('10.201.0.2')],
  ...over,
});
function ep(ip: string, isLocal = true): ProxyEndpoint {
  return { ip, port: 8080, isLocal };
}
const SVC = chainName('SVC', 'ns/web:http', 'tcp');
const SVL = chainName('SVL', 'ns/web:http', 'tcp');
const EXT = chainName('EXT', 'ns/web:http', 'tcp');
const SEP = (ip: string) => chainName('SEP', 'ns/web:http', 'tcp', `${ip}:8080`);

const render = (...services: ServicePortRule[]) => renderRestore({ services });
/** The `-A` lines of `chain` in `table`, without the `-A chain ` prefix. */
function rulesOf(text: string, table: 'nat' | 'filter', chain: string): string[] {
  const section = text.split('COMMIT')[table === 'nat' ? 0 : 1]!;
  return section
    .split('\n')
    .filter((l) => l.startsWith(`-A ${chain} `))
    .map((l) => l.slice(`-A ${chain} `.length));
}
const COMMENT = '-m comment --comment "ns/web:http';
const REJECT = '-j REJECT --reject-with icmp-port-unreachable';
const NODEPORTS_LAST =
  '-A WHARF-SERVICES -m comment --comment "wharf service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j WHARF-NODEPORTS';

describe('renderRestore', () => {
  it('a cluster IP with one endpoint, on a node without wharf rules: the whole text', () => {
    assert.equal(
      render(rule()),
      [
        '*nat',
        ':WHARF-SERVICES - [0:0]',
        ':WHARF-NODEPORTS - [0:0]',
        ':WHARF-MARK-MASQ - [0:0]',
        ':WHARF-POSTROUTING - [0:0]',
        `:${SEP('10.201.0.2')} - [0:0]`,
        `:${SVC} - [0:0]`,
        `-A WHARF-SERVICES -d 10.96.200.1/32 -p tcp -m tcp --dport 80 ${COMMENT} cluster IP" -j ${SVC}`,
        NODEPORTS_LAST,
        '-A WHARF-MARK-MASQ -j MARK --or-mark 0x4000',
        '-A WHARF-POSTROUTING -m mark --mark 0x8000/0x8000 -j MARK --xor-mark 0x8000',
        '-A WHARF-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
        '-A WHARF-POSTROUTING -j MARK --xor-mark 0x4000',
        '-A WHARF-POSTROUTING -m comment --comment "wharf service traffic requiring SNAT" -j MASQUERADE --random-fully',
        `-A ${SEP('10.201.0.2')} -s 10.201.0.2/32 ${COMMENT}" -j WHARF-MARK-MASQ`,
        `-A ${SEP('10.201.0.2')} -p tcp ${COMMENT}" -j DNAT --to-destination 10.201.0.2:8080`,
        `-A ${SVC} -d 10.96.200.1/32 -p tcp -m tcp --dport 80 ${COMMENT} cluster IP" -j WHARF-MARK-MASQ`,
        `-A ${SVC} ${COMMENT} -> 10.201.0.2:8080" -j ${SEP('10.201.0.2')}`,
        '-I PREROUTING 1 -m comment --comment "wharf service portals" -j WHARF-SERVICES',
        '-I OUTPUT 1 -m comment --comment "wharf service portals" -j WHARF-SERVICES',
        '-I POSTROUTING 1 -m comment --comment "wharf postrouting rules" -j WHARF-POSTROUTING',
        'COMMIT',
        '*filter',
        ':WHARF-SERVICES - [0:0]',
        ':WHARF-FORWARD - [0:0]',
        ':WHARF-FIREWALL - [0:0]',
        '-A WHARF-FORWARD -m comment --comment "wharf forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
        '-A WHARF-FORWARD -m comment --comment "wharf forwarding rules" -m mark --mark 0x8000/0x8000 -j ACCEPT',
        '-A WHARF-FORWARD -m comment --comment "wharf forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
        '-A WHARF-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
        '-I FORWARD 1 -m comment --comment "wharf forwarding rules" -j WHARF-FORWARD',
        '-I INPUT 1 -m conntrack --ctstate NEW -m comment --comment "wharf service portals" -j WHARF-SERVICES',
        '-I FORWARD 1 -m conntrack --ctstate NEW -m comment --comment "wharf service portals" -j WHARF-SERVICES',
        '-I OUTPUT 1 -m conntrack --ctstate NEW -m comment --comment "wharf service portals" -j WHARF-SERVICES',
        '-I INPUT 1 -m comment --comment "wharf firewall" -j WHARF-FIREWALL',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it('three endpoints: probabilities 1/3, then 1/2, then the last without statistic', () => {
    const text = render(
      rule({ endpoints: ['10.201.0.2', '10.201.0.3', '10.201.0.4'].map((ip) => ep(ip)) }),
    );
    assert.deepEqual(rulesOf(text, 'nat', SVC).slice(1), [
      `${COMMENT} -> 10.201.0.2:8080" -m statistic --mode random --probability 0.3333333333 -j ${SEP('10.201.0.2')}`,
      `${COMMENT} -> 10.201.0.3:8080" -m statistic --mode random --probability 0.5000000000 -j ${SEP('10.201.0.3')}`,
      `${COMMENT} -> 10.201.0.4:8080" -j ${SEP('10.201.0.4')}`,
    ]);
  });

  it('a node port: WHARF-NODEPORTS to EXT, which masquerades and goes to SVC', () => {
    const text = render(rule({ nodePort: 30080 }));
    assert.deepEqual(rulesOf(text, 'nat', 'WHARF-NODEPORTS'), [
      `-p tcp -m tcp --dport 30080 ${COMMENT}" -j ${EXT}`,
    ]);
    assert.deepEqual(rulesOf(text, 'nat', EXT), [
      '-m comment --comment "masquerade traffic for ns/web:http external destinations" -j WHARF-MARK-MASQ',
      `-j ${SVC}`,
    ]);
    assert.equal(
      rulesOf(text, 'nat', 'WHARF-SERVICES').at(-1),
      NODEPORTS_LAST.slice('-A WHARF-SERVICES '.length),
    );
  });

  it('load-balancer and external IPs go to EXT, before the node-port rule', () => {
    const text = render(rule({ loadBalancerIPs: ['192.0.2.10'], externalIPs: ['192.0.2.20'] }));
    assert.deepEqual(rulesOf(text, 'nat', 'WHARF-SERVICES').slice(1, 3), [
      `-d 192.0.2.20/32 -p tcp -m tcp --dport 80 ${COMMENT} external IP" -j ${EXT}`,
      `-d 192.0.2.10/32 -p tcp -m tcp --dport 80 ${COMMENT} loadbalancer IP" -j ${EXT}`,
    ]);
    assert.equal(rulesOf(text, 'nat', EXT).length, 2);
  });

  it('ClientIP affinity: recent checks before the random picks, and each SEP remembers', () => {
    const text = render(
      rule({
        sessionAffinity: { timeoutSeconds: 600 },
        endpoints: [ep('10.201.0.2'), ep('10.201.0.3')],
      }),
    );
    const [a, b] = [SEP('10.201.0.2'), SEP('10.201.0.3')];
    assert.deepEqual(rulesOf(text, 'nat', SVC).slice(1), [
      `${COMMENT} -> 10.201.0.2:8080" -m recent --name ${a} --rcheck --seconds 600 --reap -j ${a}`,
      `${COMMENT} -> 10.201.0.3:8080" -m recent --name ${b} --rcheck --seconds 600 --reap -j ${b}`,
      `${COMMENT} -> 10.201.0.2:8080" -m statistic --mode random --probability 0.5000000000 -j ${a}`,
      `${COMMENT} -> 10.201.0.3:8080" -j ${b}`,
    ]);
    assert.deepEqual(
      rulesOf(text, 'nat', b)[1],
      `-p tcp ${COMMENT}" -m recent --set --name ${b} --mask 255.255.255.255 --rsource -j DNAT --to-destination 10.201.0.3:8080`,
    );
  });

  it('no endpoints: no nat rules, REJECT for the cluster IP, external IPs and node port', () => {
    const text = render(rule({ endpoints: [], nodePort: 30080, externalIPs: ['192.0.2.20'] }));
    assert.deepEqual(rulesOf(text, 'nat', 'WHARF-SERVICES'), [
      NODEPORTS_LAST.slice('-A WHARF-SERVICES '.length),
    ]);
    assert.deepEqual(rulesOf(text, 'nat', 'WHARF-NODEPORTS'), []);
    assert.doesNotMatch(text, /WHARF-(SVC|EXT|SEP)-/);
    assert.deepEqual(rulesOf(text, 'filter', 'WHARF-SERVICES'), [
      `-d 10.96.200.1/32 -p tcp -m tcp --dport 80 ${COMMENT} has no endpoints" ${REJECT}`,
      `-d 192.0.2.20/32 -p tcp -m tcp --dport 80 ${COMMENT} has no endpoints" ${REJECT}`,
      `-m addrtype --dst-type LOCAL -p tcp -m tcp --dport 30080 ${COMMENT} has no endpoints" ${REJECT}`,
    ]);
  });

  it('externalTrafficPolicy Local: host traffic cluster-wide, other traffic to local endpoints unmasqueraded', () => {
    const text = render(
      rule({
        nodePort: 30080,
        externalLocalOnly: true,
        endpoints: [ep('10.201.0.2'), ep('10.201.0.3', false)],
      }),
    );
    assert.deepEqual(rulesOf(text, 'nat', EXT), [
      '-m comment --comment "masquerade LOCAL traffic for ns/web:http external destinations" -m addrtype --src-type LOCAL -j WHARF-MARK-MASQ',
      `-m comment --comment "route LOCAL traffic for ns/web:http external destinations" -m addrtype --src-type LOCAL -j ${SVC}`,
      '-j MARK --or-mark 0x8000',
      `-j ${SVL}`,
    ]);
    assert.deepEqual(rulesOf(text, 'nat', SVL), [
      `${COMMENT} -> 10.201.0.2:8080" -j ${SEP('10.201.0.2')}`,
    ]);
    assert.equal(rulesOf(text, 'nat', SVC).length, 3, 'mark, then both endpoints');
  });

  it('externalTrafficPolicy Local without local endpoints: external traffic dropped, host traffic still served', () => {
    const text = render(
      rule({ nodePort: 30080, externalLocalOnly: true, endpoints: [ep('10.201.0.3', false)] }),
    );
    assert.deepEqual(rulesOf(text, 'nat', EXT).length, 2);
    assert.deepEqual(rulesOf(text, 'filter', 'WHARF-SERVICES'), [
      `-m addrtype --dst-type LOCAL -p tcp -m tcp --dport 30080 ${COMMENT} has no local endpoints" -j DROP`,
    ]);
    assert.doesNotMatch(text, new RegExp(SVL));
  });

  it('internalTrafficPolicy Local: the cluster IP goes to SVL, or is rejected without local endpoints', () => {
    const local = render(
      rule({ internalLocalOnly: true, endpoints: [ep('10.201.0.2'), ep('10.201.0.3', false)] }),
    );
    assert.match(rulesOf(local, 'nat', 'WHARF-SERVICES')[0]!, new RegExp(`cluster IP" -j ${SVL}$`));
    assert.equal(rulesOf(local, 'nat', SVL).length, 2);
    assert.doesNotMatch(local, new RegExp(SVC));
    const none = render(rule({ internalLocalOnly: true, endpoints: [ep('10.201.0.3', false)] }));
    assert.deepEqual(rulesOf(none, 'filter', 'WHARF-SERVICES'), [
      `-d 10.96.200.1/32 -p tcp -m tcp --dport 80 ${COMMENT} has no local endpoints" ${REJECT}`,
    ]);
  });

  it('UDP and SCTP ports match their protocol; IPv6 addresses are skipped', () => {
    const udp = render(
      rule({
        protocol: 'UDP',
        clusterIPs: ['10.96.200.1', 'fd00::1'],
        endpoints: [ep('10.201.0.2'), ep('fd00::2')],
      }),
    );
    assert.match(udp, /-d 10\.96\.200\.1\/32 -p udp -m udp --dport 80 /);
    assert.match(
      udp,
      /-p udp -m comment --comment "ns\/web:http" -j DNAT --to-destination 10\.201\.0\.2:8080/,
    );
    assert.doesNotMatch(udp, /fd00/);
    assert.match(render(rule({ protocol: 'SCTP' })), /-p sctp -m sctp --dport 80 /);
  });

  it('deletes stale service chains and inserts only the jumps that are missing', () => {
    const save = [
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':WHARF-SERVICES - [0:0]',
      ':WHARF-SVC-0000000000000000 - [0:0]',
      ':WHARF-SEP-0000000000000001 - [0:0]',
      ':WHARF-OTHER - [0:0]',
      '-A PREROUTING -m comment --comment "wharf service portals" -j WHARF-SERVICES',
      '-A OUTPUT -m comment --comment "wharf service portals" -j WHARF-SERVICES',
      '-A WHARF-SERVICES -j WHARF-SVC-0000000000000000',
      'COMMIT',
      '*filter',
      ':INPUT ACCEPT [0:0]',
      '-A FORWARD -m comment --comment "wharf forwarding rules" -j WHARF-FORWARD',
      'COMMIT',
    ].join('\n');
    const installed = parseIptablesSave(save);
    assert.deepEqual(installed.jumps.nat.length, 2);
    const text = render(rule());
    const incremental = renderRestore({ services: [rule()] }, installed);
    const [nat, filter] = incremental.split('COMMIT');
    assert.match(nat!, /^:WHARF-SVC-0000000000000000 - \[0:0\]$/m);
    assert.match(nat!, /^-X WHARF-SVC-0000000000000000$/m);
    assert.match(nat!, /^-X WHARF-SEP-0000000000000001$/m);
    assert.doesNotMatch(incremental, /WHARF-OTHER/, 'chains not of ours are left alone');
    assert.deepEqual(
      nat!.split('\n').filter((l) => l.startsWith('-I')),
      ['-I POSTROUTING 1 -m comment --comment "wharf postrouting rules" -j WHARF-POSTROUTING'],
    );
    assert.equal(filter!.split('\n').filter((l) => l.startsWith('-I')).length, 4);
    assert.equal(render(rule()), text, 'equal tables give equal text');
  });
});

describe('renderCleanup', () => {
  it('flushes, unhooks and deletes every chain of ours, and nothing when none is left', () => {
    const save = [
      '*nat',
      ':WHARF-SERVICES - [0:0]',
      ':WHARF-SVC-0000000000000000 - [0:0]',
      '-A PREROUTING -m comment --comment "wharf service portals" -j WHARF-SERVICES',
      '-A WHARF-SERVICES -j WHARF-SVC-0000000000000000',
      'COMMIT',
      '*filter',
      ':WHARF-FORWARD - [0:0]',
      '-A FORWARD -m comment --comment "wharf forwarding rules" -j WHARF-FORWARD',
      '-A FORWARD -j DOCKER-USER',
      'COMMIT',
    ].join('\n');
    assert.equal(
      renderCleanup(parseIptablesSave(save)),
      [
        '*nat',
        ':WHARF-SERVICES - [0:0]',
        ':WHARF-SVC-0000000000000000 - [0:0]',
        '-D PREROUTING -m comment --comment "wharf service portals" -j WHARF-SERVICES',
        '-X WHARF-SERVICES',
        '-X WHARF-SVC-0000000000000000',
        'COMMIT',
        '*filter',
        ':WHARF-FORWARD - [0:0]',
        '-D FORWARD -m comment --comment "wharf forwarding rules" -j WHARF-FORWARD',
        '-X WHARF-FORWARD',
        'COMMIT',
        '',
      ].join('\n'),
    );
    assert.equal(renderCleanup(parseIptablesSave('*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n')), '');
  });
});
