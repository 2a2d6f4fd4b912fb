import { existsSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from '../host/index.ts';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerResources } from '../types.ts';

// Limits through cgroups, v1 (one hierarchy per controller) or v2 (one unified tree).
// Every container gets its own group, `<mount>/wharf/<instance>/<container id>`, even
// without limits: the group is how the runtime learns about OOM kills and how it kills
// whatever the container left behind when its main process ends. The directories are
// recorded with the container, so a restarted agent cleans up what an older one made.

const ROOT = '/sys/fs/cgroup';
const V1_CONTROLLERS = ['memory', 'cpu'] as const;
const CPU_PERIOD_US = 100_000;

export interface Cgroups {
  version: 1 | 2;
  /** The instance's parent groups: v1 one per controller (memory first), v2 just one. */
  instanceDirs: string[];
}

/** What a container record keeps: its groups, memory's (v1) or the only one (v2) first. */
export interface ContainerCgroups {
  version: 1 | 2;
  dirs: string[];
}

/** Creates the instance's parent groups; throws with a reason when cgroups are unusable. */
export async function probeCgroups(instanceDirName: string): Promise<Cgroups> {
  if (existsSync(join(ROOT, 'cgroup.controllers'))) {
    const available = (await readFile(join(ROOT, 'cgroup.controllers'), 'utf8')).split(/\s+/);
    const missing = ['memory', 'cpu'].filter((c) => !available.includes(c));
    if (missing.length) throw new Error(`cgroup v2 lacks the ${missing.join(', ')} controller`);
    const dir = join(ROOT, 'wharf', instanceDirName);
    await mkdir(dir, { recursive: true });
    for (const parent of [ROOT, join(ROOT, 'wharf'), dir]) {
      await writeFile(join(parent, 'cgroup.subtree_control'), '+memory +cpu');
    }
    return { version: 2, instanceDirs: [dir] };
  }
  const dirs: string[] = [];
  for (const controller of V1_CONTROLLERS) {
    const mount = join(ROOT, controller);
    if (!existsSync(join(mount, 'cgroup.procs'))) {
      throw new Error(`the cgroup v1 ${controller} controller is not mounted at ${mount}`);
    }
    const dir = join(mount, 'wharf', instanceDirName);
    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      throw new Error(`cannot create ${dir}: ${(err as Error).message}`, { cause: err });
    }
    dirs.push(dir);
  }
  return { version: 1, instanceDirs: dirs };
}

/** Where a container's groups are (or will be): recorded before they are made. */
export function containerCgroups(cgroups: Cgroups, id: string): ContainerCgroups {
  return { version: cgroups.version, dirs: cgroups.instanceDirs.map((d) => join(d, id)) };
}

/** Directories to make and files to write, in order: a container's groups with its limits. */
export interface CgroupSetup {
  dirs: string[];
  files: Array<{ path: string; text: string }>;
}

/**
 * What makes a container's groups with its limits; requests only weigh cpu (shares). The
 * spawner helper does it right before it spawns the container (launch.ts), not the agent:
 * on a busy machine a group's creation waits for locks that other processes' moves
 * between groups hold, milliseconds in which the agent's event loop would stand still.
 */
export function cgroupSetup(planned: ContainerCgroups, resources: ContainerResources): CgroupSetup {
  const { dirs } = planned;
  const files: CgroupSetup['files'] = [];
  const write = (dir: string, file: string, value: string | number) =>
    files.push({ path: join(dir, file), text: String(value) });
  // Whether a controller file exists is the same in the parent group, which exists.
  const inParent = (dir: string, file: string) => existsSync(join(dirname(dir), file));
  const quota = resources.cpuLimitMillis
    ? Math.max(1000, Math.round((resources.cpuLimitMillis * CPU_PERIOD_US) / 1000))
    : undefined;
  // Kubernetes' conversion: 1000 millicores are 1024 shares, at least 2.
  const shares = resources.cpuRequestMillis
    ? Math.max(2, Math.floor((resources.cpuRequestMillis * 1024) / 1000))
    : undefined;
  const memory = resources.memoryLimitBytes;
  if (planned.version === 2) {
    const [dir] = dirs as [string];
    if (memory) write(dir, 'memory.max', memory);
    if (memory && inParent(dir, 'memory.swap.max')) write(dir, 'memory.swap.max', 0);
    if (quota) write(dir, 'cpu.max', `${quota} ${CPU_PERIOD_US}`);
    if (shares) write(dir, 'cpu.weight', 1 + Math.floor(((shares - 2) * 9999) / 262142));
  } else {
    const [memoryDir, cpuDir] = dirs as [string, string];
    if (memory) {
      write(memoryDir, 'memory.limit_in_bytes', memory);
      // Without this a machine with swap pages out instead of reaching the limit.
      if (inParent(memoryDir, 'memory.memsw.limit_in_bytes')) {
        write(memoryDir, 'memory.memsw.limit_in_bytes', memory);
      }
    }
    if (quota) {
      write(cpuDir, 'cpu.cfs_period_us', CPU_PERIOD_US);
      write(cpuDir, 'cpu.cfs_quota_us', quota);
    }
    if (shares) write(cpuDir, 'cpu.shares', shares);
  }
  return { dirs: [...dirs], files };
}

/** Whether the kernel's OOM killer acted in the container's memory group. */
export async function oomKilled(cgroups: ContainerCgroups): Promise<boolean> {
  const [dir] = cgroups.dirs;
  if (!dir) return false;
  const file = cgroups.version === 2 ? 'memory.events' : 'memory.oom_control';
  try {
    const match = /^oom_kill (\d+)$/m.exec(await readFile(join(dir, file), 'utf8'));
    return match !== null && Number(match[1]) > 0;
  } catch {
    return false;
  }
}

async function pids(dir: string): Promise<number[]> {
  try {
    const text = await readFile(join(dir, 'cgroup.procs'), 'utf8');
    return text.split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** SIGKILLs every process left in the container's groups and waits until they are gone. */
export async function killCgroup(cgroups: ContainerCgroups): Promise<void> {
  const [dir] = cgroups.dirs;
  if (!dir) return;
  if (cgroups.version === 2 && existsSync(join(dir, 'cgroup.kill'))) {
    await writeFile(join(dir, 'cgroup.kill'), '1').catch(() => undefined);
  }
  for (let i = 0; i < 100; i++) {
    const left = await pids(dir);
    if (left.length === 0) return;
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await sleep(10);
  }
}

/** Removes the container's groups (they must be empty). Idempotent. */
export async function removeCgroups(cgroups: ContainerCgroups): Promise<void> {
  for (const dir of cgroups.dirs) {
    for (let attempt = 0; ; attempt++) {
      try {
        await rmdir(dir);
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (code !== 'EBUSY' || attempt >= 50) throw err;
        await sleep(20);
      }
    }
  }
}

/** Removes the instance's parent groups when no container is left in them. */
export async function removeInstanceCgroups(cgroups: Cgroups): Promise<void> {
  for (const dir of cgroups.instanceDirs) await rmdir(dir).catch(() => undefined);
}
