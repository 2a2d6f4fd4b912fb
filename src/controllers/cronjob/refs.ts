import type { ResourceRef } from '../../client/index.ts';

export const CRONJOBS: ResourceRef = {
  group: 'batch',
  version: 'v1',
  resource: 'cronjobs',
  namespaced: true,
};
export const JOBS: ResourceRef = {
  group: 'batch',
  version: 'v1',
  resource: 'jobs',
  namespaced: true,
};
