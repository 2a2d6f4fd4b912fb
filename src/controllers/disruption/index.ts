export { DisruptionController, PDBS, PODS, type DisruptionCaches } from './controller.ts';
export {
  DELETION_TIMEOUT_MS,
  isPodReady,
  selectsPod,
  specOf,
  statusOf,
  withDisruptionAllowedCondition,
  type BudgetStatus,
} from './budget.ts';
export { DISRUPTION_TARGET, withPodCondition } from './disruption-target.ts';
