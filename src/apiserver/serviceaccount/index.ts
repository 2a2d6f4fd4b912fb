export { answerTokenRequest } from './token-request.ts';
export { admitServiceAccount, mountServiceAccountToken, TOKEN_MOUNT_PATH } from './admission.ts';
export { ensureSigningKey, type SigningKey } from './signing-key.ts';
export {
  API_AUDIENCES,
  ISSUER,
  looksLikeJwt,
  ServiceAccountTokens,
  type BoundKind,
  type TokenCheck,
} from './tokens.ts';
