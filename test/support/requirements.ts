import { execFileSync } from 'node:child_process';
import { accessSync, constants, statfsSync } from 'node:fs';

// A test that needs a system component which is missing is skipped with the command that
// installs it; under CI=true a missing component is a failure instead (DESIGN.md).

const inCI = process.env.CI === 'true';

function hasCommand(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns `false` when everything is there, or a skip message for `test(..., { skip })`.
 * Throws under CI.
 */
export function missingCommand(command: string, install: string): string | false {
  if (hasCommand(command)) return false;
  const message = `needs ${command}: install it with \`${install}\``;
  if (inCI) throw new Error(`CI=true and ${message}`);
  return message;
}

/** Like missingCommand, for a program outside PATH (a CNI plugin). Throws under CI. */
export function missingExecutable(path: string, install: string): string | false {
  try {
    accessSync(path, constants.X_OK);
    return false;
  } catch {
    const message = `needs ${path}: install it with \`${install}\``;
    if (inCI) throw new Error(`CI=true and ${message}`);
    return message;
  }
}

/**
 * `false` as root, else a skip message saying why root is needed and how to run as it.
 * Throws under CI, which always runs as root.
 */
export function missingRoot(why: string): string | false {
  if (process.getuid?.() === 0) return false;
  const message = `needs root (${why}): run the tests as root, e.g. \`sudo npm test\``;
  if (inCI) throw new Error(`CI=true and ${message}`);
  return message;
}

/**
 * `false` when `path` is a tmpfs, else a skip message with the command that mounts one.
 * Throws under CI.
 */
export function missingTmpfs(path: string): string | false {
  try {
    if (statfsSync(path).type === 0x01021994) return false;
  } catch {
    // missing: the message says how to make it
  }
  const message = `needs a tmpfs at ${path}: mount one with \`mount -t tmpfs tmpfs ${path}\``;
  if (inCI) throw new Error(`CI=true and ${message}`);
  return message;
}
