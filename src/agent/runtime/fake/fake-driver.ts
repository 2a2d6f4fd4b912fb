import { randomUUID } from 'node:crypto';
import {
  RuntimeError,
  type AttachOptions,
  type AttachSession,
  type ContainerSpec,
  type ContainerStatus,
  type ExecOptions,
  type ExecSession,
  type LogLine,
  type LogOptions,
  type RuntimeCapabilities,
  type RuntimeDriver,
  type RuntimeVersion,
  type SandboxSpec,
  type SandboxStatus,
} from '../types.ts';

// A runtime that runs nothing, for tests of the pod lifecycle (Nomad's mock driver):
// what a container does is scripted per image. It keeps the contract's promises —
// idempotent stops and removes, exit notifications, NotFound/NotRunning — so the agent
// cannot tell it from a real driver, and it records every call for assertions. A
// container's main process behaves like `cat` towards attached clients: what one sends on
// stdin (with `stdin: true`) comes back on stdout, and `emit` writes output of the test's.

export interface FakeBehaviour {
  /** ensureImage fails with this engine message (ErrImagePull). */
  pullError?: string;
  /** startContainer fails with this message (RunContainerError). */
  startError?: string;
  /** Exit on its own after this long; absent: run until stopped. */
  runForMs?: number;
  exitCode?: number;
  /** Printed to stdout at start. */
  output?: string;
  /** Exit with this code on SIGTERM; absent: ignore it and wait for the kill. */
  exitOnTerm?: number;
  /** Exit code of every exec. */
  execExitCode?: number;
}

interface FakeContainer {
  status: ContainerStatus;
  behaviour: FakeBehaviour;
  stdio: { stdin: boolean; stdinOnce: boolean; tty: boolean; stdinClosed: boolean };
  logs: LogLine[];
  /** Attached clients: each gets output and is told when the container exits. */
  attached: Set<{ output(line: LogLine): void; exited(): void }>;
  timer?: NodeJS.Timeout;
}

export class FakeDriver implements RuntimeDriver {
  readonly name = 'fake' as const;
  /** Every call made, in order, e.g. `start main`, `stop main 30`. */
  readonly calls: string[] = [];
  readonly #behaviours = new Map<string, FakeBehaviour>();
  readonly #sandboxes = new Map<string, SandboxStatus>();
  readonly #containers = new Map<string, FakeContainer>();
  readonly #listeners = new Set<(s: ContainerStatus) => void>();
  #nextIp = 2;
  readonly #now: () => Date;

  /** `now`: the time the fake stamps on what happens (a test's fake clock). */
  constructor(now: () => number = Date.now) {
    this.#now = () => new Date(now());
  }

  /** Scripts what containers of `image` do from now on. */
  script(image: string, behaviour: FakeBehaviour): void {
    this.#behaviours.set(image, behaviour);
  }

  capabilities(): RuntimeCapabilities {
    return {
      podNetwork: 'pod',
      enforcesLimits: true,
      runsImages: true,
      mounts: true,
      ttyContainers: true,
      unenforcedSecurity: [],
      notes: [],
    };
  }

  async version(): Promise<RuntimeVersion> {
    return { name: 'fake', version: '1.0.0' };
  }

  async ensureImage(image: string): Promise<string> {
    this.calls.push(`pull ${image}`);
    const error = this.#behaviours.get(image)?.pullError;
    if (error) throw new RuntimeError('ImagePull', error);
    return `fake://${image}`;
  }

  async runSandbox(spec: SandboxSpec): Promise<SandboxStatus> {
    this.calls.push(`sandbox ${spec.podName}`);
    const sandbox: SandboxStatus = {
      id: randomUUID(),
      podUid: spec.podUid,
      podName: spec.podName,
      namespace: spec.namespace,
      state: 'ready',
      ips: spec.hostNetwork ? [] : [`10.99.0.${this.#nextIp++}`],
      createdAt: this.#now(),
    };
    this.#sandboxes.set(sandbox.id, sandbox);
    return { ...sandbox };
  }

  async stopSandbox(id: string): Promise<void> {
    const sandbox = this.#sandboxes.get(id);
    if (sandbox) sandbox.state = 'notready';
  }

  async removeSandbox(id: string): Promise<void> {
    this.calls.push(`remove-sandbox ${this.#sandboxes.get(id)?.podName ?? id}`);
    this.#sandboxes.delete(id);
  }

