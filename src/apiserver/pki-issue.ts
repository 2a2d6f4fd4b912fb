import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

// Issuing certificates (loaded only when one must be made: first start, expiry, new names).
// ECDSA P-256 keys: fast to make, accepted by kubectl and every client library.

x509.cryptoProvider.set(webcrypto as never);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;
const CA_DAYS = 3650;
const SERVING_DAYS = 365;

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64.trimEnd()}\n-----END ${label}-----\n`;
}

function fromPem(pem: string): ArrayBuffer {
  const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const buf = Buffer.from(b64, 'base64');
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');
}

async function exportKey(key: CryptoKey): Promise<string> {
  return toPem(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

async function importKey(pem: string): Promise<CryptoKey> {
  return webcrypto.subtle.importKey('pkcs8', fromPem(pem), ALG, true, ['sign']);
}

function isIp(name: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(name) || name.includes(':');
}

async function ensureCa(
  dir: string,
): Promise<{ cert: x509.X509Certificate; key: CryptoKey; pem: string }> {
  const certFile = path.join(dir, 'ca.crt');
  const keyFile = path.join(dir, 'ca.key');
  if (fs.existsSync(certFile) && fs.existsSync(keyFile)) {
    const pem = fs.readFileSync(certFile, 'utf8');
    return {
      cert: new x509.X509Certificate(pem),
      key: await importKey(fs.readFileSync(keyFile, 'utf8')),
      pem,
    };
  }
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=wharf-ca@${Math.floor(now / 1000)}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + CA_DAYS * DAY),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pem = cert.toString('pem') + '\n';
  fs.writeFileSync(keyFile, await exportKey(keys.privateKey), { mode: 0o600 });
  fs.writeFileSync(certFile, pem);
  return { cert, key: keys.privateKey, pem };
}

/** Makes the CA if missing, and a serving certificate for `sans` signed by it. */
export async function issueServingCertificate(
  dir: string,
  sans: string[],
): Promise<{ caPem: string; certPem: string; keyPem: string }> {
  const ca = await ensureCa(dir);
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=wharf-apiserver',
    issuer: ca.cert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(Math.min(now + SERVING_DAYS * DAY, ca.cert.notAfter.getTime())),
    publicKey: keys.publicKey,
    signingKey: ca.key,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        sans.map((s) =>
          isIp(s) ? { type: 'ip' as const, value: s } : { type: 'dns' as const, value: s },
        ),
      ),
    ],
  });
  const certPem = cert.toString('pem') + '\n' + ca.pem;
  const keyPem = await exportKey(keys.privateKey);
  fs.writeFileSync(path.join(dir, 'serving.key'), keyPem, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'serving.crt'), certPem);
  return { caPem: ca.pem, certPem, keyPem };
}
