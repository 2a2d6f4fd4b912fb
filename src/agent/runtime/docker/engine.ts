import Docker from 'dockerode';

// The engine connection and the shape of its errors. dockerode rejects with an Error
// carrying `statusCode` and, for plain requests, the engine's JSON body (`{ message }`);
// for streamed requests the message is folded into the Error's text.

export const DEFAULT_SOCKET = '/var/run/docker.sock';

/** `DOCKER_HOST` when it names a unix socket, else the standard socket. */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  const host = env.DOCKER_HOST;
  if (host?.startsWith('unix://') && host.length > 'unix://'.length) {
    return host.slice('unix://'.length);
  }
  return DEFAULT_SOCKET;
}

export function openEngine(socketPath = defaultSocketPath(), timeoutMs?: number): Docker {
  return new Docker({ socketPath, ...(timeoutMs ? { timeout: timeoutMs } : {}) });
}

/** Whether an engine answers `/_ping` on `socketPath` (for `--runtime auto`). */
export async function dockerAvailable(socketPath = defaultSocketPath()): Promise<boolean> {
  try {
    await openEngine(socketPath, 2_000).ping();
    return true;
  } catch {
    return false;
  }
}

export function statusCode(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** The engine's own words for a failed request, without dockerode's prefix. */
export function engineMessage(err: unknown): string {
  const json = (err as { json?: unknown } | null)?.json;
  if (
    json &&
    typeof json === 'object' &&
    typeof (json as { message?: unknown }).message === 'string'
  ) {
    return (json as { message: string }).message.trim();
  }
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/^\(HTTP code \d+\) .*? - /, '').trim();
}
