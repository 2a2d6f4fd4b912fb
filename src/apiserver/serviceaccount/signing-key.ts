import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

// The key service-account tokens are signed with (kube-apiserver's
// --service-account-signing-key-file), kept in the data dir beside the CA so that tokens
// outlive a restart. ECDSA P-256 (ES256), which Kubernetes accepts beside RSA: a
// signature costs ~0.1 ms where RS256's costs ~1 ms, and every pod start asks for one.

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The key id in token headers: base64url SHA-256 of the public key's DER, as Kubernetes. */
  kid: string;
}

export function keyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64url');
}

/** Reads `<dir>/sa.key`, making it (mode 0600) on first start. */
export function ensureSigningKey(dir: string): SigningKey {
  const file = path.join(dir, 'sa.key');
  let pem: string;
  if (fs.existsSync(file)) {
    pem = fs.readFileSync(file, 'utf8');
  } else {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    pem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    // Written aside and renamed: a crash mid-write must not leave half a key.
    fs.writeFileSync(`${file}.tmp`, pem, { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  }
  return signingKeyFromPem(pem, file);
}

export function signingKeyFromPem(pem: string, where = 'the key'): SigningKey {
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(pem);
  } catch (err) {
    throw new Error(`${where} is not a PEM private key: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (
    publicKey.asymmetricKeyType !== 'ec' ||
    publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1'
  ) {
    throw new Error(`${where} must be an ECDSA P-256 key (ES256)`);
  }
  return { privateKey: createPrivateKey(pem), publicKey, kid: keyId(publicKey) };
}
