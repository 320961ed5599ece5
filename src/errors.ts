import { EXIT, type ExitCode } from './exit-codes.js';

/**
 * An error meant for the person at the keyboard: one line, no stack trace (unless --debug),
 * and the exit code that tells a script what kind of failure it was.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Bad input: names the value and where it came from, e.g. `--port: "70000" is not in 1..65535`. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = 'UsageError';
  }
}

/** The host cannot run the check (privilege, bind, route); says how to fix it. */
export class LocalEnvironmentError extends CliError {
  constructor(message: string) {
    super(message, EXIT.local);
    this.name = 'LocalEnvironmentError';
  }
}
