export { parseServiceCIDR, type IpRange } from './ip-range.ts';
export { ServiceAllocations, type ClaimOwner } from './allocations.ts';
export { serviceWriteHooks } from './service-hooks.ts';
export { KubernetesService } from './kubernetes-service.ts';
export { AllocationRepair } from './repair.ts';
