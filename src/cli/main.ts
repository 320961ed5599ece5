// The bootstrap-test command line. Loaded on every start, so it imports commander and small option
// modules only; each action loads what it needs (pipeline, lab, SOAP layer, renderers) on demand.

import { Command, CommanderError } from 'commander';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { BootstrapTestError, type ErrorCode } from '../errors.js';
import { configureBootstrapCommand, type BootstrapCliOptions } from './bootstrap.js';
import { registerDhcpCommands } from './dhcp.js';
import { registerLabCommand } from './lab.js';
import { registerDemoCommand } from './demo.js';
import { registerExporterCommand } from './exporter.js';
import { packageVersion } from './version.js';
import { checkCmdletStyleParameters, unknownCommandError } from './command-line.js';
import type { KeyPair } from '../pki/keys.js';

/** How the bundled CLI was compiled: from V8's code cache, afresh because V8 refused it, or afresh with none. */
export type CodeCacheState = 'used' | 'refused' | 'absent';

/** What the command's start-up (start.ts) began or learnt before the CLI loaded. */
export interface Startup {
  /** The phone's key pair, generating on libuv's thread pool since the process started. */
  keyPair?: Promise<KeyPair>;
  /** Whether the bundled CLI was compiled from V8's code cache (shown by -v). */
  codeCache?: CodeCacheState;
}

/**
 * The one place an error becomes an exit code. Codes that map to `internal` should never reach the
 * top: the command that meets them turns them into a usage error or a stage failure first, so one
 * arriving here is a bug.
 */
export const EXIT_CODE_OF_ERROR: Readonly<Record<ErrorCode, ExitCode>> = {
  BT_USAGE: EXIT.usage,
  BT_PIN_PROMPT_INTERRUPTED: EXIT.usage,
  BT_INTERFACE_UNKNOWN: EXIT.usage,
  BT_LOCAL_ENVIRONMENT: EXIT.local,
  BT_INTERFACE_UNDETERMINED: EXIT.local,
  BT_DHCP_SOCKET: EXIT.local,
  BT_DHCP_INFORM_INTERRUPTED: EXIT.failed,
  BT_RESOLVE_RULE: EXIT.internal,
  BT_HEX_PARSE: EXIT.internal,
  BT_CAPTURE_FORMAT: EXIT.internal,
  BT_UNUSABLE_INPUT: EXIT.internal,
  BT_DHCP_CONFIG: EXIT.internal,
  BT_STAGE_FAILURE: EXIT.internal,
  BT_STAGE_DEADLINE: EXIT.internal,
  BT_RUN_INTERRUPTED: EXIT.internal,
  BT_PIN_REJECTED: EXIT.internal,
  BT_CONNECT_TIMEOUT: EXIT.internal,
  BT_CONNECT_REFUSED: EXIT.internal,
  BT_CONNECTION_RESET: EXIT.internal,
  BT_TLS_ALERT: EXIT.internal,
  BT_TLS_CLOSED: EXIT.internal,
  BT_TLS_VERIFY: EXIT.internal,
  BT_TLS_PLAIN_HTTP: EXIT.internal,
  BT_RESPONSE_TIMEOUT: EXIT.internal,
  BT_RESPONSE_SLOW: EXIT.internal,
  BT_RESPONSE_TOO_LARGE: EXIT.internal,
  BT_RESPONSE_HEADERS_TOO_LARGE: EXIT.internal,
  BT_NAME_RESOLUTION: EXIT.internal,
  BT_PROTOCOL: EXIT.internal,
  BT_SECRET_NOT_HTTPS: EXIT.internal,
  BT_UDP_NO_REPLY: EXIT.internal,
  BT_UDP_LOCAL: EXIT.internal,
  BT_SIP_PROTOCOL: EXIT.internal,
  BT_SNTP_FORMAT: EXIT.internal,
  BT_DNS_FORMAT: EXIT.internal,
  BT_DNS_SERVER_SYNTAX: EXIT.usage,
  BT_SIP_FORMAT: EXIT.internal,
  BT_SIP_AUTH_PARAMS: EXIT.internal,
  BT_TLS_DSK_GSSAPI_DATA: EXIT.internal,
  BT_TLS_DSK_LOCAL: EXIT.local,
  BT_TLS_DSK_PEER_ALERT: EXIT.internal,
  BT_TLS_DSK_HANDSHAKE: EXIT.internal,
  BT_TLS_DSK_UNUSABLE: EXIT.internal,
  BT_TLS_DSK_ABORTED: EXIT.internal,
  BT_EXPORTER_CONFIG: EXIT.usage,
  BT_PROBE_TARGET: EXIT.usage,
  BT_XML: EXIT.internal,
  BT_PROOF_XML: EXIT.internal,
  BT_CERTIFICATE_PARSE: EXIT.internal,
  BT_LAB_OPTION: EXIT.internal,
  BT_FAULT_SPEC: EXIT.internal,
  BT_DIRECTORY: EXIT.internal,
  BT_CA_DIR: EXIT.internal,
};

