// A failed API call as the server described it: a metav1.Status. Callers branch on the
// reason through the is* helpers, as with client-go's apierrors package.

export interface Status {
  kind?: 'Status';
  apiVersion?: string;
  metadata?: Record<string, unknown>;
  status?: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: { reason?: string; message?: string; field?: string }[];
    retryAfterSeconds?: number;
  };
  code?: number;
}

/** Reasons for an HTTP code when the body is not a Status (as client-go guesses them). */
const REASON_BY_CODE: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly status: Status;

  constructor(status: Status) {
    const code = status.code ?? 0;
    const reason = status.reason || REASON_BY_CODE[code] || 'Unknown';
    super(status.message || `${reason} (${code})`);
    this.name = 'ApiError';
    this.code = code;
    this.reason = reason;
    this.status = status;
  }

  /** The error for a non-2xx response: its Status body, or one made from the code. */
  static fromResponse(code: number, body: string, what: string): ApiError {
    try {
      const parsed = JSON.parse(body) as Status;
      if (parsed && parsed.kind === 'Status')
        return new ApiError({ ...parsed, code: parsed.code || code });
    } catch {
      // not JSON: fall through to a Status made from the HTTP code
    }
    const text = body.trim().slice(0, 200);
    const message = `${what}: the server responded with HTTP ${code}${text ? `: ${text}` : ''}`;
    return new ApiError({ kind: 'Status', status: 'Failure', code, message });
  }
}

function is(err: unknown, reason: string): boolean {
  return err instanceof ApiError && err.reason === reason;
}

export const isNotFound = (err: unknown): boolean => is(err, 'NotFound');
export const isAlreadyExists = (err: unknown): boolean => is(err, 'AlreadyExists');
export const isConflict = (err: unknown): boolean => is(err, 'Conflict');
export const isInvalid = (err: unknown): boolean => is(err, 'Invalid');
/** apierrors.HasStatusCause: the Status of `err` lists a cause with this reason. */
export function hasStatusCause(err: unknown, cause: string): boolean {
  return (
    err instanceof ApiError && (err.status.details?.causes ?? []).some((c) => c.reason === cause)
  );
}

/** NamespaceTerminatingCause: a create refused because its namespace is being deleted. */
export const isNamespaceTerminating = (err: unknown): boolean =>
  hasStatusCause(err, 'NamespaceTerminating');

/** 410: a resourceVersion too old to list or watch from (reason `Gone` or `Expired`). */
export const isGone = (err: unknown): boolean => err instanceof ApiError && err.code === 410;
