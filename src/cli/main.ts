// The bootstrap-test command line. Loaded on every start, so it imports commander and small option
// modules only; each action loads what it needs (pipeline, lab, SOAP layer, renderers) on demand.

import { Command, CommanderError } from 'commander';
import { EXIT } from '../exit-codes.js';
import { CliError } from '../errors.js';
import { configureBootstrapCommand, type BootstrapCliOptions } from './bootstrap.js';
import { registerDhcpCommands } from './dhcp.js';
import { registerLabCommand } from './lab.js';
import { registerDemoCommand } from './demo.js';
import { packageVersion } from './version.js';
import { checkCmdletStyleParameters, unknownCommandError } from './command-line.js';

/** Whether --debug was asked for anywhere on the line (errors may happen before commander parses). */
function debugRequested(argv: readonly string[]): boolean {
  return argv.includes('--debug');
}

export function buildProgram(): Command {
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
export async function main(argv: string[] = process.argv): Promise<number> {
  endQuietlyOnClosedPipe(process.stdout);
  endQuietlyOnClosedPipe(process.stderr);
  const program = buildProgram();
  try {
    checkCmdletStyleParameters(argv.slice(2));
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version end through here too, with exit code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof CliError) {
      process.stderr.write(`bootstrap-test: ${error.message}\n`);
      if (debugRequested(argv) && error.stack) process.stderr.write(`${error.stack}\n`);
      return error.exitCode;
    }
    const err = error instanceof Error ? error : new Error(String(error));
    process.stderr.write(`bootstrap-test: internal error: ${err.message}${debugRequested(argv) ? '' : ' (run with --debug for details)'}\n`);
    if (debugRequested(argv) && err.stack) process.stderr.write(`${err.stack}\n`);
    return EXIT.internal;
  }
}
