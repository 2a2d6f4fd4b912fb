export { createProcessDriver, PROCESS_RUNTIME, type ProcessDriverOptions } from './driver.ts';
export { probeProcessHost, processRuntimeNotes, type NoteFacts, type ProcessHost } from './host.ts';
export { processRuntimeRunDir } from './run-dir.ts';
