import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  ensureTestImage,
  missingDockerEngine,
  missingTestImage,
} from '../../../../test/support/test-image.ts';
import {
  isRuntimeError,
  type ContainerSpec,
  type ContainerStatus,
  type RuntimeDriver,
} from '../types.ts';
import { testContainerSpec } from '../conformance.ts';
import { engineMessage, openEngine } from './engine.ts';
import { loadImage } from './image-archive.ts';
import { createDockerDriver } from './index.ts';
import { ensurePauseImage, PAUSE_IMAGE, pauseBinary } from './pause.ts';

// What the conformance suite cannot say about docker: pulls, the image's Entrypoint and
// Cmd under Kubernetes' rules, the pause image, and sandbox DNS.

const skip = (await missingDockerEngine()) || (await missingTestImage());

describe('docker driver', { skip }, () => {
  const docker = openEngine();
  const instance = `docker-test-${randomUUID().slice(0, 8)}`;
  const entrypointImage = `wharf-test/entrypoint:${instance}`;
  const probeImage = `wharf-test/pause-probe:${instance}`;
  const exits = new Map<string, (s: ContainerStatus) => void>();
  let driver: RuntimeDriver;
  let image: string;

  before(async () => {
    image = await ensureTestImage();
    driver = await createDockerDriver({ instance });
    driver.onContainerExit((s) => exits.get(s.id)?.(s));
    // An image with an Entrypoint and a Cmd of its own, derived from the test image.
    const base = await docker.createContainer({ Image: image, Cmd: ['true'] });
    try {
      await base.commit({
        repo: entrypointImage.split(':')[0],
        tag: instance,
        changes: ['ENTRYPOINT ["echo", "entry"]', 'CMD ["cmd"]'],
      });
    } finally {
      await base.remove({ force: true });
    }
  });

  after(async () => {
    for (const sandbox of (await driver?.listSandboxes()) ?? []) {
      await driver.removeSandbox(sandbox.id);
    }
    await driver?.close();
    for (const name of [entrypointImage, probeImage]) {
      await docker
        .getImage(name)
        .remove()
        .catch(() => {});
    }
  });

  const spec = (sandbox: { podUid: string }, extra: Partial<ContainerSpec>): ContainerSpec =>
    testContainerSpec(
      { podUid: sandbox.podUid, podName: 'pod', namespace: 'docker-test' },
      `c-${randomUUID().slice(0, 6)}`,
      image,
      { hash: 'h', ...extra },
    );

  async function runToExit(sandboxId: string, container: ContainerSpec) {
    return startToExit(await driver.createContainer(sandboxId, container));
  }

  async function startToExit(id: string) {
    const exited = new Promise<ContainerStatus>((resolve) => exits.set(id, resolve));
    await driver.startContainer(id);
    const status = await exited;
    let output = '';
    for await (const line of driver.logs(id, { follow: false })) output += line.data.toString();
    return { status, output };
  }

  const newSandbox = (
    extra: { dns?: { servers: string[]; searches: string[]; options: string[] } } = {},
  ) =>
    driver.runSandbox({
      podUid: randomUUID(),
      podName: 'pod',
      namespace: 'docker-test',
      hostname: 'web-0',
      hostNetwork: false,
      ports: [],
      ...extra,
    });

  it("fails a pull without a registry with ImagePull and the engine's message", async () => {
    const missing = `wharf-missing/none-${randomUUID().slice(0, 6)}:v1`;
    const engineSays = await docker
      .createImage({ fromImage: missing.split(':')[0], tag: 'v1' })
      .then(async (stream) => {
        let text = '';
        for await (const chunk of stream as AsyncIterable<Buffer>) text += chunk.toString();
        return (/"error":"((?:[^"\\]|\\.)*)"/.exec(text)?.[1] ?? '').replace(/\\"/g, '"');
      })
      .catch((err: unknown) => engineMessage(err));
    assert.ok(engineSays.length > 0);
    await assert.rejects(driver.ensureImage(missing, 'IfNotPresent'), (err) => {
      assert.ok(isRuntimeError(err, 'ImagePull'), String(err));
      // The engine's words alone: the agent's event names the image (start-container.ts).
      assert.equal(err.message, engineSays);
      return true;
    });
    // Always pulls even what is present; without a registry that fails too.
    await assert.rejects(driver.ensureImage(image, 'Always'), (err) =>
      isRuntimeError(err, 'ImagePull'),
    );
    await assert.rejects(driver.ensureImage('Not/Valid', 'IfNotPresent'), (err) =>
      isRuntimeError(err, 'InvalidImageName'),
    );
    await assert.rejects(driver.ensureImage(missing, 'Never'), {
      message: `Container image "${missing}" is not present with pull policy of Never`,
    });
  });

  it('applies command and args over the image Entrypoint and Cmd', async () => {
    const sandbox = await newSandbox();
    const cases: Array<[string[], string[], string]> = [
      [[], [], 'entry cmd\n'],
      [['echo', 'own'], [], 'own\n'],
      [[], ['arg'], 'entry arg\n'],
      [['echo', 'own'], ['arg'], 'own arg\n'],
    ];
    for (const [command, args, want] of cases) {
      const { output } = await runToExit(
        sandbox.id,
        spec(sandbox, { image: entrypointImage, command, args }),
      );
      assert.equal(output, want, `command ${JSON.stringify(command)} args ${JSON.stringify(args)}`);
    }
  });

  it('hands the pod hostname and DNS settings to its containers', async () => {
    const sandbox = await newSandbox({
      dns: {
        servers: ['10.96.0.10'],
        searches: ['docker-test.svc.cluster.local'],
        options: ['ndots:5'],
      },
    });
    const { status, output } = await runToExit(
      sandbox.id,
      spec(sandbox, { command: ['sh', '-c', 'hostname; cat /etc/resolv.conf'] }),
    );
    assert.equal(status.reason, 'Completed');
    assert.match(output, /^web-0\n/);
    assert.match(output, /search docker-test\.svc\.cluster\.local/);
    assert.match(output, /options ndots:5/);
  });

  it('creates the pause image idempotently, and its process exits on SIGTERM', async () => {
    assert.equal(await ensurePauseImage(docker), PAUSE_IMAGE);
    // Loading the same image twice, even at once, yields one ID (no dangling copies).
    const definition = {
      reference: probeImage,
      entries: [{ type: 'file' as const, path: 'pause', data: pauseBinary(), mode: 0o755 }],
      config: { Entrypoint: ['/pause'] },
    };
    const ids = await Promise.all([loadImage(docker, definition), loadImage(docker, definition)]);
    assert.equal(ids[0], ids[1]);
    assert.equal((await docker.getImage(probeImage).inspect()).Id, ids[0]);

    const sandbox = await newSandbox();
    const started = Date.now();
    await driver.stopSandbox(sandbox.id);
    assert.ok(Date.now() - started < 1_500, 'the pause process ended on SIGTERM, unkilled');
    assert.equal((await docker.getContainer(sandbox.id).inspect()).State.ExitCode, 0);
    await driver.stopSandbox(sandbox.id); // idempotent
  });

  it('makes the pause image again when it went away after the driver checked it', async () => {
    const first = await newSandbox();
    // Untagged under the driver's feet (the running sandbox keeps its layers).
    await docker.getImage(PAUSE_IMAGE).remove({ force: true });
    const second = await newSandbox();
    assert.equal(second.state, 'ready');
    assert.ok((await docker.getImage(PAUSE_IMAGE).inspect()).Id);
    for (const sandbox of [first, second]) await driver.removeSandbox(sandbox.id);
  });

  it('gives a container the hostname of its sandbox, also one it did not start itself', async () => {
    const sandbox = await newSandbox();
    // A second driver on the same instance, as after an agent restart: it must look it up.
    const restarted = await createDockerDriver({ instance });
    try {
      const command = { command: ['hostname'] };
      const known = await driver.createContainer(sandbox.id, spec(sandbox, command));
      const looked = await restarted.createContainer(sandbox.id, spec(sandbox, command));
      for (const id of [known, looked]) {
        assert.equal((await startToExit(id)).output.trim(), 'web-0');
      }
    } finally {
      await restarted.close();
      await driver.removeSandbox(sandbox.id);
    }
  });
});
