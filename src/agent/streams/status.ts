import type { ExecResult } from './types.ts';

// The final status of an exec/attach, as the kubelet writes it on the error stream (or
// channel 3). kubectl decodes it: `Success` ends quietly; `Failure` with reason
// `NonZeroExitCode` and a cause of type `ExitCode` makes kubectl print "command terminated
// with exit code N" and exit with N; any other failure is printed as an error, exit 1.
// Field names follow metav1.Status JSON (a cause's `type` is serialized as `reason`).

export interface StatusCause {
  reason?: string;
  message?: string;
}

export interface ExecStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: StatusCause[] };
  code?: number;
}

export function execStatus(result: ExecResult): ExecStatus {
  if ('error' in result) {
    return {
      metadata: {},
      status: 'Failure',
      message: `Internal error occurred: ${result.error}`,
      reason: 'InternalError',
      details: { causes: [{ message: result.error }] },
      code: 500,
    };
  }
  if (result.exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: exit status ${result.exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(result.exitCode) }] },
  };
}

/**
 * The bytes for the error stream. Protocols before v4 carry no Status: only the message of
 * a failure, as plain text (those clients cannot report exit codes), and nothing on success.
 */
export function encodeExecStatus(result: ExecResult, structured: boolean): Buffer {
  const status = execStatus(result);
  if (structured) return Buffer.from(JSON.stringify(status));
  return Buffer.from(status.status === 'Success' ? '' : (status.message ?? ''));
}

/** A Status body for refusing a request before any upgrade (kubectl prints its message). */
export function failureStatus(code: number, reason: string, message: string): object {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
}
