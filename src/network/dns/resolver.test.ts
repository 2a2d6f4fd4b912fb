import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Answer, Question } from 'dns-packet';
import { answer, type ZoneAnswer } from './resolver.ts';
import { fixtureDirectory } from './test-fixtures.ts';

const dir = fixtureDirectory();
const Z = 'cluster.local';

/** An answer section as `TYPE data` lines, order kept. */
function show(records: Answer[]): string[] {
  return records.map((r) => {
    if (r.type === 'SRV') {
      const d = r.data;
      return `SRV ${d.priority} ${d.weight} ${d.port} ${d.target}`;
    }
    if (r.type === 'SOA') return `SOA ${r.data.mname}`;
    return `${r.type} ${String((r as { data: unknown }).data)}`;
  });
}

function ask(name: string, type: string): ZoneAnswer | undefined {
  return answer({ name, type } as Question, dir);
}

const NODATA = { rcode: 'NOERROR', answers: [] as string[] };
const NXDOMAIN = { rcode: 'NXDOMAIN', answers: [] as string[] };

const cases: [string, string, { rcode: string; answers: string[] }][] = [
  // ClusterIP services
  [`web.default.svc.${Z}`, 'A', { rcode: 'NOERROR', answers: ['A 10.96.0.10'] }],
  [`web.default.svc.${Z}.`, 'A', { rcode: 'NOERROR', answers: ['A 10.96.0.10'] }],
  [`WEB.Default.SVC.Cluster.Local`, 'A', { rcode: 'NOERROR', answers: ['A 10.96.0.10'] }],
  [`web.default.svc.${Z}`, 'AAAA', NODATA],
  [`web.default.svc.${Z}`, 'TXT', NODATA],
  [`dual.default.svc.${Z}`, 'A', { rcode: 'NOERROR', answers: ['A 10.96.0.11'] }],
  [`dual.default.svc.${Z}`, 'AAAA', { rcode: 'NOERROR', answers: ['AAAA fd00::b'] }],
  [`missing.default.svc.${Z}`, 'A', NXDOMAIN],
  // Headless: ready endpoints only (absent condition = ready), by hostname or dashed IP
  [`db.data.svc.${Z}`, 'A', { rcode: 'NOERROR', answers: ['A 10.1.0.5', 'A 10.1.0.7'] }],
  [`db-0.db.data.svc.${Z}`, 'A', { rcode: 'NOERROR', answers: ['A 10.1.0.5'] }],
  [`DB-0.db.data.svc.${Z}`, 'A', { rcode: 'NOERROR', answers: ['A 10.1.0.5'] }],
  [`10-1-0-7.db.data.svc.${Z}`, 'A', { rcode: 'NOERROR', answers: ['A 10.1.0.7'] }],
  [`db-1.db.data.svc.${Z}`, 'A', NXDOMAIN],
  [`10-1-0-6.db.data.svc.${Z}`, 'A', NXDOMAIN],
  [`db-0.db.data.svc.${Z}`, 'AAAA', NODATA],
  [`db-0.web.default.svc.${Z}`, 'A', NXDOMAIN],
  [`a.b.web.default.svc.${Z}`, 'A', NXDOMAIN],
  // ExternalName: a CNAME whatever the type
  [`ext.default.svc.${Z}`, 'A', { rcode: 'NOERROR', answers: ['CNAME example.com'] }],
  [`ext.default.svc.${Z}`, 'AAAA', { rcode: 'NOERROR', answers: ['CNAME example.com'] }],
  // SRV
  [
    `_http._tcp.web.default.svc.${Z}`,
    'SRV',
    { rcode: 'NOERROR', answers: [`SRV 0 100 80 web.default.svc.${Z}`] },
  ],
  [
    `_dns._udp.web.default.svc.${Z}`,
    'SRV',
    { rcode: 'NOERROR', answers: [`SRV 0 100 53 web.default.svc.${Z}`] },
  ],
  [
    `_HTTP._TCP.web.default.svc.${Z}`,
    'SRV',
    { rcode: 'NOERROR', answers: [`SRV 0 100 80 web.default.svc.${Z}`] },
  ],
  [`_http._udp.web.default.svc.${Z}`, 'SRV', NXDOMAIN],
  [`_nope._tcp.web.default.svc.${Z}`, 'SRV', NXDOMAIN],
  [`_http._tcp.web.default.svc.${Z}`, 'A', { rcode: 'NOERROR', answers: ['A 10.96.0.10'] }],
  [
    `_pg._tcp.db.data.svc.${Z}`,
    'SRV',
    {
      rcode: 'NOERROR',
      answers: [`SRV 0 50 5432 db-0.db.data.svc.${Z}`, `SRV 0 50 5432 10-1-0-7.db.data.svc.${Z}`],
    },
  ],
  [
    `web.default.svc.${Z}`,
    'SRV',
    {
      rcode: 'NOERROR',
      answers: [`SRV 0 50 80 web.default.svc.${Z}`, `SRV 0 50 53 web.default.svc.${Z}`],
    },
  ],
  [`bare.default.svc.${Z}`, 'SRV', NODATA],
  [`_http._tcp.ext.default.svc.${Z}`, 'SRV', NXDOMAIN],
  // Empty non-terminals answer NODATA; what has nothing below it is NXDOMAIN
  [`_tcp.web.default.svc.${Z}`, 'A', NODATA],
  [`_udp.web.default.svc.${Z}`, 'A', NODATA],
  [`_sctp.web.default.svc.${Z}`, 'A', NXDOMAIN],
  [`default.svc.${Z}`, 'A', NODATA],
  [`data.svc.${Z}`, 'A', NODATA],
  [`nowhere.svc.${Z}`, 'A', NXDOMAIN],
  [`svc.${Z}`, 'A', NODATA],
  [Z, 'A', NODATA],
  [Z, 'SOA', { rcode: 'NOERROR', answers: [`SOA ns.dns.${Z}`] }],
  [Z, 'NS', { rcode: 'NOERROR', answers: [`NS ns.dns.${Z}`] }],
  [`nothing.${Z}`, 'A', NXDOMAIN],
  [`web.default.${Z}`, 'A', NXDOMAIN],
  // Pods, kube-dns "insecure": the name spells the address
  [`10-0-0-1.default.pod.${Z}`, 'A', { rcode: 'NOERROR', answers: ['A 10.0.0.1'] }],
  [`fd00--1.default.pod.${Z}`, 'AAAA', { rcode: 'NOERROR', answers: ['AAAA fd00::1'] }],
  [`10-0-0-1.default.pod.${Z}`, 'AAAA', NODATA],
  [`10-0-0-300.default.pod.${Z}`, 'A', NXDOMAIN],
  [`not-an-ip.default.pod.${Z}`, 'A', NXDOMAIN],
  [`default.pod.${Z}`, 'A', NODATA],
  // Reverse lookups of addresses the directory owns
  ['10.0.96.10.in-addr.arpa', 'PTR', { rcode: 'NOERROR', answers: [`PTR web.default.svc.${Z}`] }],
  ['5.0.1.10.in-addr.arpa.', 'PTR', { rcode: 'NOERROR', answers: [`PTR db-0.db.data.svc.${Z}`] }],
  [
    'b.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa',
    'PTR',
    { rcode: 'NOERROR', answers: [`PTR dual.default.svc.${Z}`] },
  ],
];

