// The server side of kubectl's streaming protocols — exec, attach, port-forward — for the
// node agent. The API server forwards kubectl's upgrade request unchanged, so the agent's
// HTTP server passes its 'upgrade' event (req, socket, head) here and gets Node streams back.
export { acceptExecStream, parseExecQuery, type ExecRequest } from './exec.ts';
export { acceptPortForward } from './port-forward.ts';
export { rejectUpgrade, StreamUpgradeError } from './upgrade.ts';
export type {
  ExecResult,
  ExecStreamOptions,
  PortForwardHandler,
  PortForwardSession,
  StreamSession,
  StreamTransport,
  TerminalSize,
} from './types.ts';
