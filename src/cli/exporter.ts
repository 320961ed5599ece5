// `bootstrap-test exporter --config FILE`: the long-running Prometheus exporter. Reads and checks the
// configuration (one line naming the file, line and key when it is wrong, exit 2), listens, logs one
// line per probe on stderr, reloads on SIGHUP (keeping the running configuration if the new one is
// wrong) and stops on SIGINT/SIGTERM. `--check-config` only checks the file, like `promtool check`.

import type { Command } from 'commander';
import { isIP } from 'node:net';
import { LocalEnvironmentError, UsageError } from '../errors.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { parseWholeNumber } from './values.js';
import { packageVersion } from './version.js';

export interface ExporterCliOptions {
  config: string;
  listen: string;
  checkConfig?: boolean;
}

export interface ExporterIo {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Calls `reload` on each reload request (SIGHUP); resolves when the exporter should stop. */
  untilStopped: (reload: () => void) => Promise<string>;
}

const DEFAULT_LISTEN = '127.0.0.1:9815';

/** `HOST:PORT`, `[v6]:PORT` or `:PORT` (all interfaces). */
export function parseListenAddress(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text.trim());
  const host = match?.[1] ?? match?.[2];
  if (!match || host === undefined) throw new UsageError(`--listen: "${text}" is not HOST:PORT (e.g. 127.0.0.1:9815 or :9815)`);
  if (host !== '' && host !== 'localhost' && isIP(host) === 0) throw new UsageError(`--listen: "${host}" is not an IP address`);
  return { host: host === '' ? '0.0.0.0' : host, port: parseWholeNumber('--listen port', match[3] ?? '', 0, 65535, '0 = any free port') };
}

export async function runExporterCommand(options: ExporterCliOptions, io: ExporterIo): Promise<ExitCode> {
  const [{ loadExporterConfigFile, ConfigError }, { startExporter }] = await Promise.all([import('../exporter/config.js'), import('../exporter/server.js')]);
  const listen = parseListenAddress(options.listen);
  const loadConfig = () => loadExporterConfigFile(options.config, io.env);
  let initial;
  try {
    initial = await loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  if (options.checkConfig) {
    io.stdout.write(`${options.config}: configuration is valid, ${initial.config.modules.size} module(s): ${[...initial.config.modules.keys()].join(', ')}\n`);
    return EXIT.ok;
  }
  const log = (line: string): void => {
    io.stderr.write(`${new Date().toISOString()} ${line}\n`);
  };
  let exporter;
  try {
    exporter = await startExporter(initial, { host: listen.host, port: listen.port, loadConfig, log, version: packageVersion() });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new LocalEnvironmentError(`--listen ${options.listen}: cannot listen (${code})`);
    }
    throw error;
  }
  log(`exporter ${packageVersion()} listening on ${exporter.url} with ${initial.config.modules.size} module(s); SIGHUP or POST /-/reload reloads ${options.config}`);
  const signal = await io.untilStopped(() => {
    void exporter.reload();
  });
  log(`${signal}: stopping`);
  await exporter.stop();
  return EXIT.ok;
}

/** Real signals: SIGHUP reloads, SIGINT/SIGTERM stop. */
function processSignals(reload: () => void): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('SIGHUP', reload);
      resolve(signal);
    };
    process.on('SIGHUP', reload);
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

const EXPORTER_HELP = `
Prometheus scrapes /probe?module=NAME&target=TARGET (TARGET: dhcp, dhcp:IFACE, a pool FQDN or its
CertProv https URL); /metrics describes the exporter; / is a status page. Account safety: one sign-in
at a time per account, min_interval between sign-ins per (module, target) with the cached result in
between, and no PIN sent again after a rejection until POST /-/unlatch?module=NAME or a changed
account configuration.

Examples:
  bootstrap-test exporter --config /etc/bootstrap-test/exporter.yml
  bootstrap-test exporter --config exporter.yml --listen :9815
  bootstrap-test exporter --config exporter.yml --check-config
  kill -HUP <pid>      # reload the configuration`;

export function registerExporterCommand(program: Command): void {
  program
    .command('exporter')
    .description('long-running Prometheus exporter (blackbox_exporter style) probing the phone sign-in')
    .requiredOption('--config <file>', 'YAML configuration with the modules')
    .option('--listen <host:port>', 'address to serve on (":9815" = every interface)', DEFAULT_LISTEN)
    .option('--check-config', 'check the configuration and exit')
    .addHelpText('after', EXPORTER_HELP)
    .action(async (options: ExporterCliOptions) => {
      process.exitCode = await runExporterCommand(options, {
        env: process.env,
        stdout: process.stdout,
        stderr: process.stderr,
        untilStopped: processSignals,
      });
    });
}
