import { missingRoot } from '../support/requirements.ts';
import { runServiceScenarios } from './service-scenarios.ts';

// The user-space proxy (what a node without root gets), here as root so the cluster IPs
// can be put on the node: the same service steps, answered by sockets of the agent.
runServiceScenarios({
  runtime: 'process',
  proxyMode: 'userspace',
  image: async () => 'busybox',
  skip: missingRoot('puts the cluster IPs on the node and pods in network namespaces'),
});
