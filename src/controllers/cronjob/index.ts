export {
  CronJobController,
  type CronJobCaches,
  type CronJobControllerOptions,
} from './controller.ts';
export { parseSchedule, type Schedule } from './schedule.ts';
