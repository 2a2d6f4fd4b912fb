import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dockerAvailable } from '../../src/agent/runtime/docker/index.ts';
import { openEngine, statusCode } from '../../src/agent/runtime/docker/engine.ts';
import { loadImage, type ArchiveEntry } from '../../src/agent/runtime/docker/image-archive.ts';

// The image the runtime tests run: Debian's static busybox with a link per applet, /tmp,
// and an /etc that knows root. It is built in memory and loaded with a fixed config, so
// its ID depends only on the busybox binary: concurrent callers (test files run in
// parallel processes) load the same image and the tag ends up where it would anyway.

export const TEST_IMAGE = 'wharf-test/busybox:latest';

const inCI = process.env.CI === 'true';
const BUSYBOX_PATHS = ['/usr/bin/busybox', '/bin/busybox'];
const BUSYBOX_INSTALL = 'apt-get install busybox-static';
const DOCKER_INSTALL = 'apt-get install docker.io && dockerd &';

function skipOrThrow(message: string): string {
  if (inCI) throw new Error(`CI=true and ${message}`);
  return message;
}

/** `false` when an engine answers, else a skip message (thrown under CI). */
export async function missingDockerEngine(socketPath?: string): Promise<string | false> {
  if (await dockerAvailable(socketPath)) return false;
  return skipOrThrow(`needs a Docker engine: ${DOCKER_INSTALL}`);
}

/** `false` when the test image exists or can be built, else a skip message (thrown under CI). */
export async function missingTestImage(): Promise<string | false> {
  if ((await imageExists()) || staticBusybox()) return false;
  return skipOrThrow(`needs a static busybox: install it with \`${BUSYBOX_INSTALL}\``);
}

let pending: Promise<string> | undefined;

/** Returns `wharf-test/busybox:latest` once the engine has it. Idempotent. */
export function ensureTestImage(): Promise<string> {
  pending ??= buildIfMissing().catch((err: unknown) => {
    pending = undefined;
    throw err;
  });
  return pending;
}

async function buildIfMissing(): Promise<string> {
  if (await imageExists()) return TEST_IMAGE;
  const busybox = staticBusybox();
  if (!busybox) {
    throw new Error(`building ${TEST_IMAGE} needs a static busybox: ${BUSYBOX_INSTALL}`);
  }
  await loadImage(openEngine(), {
    reference: TEST_IMAGE,
    entries: rootfs(busybox),
    config: { Env: ['PATH=/bin:/usr/bin:/sbin:/usr/sbin'], Cmd: ['sh'] },
  });
  return TEST_IMAGE;
}

async function imageExists(): Promise<boolean> {
  try {
    await openEngine().getImage(TEST_IMAGE).inspect();
    return true;
  } catch (err) {
    if (statusCode(err) === 404) return false;
    throw err;
  }
}

/** The path of a statically linked busybox (one without PT_INTERP), if installed. */
function staticBusybox(): string | undefined {
  for (const path of BUSYBOX_PATHS) {
    if (existsSync(path) && !hasInterpreter(readFileSync(path))) return path;
  }
  return undefined;
}

function hasInterpreter(elf: Buffer): boolean {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) return true;
  const phoff = Number(elf.readBigUInt64LE(32));
  const size = elf.readUInt16LE(54);
  const count = elf.readUInt16LE(56);
  for (let i = 0; i < count; i++) {
    if (elf.readUInt32LE(phoff + i * size) === 3) return true; // PT_INTERP
  }
  return false;
}

function rootfs(busybox: string): ArchiveEntry[] {
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' })
    .split('\n')
    .filter((name) => /^[\w.[-]+$/.test(name) && name !== 'busybox');
  return [
    { type: 'dir', path: 'bin' },
    { type: 'file', path: 'bin/busybox', data: readFileSync(busybox), mode: 0o755 },
    ...applets.map((name): ArchiveEntry => ({
      type: 'symlink',
      path: `bin/${name}`,
      target: 'busybox',
    })),
    { type: 'dir', path: 'etc' },
    {
      type: 'file',
      path: 'etc/passwd',
      data: Buffer.from(
        'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
      ),
    },
    { type: 'file', path: 'etc/group', data: Buffer.from('root:x:0:\nnogroup:x:65534:\n') },
    { type: 'dir', path: 'root', mode: 0o700 },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
  ];
}
