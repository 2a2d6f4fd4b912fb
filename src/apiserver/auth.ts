import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';

// Bearer-token authentication. The admin token lives in the data dir (mode 0600) and maps
// to the cluster-admin identity; the join secret that agents present (src/cli/join-token.ts)
// maps to `system:node-bootstrap`. Full RBAC arrives in a later issue, until then every
// authenticated user may do everything, so the join token is as strong as the admin's.

export interface UserInfo {
  username: string;
  uid: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export const ADMIN_USER: UserInfo = {
  username: 'system:admin',
  uid: 'wharf-admin',
  groups: ['system:masters', 'system:authenticated'],
};

export class TokenAuthenticator {
  readonly #tokens = new Map<string, { user: UserInfo; bytes: Buffer; expires?: Date }>();

  /** Accepts `token` as `user` until `expires` (forever when absent). */
  add(token: string, user: UserInfo, expires?: Date): void {
    this.#tokens.set(token, { user, bytes: Buffer.from(token), expires });
  }

  authenticate(req: IncomingMessage): UserInfo | undefined {
    const header = req.headers.authorization;
    if (!header) return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) return undefined;
    const given = Buffer.from(m[1]!);
    const now = Date.now();
    for (const [token, { user, bytes, expires }] of this.#tokens) {
      if (expires && expires.getTime() <= now) {
        this.#tokens.delete(token);
        continue;
      }
      if (bytes.length === given.length && timingSafeEqual(bytes, given)) return user;
    }
    return undefined;
  }
}

/** Reads the admin token from the data dir, creating it on first start. */
export function ensureAdminToken(dir: string): string {
  const file = path.join(dir, 'admin.token');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const token = `wharf-${randomBytes(24).toString('base64url')}`;
  fs.writeFileSync(file, token + '\n', { mode: 0o600 });
  return token;
}
