// The logging the client needs, shaped so a pino logger fits as is: `(fields, message)`.

export interface Logger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

function write(level: string, fields: object, message: string): void {
  const err = (fields as { err?: unknown }).err;
  const rest = { ...fields, ...(err instanceof Error ? { err: err.message } : {}) };
  console.error(`${level} ${message} ${JSON.stringify(rest)}`);
}

/** Warnings and errors to stderr; informational lines dropped. */
export const stderrLogger: Logger = {
  info: () => {},
  warn: (fields, message) => write('warn', fields, message),
  error: (fields, message) => write('error', fields, message),
};
