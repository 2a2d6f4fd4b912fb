import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProxyTable } from '../types.ts';
import { driftFrom, parseIptablesSave, renderRestore } from './restore.ts';
import { serviceRules } from './rules.ts';

// What `verify` reports: the rules of a table against an iptables-save of the node.

const table: ProxyTable = {
  services: [
    {
      id: 'ns/web:http',
      namespace: 'ns',
      name: 'web',
      portName: 'http',
      protocol: 'TCP',
      clusterIPs: ['10.96.200.1'],
      port: 80,
      nodePort: 30080,
      externalIPs: [],
      loadBalancerIPs: [],
      sessionAffinity: null,
      externalLocalOnly: false,
      internalLocalOnly: false,
      endpoints: [{ ip: '10.201.0.2', port: 8080, isLocal: true }],
    },
  ],
};

/** What iptables-save shows after the restore of `table` on a node without wharf rules. */
function savedAfterApply(): string[] {
  return renderRestore(table)
    .split('\n')
    .filter((l) => !l.startsWith('-X'))
    .map((l) => l.replace(/^-I (\S+) 1 /, '-A $1 '));
}

describe('driftFrom', () => {
  it('reports nothing when every chain, rule and jump is in place', () => {
    const saved = parseIptablesSave(savedAfterApply().join('\n'));
    assert.deepEqual(driftFrom(serviceRules(table), saved), []);
  });

  it('reports flushed and deleted chains and missing jumps', () => {
    const saved = savedAfterApply();
    const natEnd = saved.indexOf('COMMIT');
    const lines = saved.filter(
      (l, i) =>
        i > natEnd ||
        // iptables -t nat -F WHARF-SERVICES
        (!l.startsWith('-A WHARF-SERVICES ') &&
          // iptables -t nat -D OUTPUT … -j WHARF-SERVICES
          !(l.startsWith('-A OUTPUT ') && l.endsWith('-j WHARF-SERVICES')) &&
          // iptables -t nat -F WHARF-NODEPORTS; iptables -t nat -X WHARF-NODEPORTS
          !l.includes('WHARF-NODEPORTS')),
    );
    const drift = driftFrom(serviceRules(table), parseIptablesSave(lines.join('\n')));
    assert.deepEqual(drift, [
      'nat chain WHARF-SERVICES holds 0 rules, not 2',
      'nat chain WHARF-NODEPORTS is gone',
      'the jump from nat OUTPUT to WHARF-SERVICES is gone',
    ]);
  });
});
