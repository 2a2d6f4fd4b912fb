export { GarbageCollector, collectableResources } from './controller.ts';
