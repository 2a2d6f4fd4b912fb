import type { FieldError, KubeObject, ResourceType } from '../../api/index.ts';

// What some kinds need around a write besides defaulting and validation: a Service takes
// a cluster IP and node ports before it is stored and gives them back when it goes (the
// BeginCreate/BeginUpdate/AfterDelete hooks of kube-apiserver's generic registry).

export interface HookResult {
  /** Field errors to refuse the write with (the hook has undone its own work). */
  errors: FieldError[];
  /** Called once the write is stored (`committed`) or abandoned. */
  finish(committed: boolean): Promise<void>;
}

export interface WriteHooks {
  /** Runs after defaulting, before validation; may fill server-assigned fields in `obj`. */
  beginCreate?(obj: KubeObject, dryRun: boolean): Promise<HookResult>;
  beginUpdate?(next: KubeObject, current: KubeObject, dryRun: boolean): Promise<HookResult>;
  /** The object is gone from the store. */
  afterDelete?(obj: KubeObject): Promise<void>;
}

export type WriteHooksFor = (type: ResourceType) => WriteHooks | undefined;

export const NO_HOOK_RESULT: HookResult = { errors: [], finish: async () => undefined };
