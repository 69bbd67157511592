/**
 * An error the CLI prints as `hangar: <message> [code]` and exits 1 with; no stack trace.
 * `code` is the server's stable error code (`not_found`, `invalid_request` …) when the
 * error came from the server, for scripts to match on.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly lines: string[] = [],
    readonly code?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
