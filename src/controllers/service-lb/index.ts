export { ServiceLBController, type ServiceLBCaches, type ServiceLBClient } from './controller.ts';
