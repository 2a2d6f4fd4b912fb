import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { X509Certificate, webcrypto } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// The cluster's own certificate authority and the API server's serving certificate,
// generated into the data dir on first start. The serving certificate is re-issued when
// it nears expiry or when the names it must cover change (a new --tls-san, a new address).

x509.cryptoProvider.set(webcrypto as never);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;
const CA_DAYS = 3650;
const SERVING_DAYS = 365;
const RENEW_BEFORE_DAYS = 30;

export interface ServingCertificates {
  caPem: string;
  certPem: string;
  keyPem: string;
  caFile: string;
}

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

/** localhost, 127.0.0.1, ::1, the host name and every address of this machine, plus extras. */
export function defaultSans(extra: string[] = []): string[] {
  const addrs = Object.values(os.networkInterfaces())
    .flat()
    .filter((a): a is os.NetworkInterfaceInfo => !!a)
    .map((a) => a.address.split('%')[0]!);
  return [...new Set(['localhost', os.hostname(), '127.0.0.1', '::1', ...addrs, ...extra])];
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

function servingCertIsGood(pem: string, sans: string[]): boolean {
  const cert = new X509Certificate(pem);
  if (new Date(cert.validTo).getTime() - Date.now() < RENEW_BEFORE_DAYS * DAY) return false;
  const have = (cert.subjectAltName ?? '')
    .split(', ')
    .map((s) => s.replace(/^(DNS|IP Address):/, ''));
  return sans.every((s) => have.includes(s) || have.includes(expandIpv6(s)));
}

function expandIpv6(s: string): string {
  return s === '::1' ? '0:0:0:0:0:0:0:1' : s;
}

export async function ensureServingCertificates(
  dir: string,
  sans: string[],
): Promise<ServingCertificates> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = await ensureCa(dir);
  const certFile = path.join(dir, 'serving.crt');
  const keyFile = path.join(dir, 'serving.key');
  if (fs.existsSync(certFile) && fs.existsSync(keyFile)) {
    const certPem = fs.readFileSync(certFile, 'utf8');
    if (servingCertIsGood(certPem, sans)) {
      return {
        caPem: ca.pem,
        certPem,
        keyPem: fs.readFileSync(keyFile, 'utf8'),
        caFile: path.join(dir, 'ca.crt'),
      };
    }
  }
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
  fs.writeFileSync(keyFile, keyPem, { mode: 0o600 });
  fs.writeFileSync(certFile, certPem);
  return { caPem: ca.pem, certPem, keyPem, caFile: path.join(dir, 'ca.crt') };
}
