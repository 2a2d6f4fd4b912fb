import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseServiceCIDR } from './services/ip-range.ts';

// The cluster's own certificate authority and the API server's serving certificate, kept
// in the data dir. The serving certificate is re-issued when it nears expiry or when the
// names it must cover change (a new --tls-san, a new address); checking needs only node's
// X509Certificate, so the issuing code loads only when something must be issued.

const DAY = 24 * 3600 * 1000;
const RENEW_BEFORE_DAYS = 30;

export interface ServingCertificates {
  caPem: string;
  certPem: string;
  keyPem: string;
  caFile: string;
}

/** localhost, 127.0.0.1, ::1, the host name and every address of this machine, plus extras. */
export function defaultSans(extra: string[] = []): string[] {
  const addrs = Object.values(os.networkInterfaces())
    .flat()
    .filter((a): a is os.NetworkInterfaceInfo => !!a)
    .map((a) => a.address.split('%')[0]!);
  return [...new Set(['localhost', os.hostname(), '127.0.0.1', '::1', ...addrs, ...extra])];
}

/**
 * The names pods reach the API server by: the `kubernetes` service's cluster IP (the
 * service range's first address) and its DNS names, as kube-apiserver puts them in its
 * certificate; in-cluster clients verify https://<KUBERNETES_SERVICE_HOST> against them.
 */
export function apiServiceSans(serviceCIDR: string, clusterDomain = 'cluster.local'): string[] {
  const names = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc'];
  return [parseServiceCIDR(serviceCIDR).at(0), ...names, `kubernetes.default.svc.${clusterDomain}`];
}

function servingCertIsGood(pem: string, sans: string[]): boolean {
  const cert = new X509Certificate(pem);
  if (new Date(cert.validTo).getTime() - Date.now() < RENEW_BEFORE_DAYS * DAY) return false;
  const have = (cert.subjectAltName ?? '')
    .split(', ')
    .map((s) => s.replace(/^(DNS|IP Address):/, ''));
  return sans.every((s) => have.includes(s) || (s === '::1' && have.includes('0:0:0:0:0:0:0:1')));
}

export async function ensureServingCertificates(
  dir: string,
  sans: string[],
): Promise<ServingCertificates> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caFile = path.join(dir, 'ca.crt');
  const certFile = path.join(dir, 'serving.crt');
  const keyFile = path.join(dir, 'serving.key');
  if (fs.existsSync(caFile) && fs.existsSync(certFile) && fs.existsSync(keyFile)) {
    const certPem = fs.readFileSync(certFile, 'utf8');
    if (servingCertIsGood(certPem, sans)) {
      return {
        caPem: fs.readFileSync(caFile, 'utf8'),
        certPem,
        keyPem: fs.readFileSync(keyFile, 'utf8'),
        caFile,
      };
    }
  }
  const { issueServingCertificate } = await import('./pki-issue.ts');
  return { ...(await issueServingCertificate(dir, sans)), caFile };
}
