export { claimObjects, controllerRefOf, type ClaimOptions } from './claim.ts';
