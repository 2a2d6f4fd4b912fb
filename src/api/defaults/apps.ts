// apps/v1 defaults (pkg/apis/apps/v1/defaults.go) and their pod templates.

import { defaultPodTemplateSpec, defaultPVCSpec } from './pod.ts';
import {
  child,
  defaultResourceList,
  each,
  maybe,
  setDefault,
  setDefaultIfEmpty,
  type Obj,
} from './util.ts';

export function defaultDeployment(d: Obj): void {
  const spec = child(d, 'spec');
  setDefault(spec, 'replicas', 1);
  const strategy = child(spec, 'strategy');
  setDefaultIfEmpty(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = child(strategy, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', '25%');
    setDefault(ru, 'maxSurge', '25%');
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  defaultPodTemplateSpec(child(spec, 'template'));
}

export function defaultReplicaSet(rs: Obj): void {
  const spec = child(rs, 'spec');
  setDefault(spec, 'replicas', 1);
  defaultPodTemplateSpec(child(spec, 'template'));
}

export function defaultDaemonSet(ds: Obj): void {
  const spec = child(ds, 'spec');
  const strategy = child(spec, 'updateStrategy');
  setDefaultIfEmpty(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = child(strategy, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', 1);
    setDefault(ru, 'maxSurge', 0);
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplateSpec(child(spec, 'template'));
}

export function defaultStatefulSet(sts: Obj): void {
  const spec = child(sts, 'spec');
  setDefaultIfEmpty(spec, 'podManagementPolicy', 'OrderedReady');
  const strategy = child(spec, 'updateStrategy');
  if (strategy.type === undefined || strategy.type === null || strategy.type === '') {
    strategy.type = 'RollingUpdate';
    setDefault(strategy, 'rollingUpdate', {});
  }
  const ru = maybe(strategy, 'rollingUpdate');
  if (strategy.type === 'RollingUpdate' && ru) setDefault(ru, 'partition', 0);
  const retention = child(spec, 'persistentVolumeClaimRetentionPolicy');
  setDefaultIfEmpty(retention, 'whenDeleted', 'Retain');
  setDefaultIfEmpty(retention, 'whenScaled', 'Retain');
  setDefault(spec, 'replicas', 1);
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplateSpec(child(spec, 'template'));
  each(spec.volumeClaimTemplates, (pvc) => {
    setDefault(child(pvc, 'metadata'), 'creationTimestamp', null);
    defaultPVCSpec(child(pvc, 'spec'));
    const status = child(pvc, 'status');
    setDefaultIfEmpty(status, 'phase', 'Pending');
    defaultResourceList(status.capacity);
  });
}
