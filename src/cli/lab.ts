// `bootstrap-test lab`: the embedded emulated pool as a long-running command. Prints where it listens,
// the sample user and the exact client command, logs each request on one line, and stops cleanly on
// any terminating signal. The lab itself (node-forge, the XML-signature library) is loaded inside the action.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import type { RsaKeys } from '../pki/keys.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { LocalEnvironmentError, UsageError } from '../errors.js';
import { isLoopbackHost } from '../net/ipv4.js';
import { parseWholeNumber } from './values.js';

export interface LabCliOptions {
  fqdn?: string;
  registrarFqdn?: string;
  httpPort: string;
  httpsPort: string;
  dhcpPort: string;
  dhcp: boolean;
  bind: string;
  allowNonLoopback?: boolean;
  users?: string;
  caDir?: string;
  fault: string[];
  pinEncoding?: 'plain' | 'base64';
  rootChainShape?: 'soap' | 'get' | 'any';
  rootChainFormat?: 'pkcs7' | 'certificate-list';
  resolveUserShape?: 'empty' | 'entity' | 'any';
  proofPolicy?: 'endorsing' | 'signed';
  certValidityHours: string;
  ticketLifetimeMinutes: string;
  variant?: string[];
  listFaults?: boolean;
  listVariants?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export interface LabIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Resolves when the lab should stop (a terminating signal for the real command). */
  untilStopped: () => Promise<string>;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * Every signal whose default action ends the process: each one stops the lab through the same path,
 * so the private PIN file is removed however the lab is ended (a closed terminal sends SIGHUP).
 */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'];

const FREE_PORT_NOTE = '0 = any free port';

const LAB_HELP = `
The pool answers on loopback only, on free ports unless you choose them. It prints the command to
run against it; the built-in demo user is extension 7501, and its PIN goes into a private file
(mode 0600, removed when the lab stops) that the printed command reads with --pin-file, so the PIN
is never printed. With --users, the command reads the PIN from standard input instead.

Users file (JSON): { "users": [ { "sipUri": "sip:a@example.com", "lineUri": "tel:+13125557501;ext=7501",
  "pin": "<digits>", "enterpriseVoice": true, "sipEnabled": true } ],
  "dialPlan": { "rules": [ { "pattern": "^(\\\\d{4})$", "translation": "+1312555$1" } ] },
  "pinPolicy": { "minimumLength": 5, "maximumLogonAttempts": 10, "usePinAuth": true } }

Examples:
  bootstrap-test lab
  bootstrap-test lab --fault pin-wrong --fault slow:300
  bootstrap-test lab --list-faults
  bootstrap-test lab --list-variants
  bootstrap-test lab --variant soap12 --variant mex-split
  bootstrap-test lab --users ./users.json --ca-dir ./lab-ca --https-port 8443
`;

export function registerLabCommand(program: Command): void {
  program
    .command('lab')
    .description('run an emulated Lync/Skype for Business front-end pool on loopback (DHCP, HTTP, HTTPS) with fault injection')
    .option('--fqdn <fqdn>', 'pool FQDN (option 43 host, TLS certificate name)', 'pool01.lab.bootstrap-test.test')
    .option('--registrar-fqdn <fqdn>', 'registrar pool FQDN sent in option 120 (default: --fqdn)')
    .option('--http-port <port>', 'port of the HTTP (port 80) role; 0 = any free port', '0')
    .option('--https-port <port>', 'port of the HTTPS (port 443) role; 0 = any free port', '0')
    .option('--dhcp-port <port>', 'UDP port of the DHCP responder; 0 = any free port', '0')
    .option('--no-dhcp', 'do not run the DHCP responder')
    .option('--bind <address>', 'address to listen on', '127.0.0.1')
    .option('--allow-non-loopback', 'allow --bind to a non-loopback address (exposes a test CA and test PINs)')
    .option('--users <file>', 'users, dial plan and PIN policy (JSON); default: a built-in sample')
    .option('--ca-dir <dir>', 'keep the lab CA in DIR (lab-ca.pem, lab-ca.key), created on first use')
    .option('--fault <name[:value]>', 'inject a fault (repeatable; see --list-faults)', collect, [])
    .addOption(new Option('--pin-encoding <encoding>', 'PIN credential encoding the PIN port announces and accepts').choices(['plain', 'base64']))
    .addOption(new Option('--root-chain-shape <variant>', 'GetRootCertChain request shape served (inferred)').choices(['soap', 'get', 'any']))
    .addOption(new Option('--root-chain-format <format>', 'how the chain is returned').choices(['pkcs7', 'certificate-list']))
    .addOption(new Option('--resolve-user-shape <variant>', 'ResolveUser request shape served (inferred)').choices(['empty', 'entity', 'any']))
    .addOption(new Option('--proof-policy <policy>', 'endorsing = proof signature required; signed = ticket without signature').choices(['endorsing', 'signed']))
    .option('--variant <name>', 'serve a valid server layout (repeatable; see --list-variants)', collect, [])
    .option('--cert-validity-hours <hours>', 'validity of issued user certificates', '4320')
    .option('--ticket-lifetime-minutes <minutes>', 'web ticket lifetime', '480')
    .option('--list-faults', 'list the faults with the stage and diagnosis id each should produce, then exit')
    .option('--list-variants', 'list the server layouts --variant can serve, then exit')
    .option('--json', 'with --list-faults or --list-variants: the list as JSON')
    .option('-q, --quiet', 'do not log requests')
    .addHelpText('after', LAB_HELP)
    .action(async (options: LabCliOptions) => {
      process.exitCode = await runLabCommand(options, {
        stdout: process.stdout,
        stderr: process.stderr,
        untilStopped: () =>
          new Promise((resolve) => {
            const stop = (signal: NodeJS.Signals): void => {
              for (const name of STOP_SIGNALS) process.off(name, stop);
              resolve(signal);
            };
            for (const name of STOP_SIGNALS) process.on(name, stop);
          }),
      });
    });
}

/** The fault catalogue as a text table. */
export async function formatFaultList(json: boolean): Promise<string> {
  const { LAB_FAULTS } = await import('../lab/faults.js');
  if (json) return `${JSON.stringify(LAB_FAULTS, null, 2)}\n`;
  const rows = LAB_FAULTS.map((fault) => {
    const expected = fault.expectedDiagnosisId ?? '(run passes)';
    const also = fault.alsoAcceptable.length > 0 ? ` (or ${fault.alsoAcceptable.join(', ')})` : '';
    const status = fault.expectedStatus === 'fail' ? '' : ` [${fault.expectedStatus}]`;
    const expectedText = `${expected}${status}${also}, exit ${fault.expectedExit}`;
    return { name: fault.params ? `${fault.name}[:${fault.params.name}]` : fault.name, stage: fault.stage, expected: expectedText, description: fault.description };
  });
  const nameWidth = Math.max(...rows.map((row) => row.name.length), 5);
  const stageWidth = Math.max(...rows.map((row) => row.stage.length), 5);
  const lines = [`${'FAULT'.padEnd(nameWidth)}  ${'STAGE'.padEnd(stageWidth)}  EXPECTED DIAGNOSIS, EXIT CODE`];
  for (const row of rows) {
    lines.push(`${row.name.padEnd(nameWidth)}  ${row.stage.padEnd(stageWidth)}  ${row.expected}`);
    lines.push(`${''.padEnd(nameWidth)}  ${''.padEnd(stageWidth)}  ${row.description}`);
  }
  lines.push('', 'Per request: send the header "X-Lab-Fault: <name[:value]>" (not for port, TLS or DHCP faults).');
  return `${lines.join('\n')}\n`;
}

/** RSA key generation runs on the thread pool while the lab's modules load; a kept CA needs no new key. */
async function prestartKeyPairs(caDir: string | undefined): Promise<{ ca?: Promise<RsaKeys>; server: Promise<RsaKeys> }> {
  const [{ startKeyGeneration }, { existsSync }, { join: joinPath }] = await Promise.all([
    import('../pki/keys.js'),
    import('node:fs'),
    import('node:path'),
  ]);
  const caKept = caDir !== undefined && existsSync(joinPath(caDir, 'lab-ca.key'));
  return caKept ? { server: startKeyGeneration() } : { ca: startKeyGeneration(), server: startKeyGeneration() };
}

function time(): string {
  return new Date().toISOString().slice(11, 23);
}

export async function runLabCommand(options: LabCliOptions, io: LabIo): Promise<ExitCode> {
  if (options.listFaults) {
    io.stdout.write(await formatFaultList(options.json === true));
    return EXIT.ok;
  }
  const { WIRE_LAYOUTS, parseLayouts, UnknownLayoutError } = await import('../lab/layouts.js');
  if (options.listVariants) {
    io.stdout.write(
      options.json === true
        ? `${JSON.stringify(Object.entries(WIRE_LAYOUTS).map(([name, description]) => ({ name, description, expectedStatus: 'pass' })), null, 2)}\n`
        : Object.entries(WIRE_LAYOUTS).map(([name, description]) => `${name.padEnd(24)} ${description}\n`).join('') +
            '\nEvery variant is a valid layout: a run against it must end in Success. Combine them with repeated --variant.\n',
    );
    return EXIT.ok;
  }
  let layouts;
  try {
    layouts = parseLayouts(options.variant ?? []);
  } catch (error) {
    if (error instanceof UnknownLayoutError) throw new UsageError(`--variant: ${error.message}`);
    throw error;
  }
  // Cheap checks first, so that a typo costs no key generation.
  const ports = {
    http: parseWholeNumber('--http-port', options.httpPort, 0, 65535, FREE_PORT_NOTE),
    https: parseWholeNumber('--https-port', options.httpsPort, 0, 65535, FREE_PORT_NOTE),
    dhcp: parseWholeNumber('--dhcp-port', options.dhcpPort, 0, 65535, FREE_PORT_NOTE),
  };
  const certValidityHours = parseWholeNumber('--cert-validity-hours', options.certValidityHours, 1, 87600);
  const ticketLifetimeMinutes = parseWholeNumber('--ticket-lifetime-minutes', options.ticketLifetimeMinutes, 1, 10080);
  const [{ parseDirectory, DirectoryError }, { parseFaultSpecs, FaultSpecError }] = await Promise.all([
    import('../lab/directory.js'),
    import('../lab/faults.js'),
  ]);
  try {
    parseFaultSpecs(options.fault);
  } catch (error) {
    if (error instanceof FaultSpecError) throw new UsageError(`--fault: ${error.message}`);
    throw error;
  }
  let directory;
  if (options.users !== undefined) {
    let text: string;
    try {
      text = await readFile(options.users, 'utf8');
    } catch (error) {
      throw new UsageError(`--users ${options.users}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    try {
      directory = parseDirectory(text, options.users);
    } catch (error) {
      if (error instanceof DirectoryError) throw new UsageError(error.message);
      throw error;
    }
  }
  // RSA key generation runs on the thread pool while the lab's modules load: start-up is the longer of the two.
  const keyPairs = await prestartKeyPairs(options.caDir);
  const lab = await import('../lab/index.js');
  if (options.allowNonLoopback && !isLoopbackHost(options.bind)) {
    io.stderr.write(`bootstrap-test lab: WARNING: listening on ${options.bind}; the lab's CA key and test PINs are reachable from the network\n`);
  }
  let instance: import('../lab/index.js').Lab;
  try {
    instance = await lab.startLab({
      fqdn: options.fqdn,
      ...(options.registrarFqdn !== undefined ? { registrarFqdn: options.registrarFqdn } : {}),
      host: options.bind,
      allowNonLoopback: options.allowNonLoopback === true,
      ports,
      dhcp: options.dhcp,
      ...(directory !== undefined ? { directory } : {}),
      ...(options.caDir !== undefined ? { caDir: options.caDir } : {}),
      faults: options.fault,
      ...(options.pinEncoding !== undefined ? { pinEncoding: options.pinEncoding } : {}),
      ...(options.rootChainShape !== undefined ? { rootChainVariant: options.rootChainShape } : {}),
      ...(options.rootChainFormat !== undefined ? { rootChainFormat: options.rootChainFormat } : {}),
      ...(options.resolveUserShape !== undefined ? { resolveUserShape: options.resolveUserShape } : {}),
      ...(options.proofPolicy !== undefined ? { proofPolicy: options.proofPolicy } : {}),
      ...(layouts.length > 0 ? { layouts } : {}),
      keyPairs,
      certValidityHours,
      ticketLifetimeMinutes,
      ...(options.quiet ? {} : { log: (line: string) => io.stderr.write(`${time()} ${line}\n`) }),
    });
  } catch (error) {
    throw translateStartError(error, lab, options);
  }
  // Listen for the signals before announcing readiness, so that a stop right after the banner is clean.
  const stopped = io.untilStopped();
  const pinFile = instance.sampleUser.pin !== undefined ? await writePrivatePinFile(instance.sampleUser.pin) : undefined;
  try {
    io.stdout.write(banner(instance, options, pinFile?.path));
    const signal = await stopped;
    await instance.stop();
    reportStopped(io, instance, signal);
  } finally {
    await pinFile?.remove();
  }
  return EXIT.ok;
}

/** The sample PIN travels to the client through a file only its owner can read, never through output. */
async function writePrivatePinFile(pin: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'bootstrap-test-lab-'));
  const path = join(dir, 'sample-user.pin');
  await writeFile(path, `${pin}\n`, { mode: 0o600 });
  return { path, remove: () => rm(dir, { recursive: true, force: true }) };
}

function reportStopped(io: LabIo, instance: import('../lab/index.js').Lab, signal: string): void {
  const stats = instance.stats;
  io.stderr.write(
    `bootstrap-test lab: stopped (${signal}) after ${stats.requests.total} HTTP requests, ${stats.dhcp.received} DHCP packets, ` +
      `${stats.ticketsIssued} tickets, ${stats.certificatesIssued} certificates, ${stats.pinFailures} PIN failures\n`,
  );
}

function translateStartError(error: unknown, lab: typeof import('../lab/index.js'), options: LabCliOptions): Error {
  if (error instanceof lab.LabOptionError || error instanceof lab.CaDirError) return new UsageError(error.message);
  if (error instanceof lab.FaultSpecError) return new UsageError(`--fault: ${error.message}`);
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    const where = `${options.bind} (ports http ${options.httpPort}, https ${options.httpsPort}, dhcp ${options.dhcpPort})`;
    const hint =
      code === 'EADDRINUSE'
        ? 'a port is already in use; choose others or 0 for any free port'
        : code === 'EACCES'
          ? 'ports below 1024 need privileges; use 0 or a high port'
          : 'that address is not on this host';
    return new LocalEnvironmentError(`cannot listen on ${where}: ${code}: ${hint}`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:=+@%-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function banner(lab: import('../lab/index.js').Lab, options: LabCliOptions, pinFile: string | undefined): string {
  const faults = lab.faults();
  const user = lab.sampleUser;
  const args = lab.clientArguments().map(shellQuote).join(' ');
  const command =
    pinFile !== undefined
      ? `npx bootstrap-test ${args} --pin-file ${shellQuote(pinFile)}`
      : `npx bootstrap-test ${args} --pin-stdin    # then type the user's PIN`;
  const ca = options.caDir !== undefined ? `${lab.caCreated ? 'created in' : 'loaded from'} ${options.caDir}` : 'generated for this run';
  const lines = [
    // performance.now() counts from process start: the figure includes loading Node and the lab.
    `bootstrap-test lab pool ${lab.fqdn} ready ${Math.round(performance.now())} ms after start`,
    `  DHCP         ${lab.ports.dhcp === 0 ? 'off' : `udp ${lab.host}:${lab.ports.dhcp}  (INFORM from MS-UC-Client -> options 43, 120)`}`,
    `  HTTP  (80)   ${lab.host}:${lab.ports.http}  ${lab.urls.certProvAnonymous}`,
    `  HTTPS (443)  ${lab.host}:${lab.ports.https}  ${lab.urls.certProv}`,
    `  registrar    ${lab.registrarFqdn} (option 120)${lab.ports.sip === 0 ? '' : `, SIP/TLS with TLS-DSK on ${lab.host}:${lab.ports.sip}`}`,
    ...(lab.ports.dns === 0 ? [] : [`  DNS, NTP     udp ${lab.host}:${lab.ports.dns} (zone ${lab.sipDomain}: _sipinternaltls._tcp, _ntp._udp), udp ${lab.host}:${lab.ports.ntp}`]),
    `  lab CA       ${ca}`,
    `  faults       ${faults.length > 0 ? faults.join(', ') : 'none'}`,
    `  sample user  ${user.sipUri}  ${user.lineUri}  (type ${user.phoneOrExt}${pinFile !== undefined ? `, PIN in ${pinFile}` : ''})`,
    `  status       ${lab.urls.status.replace(lab.fqdn, lab.host)}`,
    '',
    'Run a phone bootstrap against it:',
    `  ${command}`,
    '',
    options.quiet ? 'Ctrl-C stops the pool.' : 'Requests are logged on stderr; Ctrl-C stops the pool.',
    '',
  ];
  return lines.join('\n');
}
