export { DisruptionController, PDBS, PODS, type DisruptionCaches } from './controller.ts';
