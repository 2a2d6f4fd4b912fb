// The kernel data plane (kube-proxy's iptables mode). IPv4 only.
export {
  IptablesDataPlane,
  newIptablesDataPlane,
  type IptablesDataPlaneOptions,
} from './data-plane.ts';
export { renderRestore, renderCleanup, parseIptablesSave, type InstalledRules } from './restore.ts';
