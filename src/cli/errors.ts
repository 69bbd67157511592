/** An error the CLI prints as `hangar: <message>` and exits 1 with; no stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly lines: string[] = [],
  ) {
    super(message);
    this.name = 'CliError';
  }
}
