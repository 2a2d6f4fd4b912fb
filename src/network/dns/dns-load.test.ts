import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { staticDirectory } from './directory.ts';
import { measureDnsQps } from './dns-load.ts';
import { startClusterDns } from './server.ts';
import { fixtureObjects } from './test-fixtures.ts';

// The load generator works; how fast the server is belongs to the benchmark, not here.

describe('measureDnsQps', () => {
  it('fires queries at a server on loopback and reports answered ones', async () => {
    const server = await startClusterDns({
      directory: staticDirectory(fixtureObjects),
      listen: [{ host: '127.0.0.1', port: 0 }],
      upstreams: [],
    });
    try {
      const names = ['web.default.svc.cluster.local', 'db.data.svc.cluster.local'];
      const result = await measureDnsQps(server.addresses[0]!, names, 200, 4);
      assert.ok(result.answered > 0);
      assert.ok(result.qps > 0);
      assert.ok(result.p99_ms >= 0);
      assert.equal(result.timeouts, 0);
      assert.equal(server.stats.local, result.answered);
    } finally {
      await server.close();
    }
  });

  it('refuses an empty list of names', async () => {
    await assert.rejects(measureDnsQps({ host: '127.0.0.1', port: 1 }, [], 10, 1), /no names/);
  });
});
