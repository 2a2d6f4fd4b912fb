import type { RunStep, Spawner, StepResult } from '../host/index.ts';

// Pod networks are attached in waves: one `ip` run makes the host's side (namespace,
// veth, bridge port) of every pod waiting, ~1 ms a pod, then each pod's own steps (an
// `ip -n` run in its namespace, portmap) run side by side. Links are made under the
// kernel's rtnl lock, and every `ip` run costs a process: with one run per pod for the
// host's side too, 50 pods arriving over 200 ms were attached after 48 ms (p50) instead
// of 32, and a lone pod after 24 ms instead of 11. A pod arriving while a wave's host
// side runs waits for the next wave.

/** At most this many pods in one wave: a wave's first pods wait for its last ones' links. */
const MAX_WAVE = 32;

export interface Attachment {
  /** `ip -batch` lines in the host's namespace; run with the wave's, in order. */
  hostLines: string[];
  /** Then the pod's own steps, one after the other, stopping at the first failure. */
  steps: RunStep[];
  /** The error for a failed step (its index in `steps`). */
  failure(step: number, result: StepResult): Error;
}

interface Waiting extends Attachment {
  done(err?: Error): void;
}

export class AttachQueue {
  readonly #spawner: Spawner;
  readonly #ip: string;
  readonly #waiting: Waiting[] = [];
  #running = false;

  constructor(spawner: Spawner, ip: string) {
    this.#spawner = spawner;
    this.#ip = ip;
  }

  /** Runs the attachment's host lines, then its steps; rejects with what failed. */
  attach(attachment: Attachment): Promise<void> {
    return new Promise((resolve, reject) => {
      const w = { ...attachment, done: (err?: Error) => (err ? reject(err) : resolve()) };
      this.#waiting.push(w);
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#waiting.length > 0) {
        const wave = this.#waiting.splice(0, MAX_WAVE);
        const ready = await this.#hostSide(wave);
        for (const pod of ready) void this.#podSide(pod).then((err) => pod.done(err));
      }
    } finally {
      this.#running = false;
    }
  }

  /** One `ip -force -batch` for the wave; returns the pods none of whose lines failed. */
  async #hostSide(wave: Waiting[]): Promise<Waiting[]> {
    const owner: Waiting[] = [];
    for (const pod of wave) for (const _ of pod.hostLines) owner.push(pod);
    const input = `${wave.flatMap((p) => p.hostLines).join('\n')}\n`;
    let result: StepResult | undefined;
    try {
      [result] = await this.#spawner.run([
        { file: this.#ip, args: ['-force', '-batch', '-'], input },
      ]);
    } catch (err) {
      for (const pod of wave) pod.done(err as Error);
      return [];
    }
    if (!result || result.error) {
      const why = result?.error ?? 'no answer';
      for (const pod of wave) pod.done(new Error(`ip (creating the namespace and veth): ${why}`));
      return [];
    }
    // With -force, ip goes on after a failed line, printing its error and then
    // "Command failed -:<line>": the line tells whose it was.
    const failed = new Map<Waiting, string>();
    const lines = result.stderr.split('\n');
    lines.forEach((line, i) => {
      const match = /^Command failed -:(\d+)/.exec(line);
      const pod = match ? owner[Number(match[1]) - 1] : undefined;
      if (pod && !failed.has(pod)) failed.set(pod, lines[i - 1]?.trim() || line);
    });
    if (result.code !== 0 && failed.size === 0) {
      const why = result.stderr.trim() || `exit ${result.code}`;
      for (const pod of wave) failed.set(pod, why);
    }
    for (const [pod, why] of failed) {
      pod.done(new Error(`ip (creating the namespace and veth): ${why}`));
    }
    return wave.filter((pod) => !failed.has(pod));
  }

  async #podSide(pod: Waiting): Promise<Error | undefined> {
    if (pod.steps.length === 0) return undefined;
    let results: StepResult[];
    try {
      results = await this.#spawner.run(pod.steps);
    } catch (err) {
      return err as Error;
    }
    const bad = pod.steps.findIndex((step, i) => {
      const r = results[i];
      return !step.tolerate && (!r || r.code !== 0 || r.error);
    });
    return bad >= 0 ? pod.failure(bad, results[bad]!) : undefined;
  }
}
