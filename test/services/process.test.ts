import { missingCommand } from '../support/requirements.ts';
import { runServiceScenarios } from './service-scenarios.ts';

// The process runtime as root: pods in their own network namespaces on wharf0, the
// kernel proxy, and the cluster IP reached from host processes (this test).
runServiceScenarios({
  runtime: 'process',
  proxyMode: 'kernel',
  image: async () => 'busybox',
  skip: missingCommand('iptables-restore', 'apt-get install iptables'),
});