/** The exit code for an error that ended a command; anything that is not a BootstrapTestError is a bug. */
export function exitCodeOfError(error: unknown): ExitCode {
  return error instanceof BootstrapTestError ? EXIT_CODE_OF_ERROR[error.code] : EXIT.internal;
}

/** Whether --debug was asked for anywhere on the line (errors may happen before commander parses). */
function debugRequested(argv: readonly string[]): boolean {
  return argv.includes('--debug');
}

export function buildProgram(startup: Startup = {}): Command {
  const program = new Command('bootstrap-test');
  program
    .description(
      'Emulates a Lync / Skype for Business desk phone signing in with extension and PIN ' +
        '(Test-CsPhoneBootstrap re-created) and says which stage broke and why.',
    )
    .version(packageVersion(), '--version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      // One line: commander puts its "(Did you mean ...?)" on a line of its own.
      outputError: (text, write) => write(text.trim().replace(/\s*\n\s*/g, ' ') + ' (see --help)\n'),
    });
  // The operands catch a word that names no command ("dchp"): commander hands it to the root action.
  configureBootstrapCommand(program)
    .argument('[command]', 'a command below; without one, a bootstrap run')
    .usage('[options] [command]')
    .action(async (word: string | undefined, options: BootstrapCliOptions) => {
    if (word !== undefined) throw unknownCommandError(word, program.commands.map((command) => command.name()));
    const { runBootstrapCommand } = await import('./bootstrap-run.js');
    process.exitCode = await runBootstrapCommand(options, {
      ...startup,
      argv: process.argv,
      env: process.env,
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
    });
  });
  registerDhcpCommands(program);
  registerLabCommand(program);
  registerDemoCommand(program);
  registerExporterCommand(program);
  program.helpCommand('help [command]', 'show help for a command');
  return program;
}

/**
 * `bootstrap-test --help | head` closes the pipe early: that is the reader's choice, not an error
 * worth a stack trace. Other write errors still surface.
 */
function endQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok);
  });
}

/** Runs the CLI and returns the exit code; never throws. */
export async function main(argv: string[] = process.argv, startup: Startup = {}): Promise<number> {
  endQuietlyOnClosedPipe(process.stdout);
  endQuietlyOnClosedPipe(process.stderr);
  const program = buildProgram(startup);
  try {
    checkCmdletStyleParameters(argv.slice(2));
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version end through here too, with exit code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const exitCode = exitCodeOfError(error);
    if (error instanceof BootstrapTestError && exitCode !== EXIT.internal) {
      process.stderr.write(`bootstrap-test: ${error.message}\n`);
      if (debugRequested(argv) && error.stack) process.stderr.write(`${error.stack}\n`);
      return exitCode;
    }
    const err = error instanceof Error ? error : new Error(String(error));
    process.stderr.write(`bootstrap-test: internal error: ${err.message}${debugRequested(argv) ? '' : ' (run with --debug for details)'}\n`);
    if (debugRequested(argv) && err.stack) process.stderr.write(`${err.stack}\n`);
    return EXIT.internal;
  }
}
