import { runServiceScenarios } from './service-scenarios.ts';

// The user-space proxy (what a node without root gets), here as root so the cluster IPs
// can be put on the node: the same service steps, answered by sockets of the agent.
runServiceScenarios({
  runtime: 'process',
  proxyMode: 'userspace',
  image: async () => 'busybox',
  skip: process.getuid?.() === 0 ? false : 'needs root to put cluster IPs on the node',
});
