import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ensureServingCertificates } from './pki.ts';

describe('cluster certificates', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-pki-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('issues a CA and a serving certificate, reuses them, and re-issues for new names', async () => {
    const first = await ensureServingCertificates(dir, ['localhost', '127.0.0.1']);
    const cert = new X509Certificate(first.certPem);
    assert.ok(cert.checkIssued(new X509Certificate(first.caPem)));
    assert.match(cert.subjectAltName ?? '', /DNS:localhost/);
    assert.match(cert.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
    assert.equal(fs.statSync(path.join(dir, 'ca.key')).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.join(dir, 'serving.key')).mode & 0o777, 0o600);

    const again = await ensureServingCertificates(dir, ['localhost', '127.0.0.1']);
    assert.equal(again.certPem, first.certPem, 'a good certificate is kept');

    const wider = await ensureServingCertificates(dir, [
      'localhost',
      '127.0.0.1',
      'api.example.test',
    ]);
    assert.notEqual(wider.certPem, first.certPem);
    assert.equal(wider.caPem, first.caPem, 'the CA stays');
    assert.match(new X509Certificate(wider.certPem).subjectAltName ?? '', /DNS:api\.example\.test/);
  });

  it('serves TLS that a client trusting only the CA accepts', async () => {
    const tls = await ensureServingCertificates(dir, ['localhost', '127.0.0.1']);
    const server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (_req, res) =>
      res.end('ok'),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    try {
      const body = await new Promise<string>((resolve, reject) => {
        https
          .get({ host: '127.0.0.1', port, ca: tls.caPem, servername: 'localhost' }, (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () => resolve(text));
          })
          .on('error', reject);
      });
      assert.equal(body, 'ok');
    } finally {
      server.close();
    }
  });
});
