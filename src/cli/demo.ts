// `bootstrap-test demo` (and `npm run demo`): the embedded lab pool in this process, the whole
// bootstrap against it with the lab's sample user, the usual report, then the lab stops. The PIN
// goes from the lab's directory to the pipeline in memory; it is never printed.

import type { Command } from 'commander';
import type { Lab } from '../lab/pool.js';
import type { PipelineOptions } from '../stages/types.js';
import type { BootstrapSettings } from './bootstrap.js';
import { UsageError } from '../errors.js';
import { informSettings } from '../dhcp/inform-settings.js';
import type { CliIo } from './bootstrap-run.js';
import type { ExitCode } from '../exit-codes.js';
import { packageVersion } from './version.js';
import { SIGN_IN_DHCP_OPTIONS } from '../stages/dhcp-network.js';
import { parseStopAfter } from './bootstrap.js';

export interface DemoCliOptions {
  fault: string[];
  verbose?: boolean;
  json?: boolean;
  trace?: string;
  color: boolean;
  debug?: boolean;
  pinEncoding?: 'plain' | 'base64';
  rootChainShape?: string;
  resolveUserShape?: string;
  stopAfter?: string;
}

/** Settings for a run against a lab on loopback: unicast DHCP from an ephemeral port, --resolve for the fictitious FQDN. */
export function labSettings(lab: Pick<Lab, 'fqdn' | 'host' | 'ports' | 'sampleUser'>, overrides: Partial<BootstrapSettings> = {}): BootstrapSettings {
  const address = lab.host === 'localhost' ? '127.0.0.1' : lab.host;
  return {
    phoneOrExt: lab.sampleUser.phoneOrExt,
    userSipAddress: lab.sampleUser.sipUri,
    // The lab's registrar listens on an ephemeral port; its SRV record says which, option 120 cannot.
    registrarPort: lab.ports.sip || 5061,
    ...(lab.ports.dns ? { dnsServer: { host: address, port: lab.ports.dns } } : {}),
    caFiles: [],
    resolve: [
      { host: lab.fqdn, port: 80, address, targetPort: lab.ports.http },
      { host: lab.fqdn, address },
    ],
    // The defaults, as the lab's printed command uses them (so a lost first copy is retransmitted in
    // time), from an ephemeral port, listening long enough for a second loopback responder.
    dhcp: informSettings({
      server: { address, port: lab.ports.dhcp },
      clientPort: 0,
      extraRequestedOptions: [...SIGN_IN_DHCP_OPTIONS],
      listenMs: 150,
    }),
    timeoutMs: 60_000,
    csrHash: 'sha1',
    maxResponseBytes: 4 * 1024 * 1024,
    ...overrides,
  };
}

/** Pipeline options for a run against `lab` (tests and the benchmark use this too). */
export async function labPipelineOptions(
  lab: Pick<Lab, 'fqdn' | 'host' | 'ports' | 'sampleUser'>,
  overrides: Partial<BootstrapSettings> = {},
): Promise<PipelineOptions> {
  const { pipelineOptionsFrom } = await import('./bootstrap-run.js');
  return pipelineOptionsFrom(labSettings(lab, overrides));
}

export async function runDemo(raw: DemoCliOptions, io: CliIo): Promise<ExitCode> {
  const [{ startLab }, { runWithOutput }, { PinHolder }] = await Promise.all([
    import('../lab/pool.js'),
    import('./bootstrap-run.js'),
    import('../stages/pin-holder.js'),
  ]);
  let lab: Lab;
  try {
    lab = await startLab({ faults: raw.fault });
  } catch (error) {
    if ((error as Error).name === 'LabOptionError' || (error as Error).name === 'FaultSpecError') {
      throw new UsageError(`--fault: ${(error as Error).message}`);
    }
    throw error;
  }
  try {
    const user = lab.sampleUser;
    if (user.pin === undefined) throw new UsageError('the lab has no sample user with a PIN');
    io.stderr.write(
      `Lab pool ${lab.fqdn} on ${lab.host} (DHCP :${lab.ports.dhcp}, HTTP :${lab.ports.http}, HTTPS :${lab.ports.https}), started in ${Math.round(lab.startupMs)} ms${
        raw.fault.length > 0 ? `, faults: ${raw.fault.join(', ')}` : ''
      }\n` + `Signing in as a phone: extension ${user.phoneOrExt}, the sample user's PIN, expecting ${user.sipUri}\n\n`,
    );
    const overrides: Partial<BootstrapSettings> = {};
    if (raw.pinEncoding) overrides.pinEncoding = raw.pinEncoding;
    if (raw.rootChainShape) overrides.rootChainShape = raw.rootChainShape;
    if (raw.resolveUserShape) overrides.resolveUserShape = raw.resolveUserShape;
    if (raw.stopAfter) overrides.stopAfter = parseStopAfter(raw.stopAfter);
    const options = await labPipelineOptions(lab, overrides);
    const { code } = await runWithOutput(
      options,
      new PinHolder(user.pin),
      {
        verbose: raw.verbose === true,
        json: raw.json === true,
        ...(raw.trace !== undefined ? { traceDir: raw.trace } : {}),
        color: raw.color,
        debug: raw.debug === true,
        version: packageVersion(),
      },
      io,
      // The lab answers on this thread: its work is not the tool's, so stages report wall time.
      { poolOnThisThread: true },
    );
    return code;
  } finally {
    await lab.stop();
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerDemoCommand(program: Command): Command {
  return program
    .command('demo')
    .description('start the embedded lab pool, run the whole bootstrap against it with the sample user, stop (no root needed)')
    .option('--fault <name>', 'inject a lab fault first, e.g. pin-wrong or blackhole:webticket (repeatable; see lab --list-faults)', collect, [])
    .option('-v, --verbose', 'the phone\'s-eye log')
    .option('--json', 'one JSON object on stdout')
    .option('--trace <dir>', 'write every exchange to DIR (secrets redacted)')
    .option('--pin-encoding <encoding>', 'plain or base64, when the server\'s policy does not say')
    .option('--root-chain-shape <variant>', 'GetRootCertChain request shape')
    .option('--resolve-user-shape <variant>', 'ResolveUser request shape')
    .option('--stop-after <stage>', 'end the run after this stage; "certificate" = exactly Test-CsPhoneBootstrap')
    .option('--no-color', 'no colour')
    .option('--debug', 'stack traces for internal errors')
    .action(async (options: DemoCliOptions) => {
      process.exitCode = await runDemo(options, {
        argv: process.argv,
        env: process.env,
        stdin: process.stdin,
        stdout: process.stdout,
        stderr: process.stderr,
      });
    });
}
