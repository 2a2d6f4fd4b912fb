import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import {
  looksLikeJwt,
  type ServiceAccountTokens,
  type TokenCheck,
} from './serviceaccount/index.ts';

// Bearer-token authentication. The admin token lives in the data dir (mode 0600) and maps
// to the cluster-admin identity; the join secret that agents present (src/cli/join-token.ts)
// maps to `system:node-bootstrap`; service-account JWTs (serviceaccount/) map to their
// account. Full RBAC arrives in a later issue, until then every
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
  /** Static tokens by their SHA-256: a lookup that reveals nothing of a token's bytes. */
  readonly #static = new Map<string, UserInfo>();
  #serviceAccounts: ServiceAccountTokens | undefined;

  /** Accepts `token` as `user`. */
  add(token: string, user: UserInfo): void {
    this.#static.set(digest(token), user);
  }

  /** Accepts the service-account JWTs these tokens sign and check. */
  acceptServiceAccountTokens(tokens: ServiceAccountTokens): void {
    this.#serviceAccounts = tokens;
  }

  get serviceAccounts(): ServiceAccountTokens | undefined {
    return this.#serviceAccounts;
  }

  async authenticate(req: IncomingMessage): Promise<UserInfo | undefined> {
    const header = req.headers.authorization;
    if (!header) return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) return undefined;
    const answer = await this.review(m[1]!);
    return 'user' in answer ? answer.user : undefined;
  }

  /** What a TokenReview says of `token`, for `audiences` (the API server's by default). */
  async review(token: string, audiences?: string[]): Promise<TokenCheck> {
    const user = this.#static.get(digest(token));
    if (user) return { user };
    if (this.#serviceAccounts && looksLikeJwt(token)) {
      return this.#serviceAccounts.authenticate(token, audiences);
    }
    return { error: 'invalid bearer token' };
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64');
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