describe('answer: the cluster zone', () => {
  for (const [name, type, want] of cases) {
    it(`${name} ${type} → ${want.rcode} ${want.answers.join(', ')}`, () => {
      const got = ask(name, type);
      assert.ok(got, 'answered locally');
      assert.equal(got.rcode, want.rcode);
      assert.deepEqual(show(got.answers), want.answers);
      if (want.answers.length === 0) {
        assert.deepEqual(
          show(got.authorities),
          [`SOA ns.dns.${Z}`],
          'negative answers carry the SOA',
        );
      }
      for (const r of got.answers) {
        assert.equal(r.name, name.replace(/\.$/, ''), 'owner name as asked, case kept');
        assert.equal((r as { ttl?: number }).ttl, 5);
      }
    });
  }
});

describe('answer: names that are not the zone’s', () => {
  const forwarded: [string, string][] = [
    ['example.com', 'A'],
    ['cluster.local.example.com', 'A'],
    ['notcluster.local', 'A'],
    ['9.9.9.9.in-addr.arpa', 'PTR'],
    ['10.0.96.10.in-addr.arpa', 'A'],
    ['0.96.10.in-addr.arpa', 'PTR'],
  ];
  for (const [name, type] of forwarded) {
    it(`${name} ${type} goes upstream`, () => assert.equal(ask(name, type), undefined));
  }
});

describe('answer: options and glue', () => {
  it('serves a configured domain with its TTL', () => {
    const opts = { domain: 'k8s.test', ttl: 30 };
    const got = answer({ name: 'web.default.svc.k8s.test', type: 'A' }, dir, opts);
    assert.deepEqual(show(got!.answers), ['A 10.96.0.10']);
    assert.equal((got!.answers[0] as { ttl?: number }).ttl, 30);
    assert.equal(answer({ name: `web.default.svc.${Z}`, type: 'A' }, dir, opts), undefined);
    const soa = answer({ name: 'nope.k8s.test', type: 'A' }, dir, opts)!.authorities[0]!;
    assert.equal(soa.type === 'SOA' && soa.data.minimum, 30);
  });

  it('adds the addresses of SRV targets', () => {
    const got = ask(`_pg._tcp.db.data.svc.${Z}`, 'SRV')!;
    assert.deepEqual(
      got.additionals.map((r) => `${r.name} ${show([r])[0]}`),
      [`db-0.db.data.svc.${Z} A 10.1.0.5`, `10-1-0-7.db.data.svc.${Z} A 10.1.0.7`],
    );
  });

  it('answers a non-IN class in the zone with an empty answer', () => {
    const got = answer({ name: `web.default.svc.${Z}`, type: 'A', class: 'CH' }, dir);
    assert.equal(got?.rcode, 'NOERROR');
    assert.deepEqual(got?.answers, []);
  });
});
