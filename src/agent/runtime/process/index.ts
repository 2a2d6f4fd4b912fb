export { createProcessDriver, PROCESS_RUNTIME, type ProcessDriverOptions } from './driver.ts';
export { probeProcessHost, processRuntimeNotes, type NoteFacts, type ProcessHost } from './host.ts';
export type { CniNetwork } from './cni.ts';
export { processRuntimeRunDir, wharfRunDir } from './run-dir.ts';
export {
  openNetnsAttacher,
  type EngineSandboxes,
  type NetnsAttacher,
  type NetnsAttacherOptions,
} from './netns-attacher.ts';
