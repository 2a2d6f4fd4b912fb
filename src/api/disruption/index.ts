// PodDisruptionBudget semantics shared by the disruption controller and the eviction API.
export * from './budget.ts';
export * from './disruption-target.ts';
