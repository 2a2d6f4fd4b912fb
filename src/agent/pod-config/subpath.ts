import { chmod, lstat, mkdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { expand } from './expansion.ts';
import { ConfigError, type EnvVar, type VolumeMount } from './types.ts';

// subPath and subPathExpr of a volume mount, as the kubelet's makeMounts resolves them.
//
// A container can write symlinks into its volumes, so a sub path is only trusted after
// every symlink in it is resolved and the result is still inside the volume. The kubelet
// then bind-mounts an fd opened on that path, closing the window between check and use;
// wharf cannot mount, so it hands the runtime the resolved path, which leaves that window
// open: a container racing its own restart could swap a directory for a symlink after the
// check. Missing directories are created (mode of the volume root) one at a time, each
// checked the same way.

/** kubecontainer.ExpandContainerVolumeMounts: every `$(VAR)` must have a non-empty value. */
export function expandSubPathExpr(expr: string, env: readonly EnvVar[]): string {
  const values = new Map(env.map((e) => [e.name, e.value]));
  const missing = new Set<string>();
  const expanded = expand(expr, (name) => {
    const value = values.get(name) ?? '';
    if (value === '') missing.add(name);
    return value;
  });
  if (missing.size > 0)
    throw new ConfigError(`missing value for ${[...missing].sort().join(', ')}`);
  return expanded;
}

/** The sub path of a mount, validated: relative and without `..`; '' for none. */
export function mountSubPath(mount: VolumeMount, env: readonly EnvVar[]): string {
  const subPath = mount.subPathExpr
    ? expandSubPathExpr(mount.subPathExpr, env)
    : (mount.subPath ?? '');
  if (subPath === '') return '';
  if (path.isAbsolute(subPath)) {
    throw new ConfigError(`error SubPath \`${subPath}\` must not be an absolute path`);
  }
  if (subPath.split('/').includes('..')) {
    throw new ConfigError(`unable to provision SubPath \`${subPath}\`: must not contain '..'`);
  }
  return subPath;
}

function within(base: string, p: string): boolean {
  const rel = path.relative(base, p);
  // Not `startsWith('..')`: the atomic writer's `..2024_…` directories are inside.
  return rel !== '..' && !rel.startsWith('../') && !path.isAbsolute(rel);
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** SafeMakeDir: creates the missing tail of `subPath`, never outside `volumeRoot`. */
async function safeMakeDir(volumeRoot: string, subPath: string, mode: number): Promise<void> {
  let current = volumeRoot;
  for (const segment of subPath.split('/').filter((s) => s !== '' && s !== '.')) {
    const next = path.join(current, segment);
    let info;
    try {
      info = await lstat(next);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (!info) {
      await mkdir(next, { mode });
      await chmod(next, mode);
      current = next;
      continue;
    }
    const resolved = await realpath(next);
    if (!within(volumeRoot, resolved)) {
      throw new Error(`path ${resolved} is outside of allowed base ${volumeRoot}`);
    }
    current = resolved;
  }
}

/**
 * The host path to mount for `subPath` of the volume at `volumePath`, created as a
 * directory when missing. Throws ConfigError with the kubelet's messages; details that
 * would describe the host's file system are left out of them, as the kubelet does.
 */
export async function prepareSubPath(
  volumePath: string,
  subPath: string,
  mountName: string,
  containerName: string,
): Promise<string> {
  const volumeRoot = await realpath(volumePath);
  const target = path.join(volumePath, subPath);
  if (!(await exists(target))) {
    try {
      const { mode } = await stat(volumeRoot);
      await safeMakeDir(volumeRoot, subPath, mode & 0o7777);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ConfigError(
          `failed to create subPath directory for volumeMount "${mountName}" of container "${containerName}"`,
          { cause: err },
        );
      }
    }
  }
  try {
    const resolved = await realpath(target);
    if (!within(volumeRoot, resolved)) throw new Error(`${resolved} is outside of ${volumeRoot}`);
    return resolved;
  } catch (err) {
    throw new ConfigError(
      `failed to prepare subPath for volumeMount "${mountName}" of container "${containerName}"`,
      { cause: err },
    );
  }
}
