import {
  chmodSync,
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import type { Container } from '../k8s-types.ts';
import type { ContainerStatus, RuntimeDriver } from '../runtime/types.ts';

// Termination messages, as the kubelet keeps them: every start of a container gets a
// fresh, empty file on the node, `<pods dir>/<uid>/containers/<name>/<attempt>`, mounted
// at its `terminationMessagePath` (default /dev/termination-log) and writable by any user.
// The pods dir is the agent's tmpfs one when it has one (memory-volumes.ts), as a start
// there costs no disk inode, else `<dataDir>/pods`; either goes with the pod. Once the container has exited, what it wrote there — its last 4096 bytes —
// follows the runtime's own message in `state.terminated.message` (after ": "). With
// `terminationMessagePolicy: FallbackToLogsOnError`, a container that failed without
// writing one gets the end of its log instead: its last 80 lines, at most 2048 bytes.
// Named by attempt, the file of a container is found again after an agent restart.

const MAX_MESSAGE_BYTES = 4096;
const FALLBACK_LINES = 80;
const FALLBACK_BYTES = 2048;

export class TerminationMessages {
  readonly #podsDir: string;

  /** `podsDir`: the directory of the pods' directories, named by uid. */
  constructor(podsDir: string) {
    this.#podsDir = podsDir;
  }

  #file(podUid: string, name: string, attempt: number): string {
    return path.join(this.#podsDir, podUid, 'containers', name, String(attempt));
  }

  /** Makes the empty file for this start of the container and returns its path. */
  prepare(podUid: string, name: string, attempt: number): string {
    const file = this.#file(podUid, name, attempt);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, '');
    chmodSync(file, 0o666); // whatever the umask: the container's user may not be root
    return file;
  }

  /** What the container wrote (its last 4096 bytes); undefined when it has no file. */
  read(podUid: string, name: string, attempt: number): string | undefined {
    let fd: number;
    try {
      fd = openSync(this.#file(podUid, name, attempt), 'r');
    } catch {
      return undefined;
    }
    try {
      const size = fstatSync(fd).size;
      const length = Math.min(size, MAX_MESSAGE_BYTES);
      const buf = Buffer.alloc(length);
      const read = readSync(fd, buf, 0, length, size - length);
      return buf.subarray(0, read).toString('utf8');
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * The message of an exited container's status, as the kubelet's toKubeContainerStatus
 * puts it together: the runtime's message, then the termination message.
 */
export async function terminatedMessage(
  messages: TerminationMessages,
  runtime: RuntimeDriver,
  status: ContainerStatus,
  container: Container | undefined,
): Promise<string | undefined> {
  let text = container?.terminationMessagePath
    ? (messages.read(status.podUid, status.name, status.attempt) ?? '')
    : '';
  const fallback =
    container?.terminationMessagePolicy === 'FallbackToLogsOnError' &&
    (status.exitCode ?? 0) !== 0 &&
    status.reason !== 'StartError';
  if (text === '' && fallback) text = await logTail(runtime, status.id);
  if (text === '') return status.message;
  return status.message ? `${status.message}: ${text}` : text;
}

async function logTail(runtime: RuntimeDriver, id: string): Promise<string> {
  const chunks: Buffer[] = [];
  try {
    for await (const line of runtime.logs(id, { follow: false, tail: FALLBACK_LINES })) {
      chunks.push(line.data);
    }
  } catch {
    return '';
  }
  const all = Buffer.concat(chunks);
  return all.subarray(Math.max(0, all.length - FALLBACK_BYTES)).toString('utf8');
}
