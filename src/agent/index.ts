// The node agent: registers a Node, runs the pods bound to it through a runtime driver,
// and serves their logs, exec and port-forward to the API server.
export { startAgent, type AgentOptions, type RunningAgent } from './agent.ts';
export { defaultHostIP } from './node/node-object.ts';
export {
  openRuntime,
  runtimeInstance,
  FakeDriver,
  type RuntimeChoice,
  type RuntimeDriver,
} from './runtime/index.ts';
