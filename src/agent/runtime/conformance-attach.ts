import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { missingCommand } from '../../../test/support/requirements.ts';
import {
  RuntimeError,
  type ContainerSpec,
  type ContainerStatus,
  type RuntimeDriver,
  type SandboxSpec,
} from './types.ts';

// The attach part of the runtime conformance suite (conformance.ts): what `kubectl attach`
// and `kubectl run -it` rely on, with Docker's semantics as the reference. Output is live
// from the moment of attach; stdin reaches only containers created with `stdin`; a client
// whose stdin ends detaches, except with stdinOnce (no TTY), which closes the container's
// stdin instead; detaching never stops a container; a runtime offers TTY containers or
// refuses to create them.

export interface AttachConformanceContext {
  driver(): RuntimeDriver;
  /** A second driver of the same instance (an agent that restarted). */
  reopen(): Promise<RuntimeDriver>;
  run(script: string, extra?: Partial<ContainerSpec>): Promise<{ id: string }>;
  newSandbox(): Promise<{ spec: SandboxSpec; sandbox: { id: string } }>;
  containerSpec(
    sandbox: SandboxSpec,
    name: string,
    script: string,
    extra?: Partial<ContainerSpec>,
  ): ContainerSpec;
  waitExit(id: string): Promise<ContainerStatus>;
  waitForLog(id: string, needle: string): Promise<void>;
}

const WAIT_MS = 20_000;

