// Pod networks on a bridge, for both runtimes: a network namespace per pod with a veth
// to the bridge, an address from a pool kept as CNI host-local keeps it, hostPorts
// through the CNI portmap plugin, and the pod's /etc/hosts and resolv.conf. The process
// runtime makes the namespaces and the bridge (PodNetwork); the docker runtime has
// wharf attach the namespaces of its pause containers to the engine's bridge
// (NetnsAttacher).
export { netnsName, netnsPath, type CniNetwork, type PodAttachment } from './cni.ts';
export { gatewayOf, halvesOf, rangeBeside } from './ipam.ts';
export { hostVethName, PodNetwork, type PodLink } from './pod-network.ts';
export {
  hostNetworkHostsText,
  hostsText,
  removePodEtcFiles,
  resolvConfText,
  writePodEtcFiles,
} from './pod-etc-files.ts';
export {
  openNetnsAttacher,
  type EngineSandboxes,
  type NetnsAttacher,
  type NetnsAttacherOptions,
} from './netns-attacher.ts';
