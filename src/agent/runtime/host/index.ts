// What both runtimes use of the machine they run on: a helper process that starts
// programs for the agent (spawner.ts says why), the processes it started, the helper
// programs on the system's PATH, and wharf's runtime directory on tmpfs.
export {
  acquireSpawner,
  Spawner,
  type ChildExit,
  type RunStep,
  type StepResult,
} from './spawner.ts';
export { isAlive, signalGroup } from './proc.ts';
export { isExecutableFile, SYSTEM_PATH, which } from './tools.ts';
export { onTmpfs, wharfRunDir } from './run-dir.ts';
export { chown, mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from './fs-calls.ts';
