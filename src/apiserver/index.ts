export {
  ApiServer,
  BOOTSTRAP_NAMESPACES,
  DEFAULT_SERVICE_CIDR,
  type ApiServerOptions,
} from './server.ts';
export { builtinAdmission } from './builtin-admission.ts';
export { TokenAuthenticator, ADMIN_USER, ensureAdminToken, type UserInfo } from './auth.ts';
export {
  apiServiceSans,
  ensureServingCertificates,
  defaultSans,
  type ServingCertificates,
} from './pki.ts';
export { ensureSigningKey } from './serviceaccount/index.ts';
export { versionInfo } from './version.ts';
export { StatusError } from './errors.ts';
