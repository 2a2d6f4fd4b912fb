import { execFile } from 'node:child_process';
import fs from 'node:fs';

// Running the real kubectl against a test cluster: the dispatcher in /usr/bin (which picks
// the minor from /version) and the versioned binaries, each with a bounded run time.

export const KUBECTL = '/usr/bin/kubectl';
const VERSIONED_DIR = '/usr/lib/google-cloud-sdk/bin';

export function versionedKubectl(minor: number): string | undefined {
  const file = `${VERSIONED_DIR}/kubectl.1.${minor}`;
  return fs.existsSync(file) ? file : undefined;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function kubectl(
  binary: string,
  baseArgs: string[],
  args: string[],
  opts: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      binary,
      [...baseArgs, ...args],
      {
        timeout: opts.timeoutMs ?? 30_000,
        env: { ...process.env, ...opts.env },
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Runs kubectl and fails with its stderr unless it exits 0. */
export async function kubectlOk(
  binary: string,
  baseArgs: string[],
  args: string[],
  opts: Parameters<typeof kubectl>[3] = {},
): Promise<string> {
  const r = await kubectl(binary, baseArgs, args, opts);
  if (r.code !== 0)
    throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr || r.stdout}`);
  return r.stdout;
}
