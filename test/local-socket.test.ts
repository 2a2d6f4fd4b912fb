import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { RestClient } from '../src/client/index.ts';
import { startTestCluster } from './support/cluster.ts';

// The components of the control-plane process (controllers, scheduler, local agent) reach
// the API server over a unix socket in the data dir: plain HTTP, owner-only, with the
// same authentication as the HTTPS port.

function getOver(
  socketPath: string,
  urlPath: string,
  token?: string,
): Promise<{ code: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        socketPath,
        path: urlPath,
        headers: token ? { Authorization: `Bearer ${token}` } : {},
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () =>
          resolve({ code: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }),
        );
      },
    );
    req.on('error', reject);
  });
}

describe('the API server local socket', () => {
  it('serves the same API as the HTTPS port, to its owner only, and goes with the server', async () => {
    const cluster = await startTestCluster();
    const socketPath = path.join(cluster.dataDir, 'apiserver.sock');
    try {
      const stat = fs.statSync(socketPath);
      assert.ok(stat.isSocket(), `${socketPath} is a socket`);
      assert.equal(stat.mode & 0o777, 0o600);

      const anonymous = await getOver(socketPath, '/api/v1/namespaces');
      assert.equal(anonymous.code, 401);
      assert.equal(anonymous.body.kind, 'Status');

      const local = new RestClient({
        server: cluster.url,
        token: cluster.token,
        caPem: cluster.caPem,
        socketPath,
      });
      const remote = new RestClient({
        server: cluster.url,
        token: cluster.token,
        caPem: cluster.caPem,
      });
      try {
        const ref = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
        await local.create(ref, 'default', { metadata: { name: 'over-socket' }, data: { a: '1' } });
        const seen = await remote.get(ref, 'default', 'over-socket');
        assert.deepEqual(seen.data, { a: '1' });
      } finally {
        local.close();
        remote.close();
      }
    } finally {
      await cluster.close();
    }
    assert.equal(fs.existsSync(socketPath), false, 'the socket is removed when the server stops');
  });

  it('takes over a socket file left by a process that died', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-test-'));
    const socketPath = path.join(dataDir, 'apiserver.sock');
    // A process that listens on the path and is killed leaves the socket file behind.
    const holder = spawn(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('up'))`,
    ]);
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    assert.ok(fs.statSync(socketPath).isSocket(), 'the dead process left its socket');

    const cluster = await startTestCluster({ dataDir });
    try {
      const answer = await getOver(socketPath, '/api/v1/namespaces/default', cluster.token);
      assert.equal(answer.code, 200);
      assert.equal((answer.body.metadata as { name: string }).name, 'default');
    } finally {
      await cluster.close();
    }
  });
});
