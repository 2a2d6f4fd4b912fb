import type { KubeObject } from '../../api/index.ts';

// The parts of batch/v1 CronJob and Job the CronJob controller reads and writes.

export interface ObjectReference {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
}

export interface CronJob extends KubeObject {
  spec?: {
    schedule?: string;
    timeZone?: string | null;
    startingDeadlineSeconds?: number | null;
    concurrencyPolicy?: string;
    suspend?: boolean;
    successfulJobsHistoryLimit?: number | null;
    failedJobsHistoryLimit?: number | null;
    jobTemplate?: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec?: Record<string, unknown>;
    };
  };
  status?: {
    active?: ObjectReference[];
    lastScheduleTime?: string;
    lastSuccessfulTime?: string;
  };
}

export interface Job extends KubeObject {
  status?: {
    startTime?: string;
    completionTime?: string;
    conditions?: { type: string; status: string }[];
  };
}