export function attachConformance(ctx: AttachConformanceContext): void {
  describe('attach', () => {
    it('streams the output from the moment of attach, and detaches without stopping', async () => {
      const driver = ctx.driver();
      const { id } = await ctx.run(
        'i=0; while true; do echo "line $i"; i=$((i+1)); sleep 0.05; done',
      );
      await ctx.waitForLog(id, 'line 3');
      const out = collect();
      const err = collect();
      const detach = new AbortController();
      const session = await driver.attach(id, {
        stdout: out.stream,
        stderr: err.stream,
        signal: detach.signal,
      });
      assert.equal(session.tty, false);
      await until('three lines through attach', () => out.text().split('\n').length > 3);
      detach.abort();
      await session.done;
      const numbers = out
        .text()
        .split('\n')
        .filter((l) => l.startsWith('line '))
        .map((l) => Number(l.slice(5)));
      assert.ok(numbers[0]! > 3, `history is not replayed: ${out.text()}`);
      numbers.forEach((n, i) => assert.equal(n, numbers[0]! + i, `no line lost: ${out.text()}`));
      assert.equal(err.text(), '');
      assert.equal((await driver.inspectContainer(id)).state, 'running');
      await driver.stopContainer(id, 0);
    });

    it('sends stdin to a container created with stdin, across attaches, never closing it', async () => {
      const driver = ctx.driver();
      const { id } = await ctx.run('echo ready; exec cat', { stdin: true });
      await ctx.waitForLog(id, 'ready');
      for (const word of ['hello', 'again']) {
        const input = new PassThrough();
        const out = collect();
        const session = await driver.attach(id, { stdin: input, stdout: out.stream });
        input.write(`${word}\n`);
        await until(`${word} echoed`, () => out.text().includes(`${word}\n`));
        input.end(); // the client's stdin ends: it detaches, the container's stdin stays open
        await session.done;
        assert.equal(out.text(), `${word}\n`);
        assert.equal((await driver.inspectContainer(id)).state, 'running');
      }
      await driver.stopContainer(id, 0);
    });

    it('closes stdin when the first attach ends with stdinOnce, and follows to the exit', async () => {
      const driver = ctx.driver();
      const script = 'echo ready; while read line; do echo "got $line"; done; echo eof; exit 3';
      const { id } = await ctx.run(script, { stdin: true, stdinOnce: true });
      await ctx.waitForLog(id, 'ready');
      const input = new PassThrough();
      const out = collect();
      const session = await driver.attach(id, { stdin: input, stdout: out.stream });
      input.end('a\nb\n');
      await session.done;
      assert.equal(out.text(), 'got a\ngot b\neof\n');
      assert.equal((await ctx.waitExit(id)).exitCode, 3);
    });

    it('runs a container on a terminal that attach can resize, or refuses to create it', async () => {
      const driver = ctx.driver();
      const script =
        'test -t 0 && test -t 1 && echo on-a-terminal; while read line; do echo "got $line"; stty size; done';
      const tty = { tty: true, stdin: true, stdinOnce: true };
      if (!driver.capabilities().ttyContainers) {
        const { spec, sandbox } = await ctx.newSandbox();
        await assert.rejects(
          driver.createContainer(sandbox.id, ctx.containerSpec(spec, 'tty', script, tty)),
          (e) => e instanceof RuntimeError && e.code === 'CreateContainer' && /tty/.test(e.message),
        );
        return;
      }
      const { id } = await ctx.run(script, tty);
      await ctx.waitForLog(id, 'on-a-terminal');
      const input = new PassThrough();
      const out = collect();
      const err = collect();
      const detach = new AbortController();
      const session = await driver.attach(id, {
        stdin: input,
        stdout: out.stream,
        stderr: err.stream,
        signal: detach.signal,
      });
      assert.equal(session.tty, true);
      session.resize(100, 30);
      // The resize and the next line race; a line is sent until the new size shows.
      await until('the new size', async () => {
        input.write('x\n');
        await sleep(100);
        return /30 100/.test(out.text());
      });
      assert.match(out.text(), /got x\r\n/, 'the terminal turns \\n into \\r\\n');
      assert.equal(err.text(), '', 'a terminal has no separate stderr');
      detach.abort(); // stdinOnce does not close a terminal's stdin
      await session.done;
      assert.equal((await driver.inspectContainer(id)).state, 'running');
      await driver.stopContainer(id, 0);
    });

    it('stops a container on a terminal with SIGTERM, and keeps its exit code', async (t) => {
      if (!ctx.driver().capabilities().ttyContainers) {
        // A runtime without terminals is held to refusing them (the test above); this one
        // then has nothing to run, which CI, where every runtime has them, does not accept.
        const missing =
          missingCommand('script', 'apt-get install -y util-linux') ||
          missingCommand('mkfifo', 'apt-get install -y coreutils');
        if (!missing) assert.fail('script and mkfifo are here, yet the runtime offers no TTY');
        return t.skip(missing);
      }
      const script = 'trap "exit 7" TERM; echo ready; while true; do sleep 0.1; done';
      const { id } = await ctx.run(script, { tty: true });
      await ctx.waitForLog(id, 'ready');
      await ctx.driver().stopContainer(id, 10);
      assert.equal((await ctx.waitExit(id)).exitCode, 7);
    });

    it('refuses to attach to a container that is not running', async () => {
      const { id } = await ctx.run('true');
      await ctx.waitExit(id);
      await assert.rejects(
        ctx.driver().attach(id, { stdout: new PassThrough() }),
        (e) => e instanceof RuntimeError && e.code === 'NotRunning',
      );
    });

    it("keeps a container's stdin for a new driver of the same instance", async () => {
      const { id } = await ctx.run('echo ready; exec cat', { stdin: true });
      await ctx.waitForLog(id, 'ready');
      const second = await ctx.reopen();
      try {
        const input = new PassThrough();
        const out = collect();
        const detach = new AbortController();
        const session = await second.attach(id, {
          stdin: input,
          stdout: out.stream,
          signal: detach.signal,
        });
        input.write('after restart\n');
        await until('the echo', () => out.text() === 'after restart\n');
        detach.abort();
        await session.done;
      } finally {
        await second.close();
      }
      await ctx.driver().stopContainer(id, 0);
    });
  });
}

function collect() {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString() };
}

async function until(what: string, test: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    if (await test()) return;
    await sleep(25);
  }
  assert.fail(`timed out waiting for ${what}`);
}