  async listSandboxes(): Promise<SandboxStatus[]> {
    return [...this.#sandboxes.values()].map((s) => ({ ...s }));
  }

  async createContainer(sandboxId: string, spec: ContainerSpec): Promise<string> {
    if (!this.#sandboxes.has(sandboxId))
      throw new RuntimeError('NotFound', `no sandbox ${sandboxId}`);
    this.calls.push(`create ${spec.name}`);
    const id = randomUUID();
    this.#containers.set(id, {
      behaviour: this.#behaviours.get(spec.image) ?? {},
      stdio: {
        stdin: spec.stdin,
        stdinOnce: spec.stdin && spec.stdinOnce,
        tty: spec.tty,
        stdinClosed: false,
      },
      logs: [],
      attached: new Set(),
      status: {
        id,
        sandboxId,
        podUid: spec.podUid,
        podName: spec.podName,
        namespace: spec.namespace,
        name: spec.name,
        attempt: spec.attempt,
        hash: spec.hash,
        image: spec.image,
        imageRef: `fake://${spec.image}`,
        state: 'created',
        createdAt: this.#now(),
      },
    });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const c = this.#get(id);
    this.calls.push(`start ${c.status.name}`);
    if (c.behaviour.startError) throw new RuntimeError('RunContainer', c.behaviour.startError);
    c.status.state = 'running';
    c.status.startedAt = this.#now();
    if (c.behaviour.output) this.emit(id, c.behaviour.output);
    if (c.behaviour.runForMs !== undefined) {
      c.timer = setTimeout(() => this.exit(id, c.behaviour.exitCode ?? 0), c.behaviour.runForMs);
    }
  }

  async stopContainer(id: string, gracePeriodSeconds: number): Promise<void> {
    const c = this.#containers.get(id);
    if (!c || c.status.state !== 'running') return;
    this.calls.push(`stop ${c.status.name} ${gracePeriodSeconds}`);
    this.exit(id, c.behaviour.exitOnTerm ?? 137);
  }

  async removeContainer(id: string): Promise<void> {
    const c = this.#containers.get(id);
    if (!c) return;
    this.calls.push(`remove ${c.status.name}`);
    clearTimeout(c.timer);
    this.#containers.delete(id);
  }

  async listContainers(): Promise<ContainerStatus[]> {
    return [...this.#containers.values()].map((c) => ({ ...c.status }));
  }

  async inspectContainer(id: string): Promise<ContainerStatus> {
    return { ...this.#get(id).status };
  }

  onContainerExit(listener: (status: ContainerStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async *logs(id: string, options: LogOptions): AsyncIterable<LogLine> {
    const lines = this.#get(id).logs.filter((l) => !options.since || l.time >= options.since);
    yield* options.tail === undefined ? lines : lines.slice(-options.tail);
  }

  async exec(id: string, options: ExecOptions): Promise<ExecSession> {
    const c = this.#get(id);
    if (c.status.state !== 'running') {
      throw new RuntimeError('NotRunning', `container ${c.status.name} is not running`);
    }
    this.calls.push(`exec ${c.status.name} ${options.command.join(' ')}`);
    return { resize: () => undefined, exitCode: Promise.resolve(c.behaviour.execExitCode ?? 0) };
  }

  async attach(id: string, options: AttachOptions): Promise<AttachSession> {
    const c = this.#get(id);
    if (c.status.state !== 'running') {
      throw new RuntimeError('NotRunning', `container ${c.status.name} is not running`);
    }
    this.calls.push(`attach ${c.status.name}`);
    const { tty } = c.stdio;
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const client = {
      output: (line: LogLine) => {
        const to = tty || line.stream === 'stdout' ? options.stdout : options.stderr;
        to?.write(line.data);
      },
      exited: () => finish(),
    };
    c.attached.add(client);
    void done.then(() => c.attached.delete(client));
    options.signal?.addEventListener('abort', () => finish(), { once: true });
    const input = options.stdin;
    if (input && c.stdio.stdin && !c.stdio.stdinClosed) {
      input.on('data', (chunk: Buffer) => this.emit(id, chunk.toString()));
      input.once('end', () => {
        if (!c.stdio.stdinOnce || tty) return finish();
        c.stdio.stdinClosed = true;
        this.calls.push(`close-stdin ${c.status.name}`);
      });
    } else {
      input?.resume();
    }
    return {
      tty,
      resize: (columns, rows) => {
        if (tty) this.calls.push(`resize ${c.status.name} ${columns}x${rows}`);
      },
      done,
    };
  }

  /** Output of a running container's main process: logged, and sent to attached clients. */
  emit(id: string, text: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    const c = this.#get(id);
    const line: LogLine = { time: this.#now(), stream, data: Buffer.from(text) };
    c.logs.push(line);
    for (const client of c.attached) client.output(line);
  }

  /** Makes a running container exit now (a crash, from the test's point of view). */
  exit(id: string, exitCode: number, reason?: string): void {
    const c = this.#containers.get(id);
    if (!c || c.status.state !== 'running') return;
    clearTimeout(c.timer);
    Object.assign(c.status, {
      state: 'exited',
      finishedAt: this.#now(),
      exitCode,
      reason: reason ?? (exitCode === 0 ? 'Completed' : 'Error'),
    });
    const status = { ...c.status };
    for (const client of c.attached) client.exited();
    queueMicrotask(() => this.#listeners.forEach((l) => l(status)));
  }

  async close(): Promise<void> {
    for (const c of this.#containers.values()) clearTimeout(c.timer);
  }

  #get(id: string): FakeContainer {
    const c = this.#containers.get(id);
    if (!c) throw new RuntimeError('NotFound', `no container ${id}`);
    return c;
  }
}
