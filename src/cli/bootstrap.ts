// The default command: `bootstrap-test --ext 7501 --pin-file pin.txt`, the Test-CsPhoneBootstrap run.
// This module is loaded at every start, so it holds only option definitions and their checks; the
// pipeline, the transport, the SOAP layer and the renderers load inside the action.

import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import type { InformSettings } from '../dhcp/inform-settings.js';
import { addInformOptions, informSettingsFromOptions, parseDurationMs, type InformCliOptions } from './dhcp.js';
import { parseWholeNumber } from './values.js';
import { singleValue } from './command-line.js';
import { checkHostName, HostNameError } from '../net/hostname.js';
import { parseIpv4 } from '../net/ipv4.js';
import { parseResolveRule, ResolveRuleError, type ResolveRule } from '../net/resolve.js';
import { checkTraceDirectoryName } from '../report/trace.js';
import { DnsServerSyntaxError, parseDnsServer } from '../dns/resolver.js';
import { STAGE_NAMES, type StageName } from '../model.js';
import type { UdpEndpoint } from '../net/udp-exchange.js';
import { SIGN_IN_DHCP_OPTIONS } from '../stages/dhcp-network.js';
import type { OneShotCliOptions } from './oneshot.js';

export interface BootstrapCliOptions extends InformCliOptions, OneShotCliOptions {
  ext?: string;
  phoneOrExt?: string;
  pin?: string;
  pinFile?: string;
  pinStdin?: boolean;
  targetUri?: string;
  targetFqdn?: string;
  registrarPort: string;
  userSipAddress?: string;
  caFile: string[];
  resolve: string[];
  timeout: string;
  pinEncoding?: 'plain' | 'base64';
  rootChainShape?: string;
  resolveUserShape?: string;
  csrHash: 'sha1' | 'sha256';
  maxResponseBytes: string;
  verbose?: boolean;
  json?: boolean;
  trace?: string;
  color: boolean;
  debug?: boolean;
  stopAfter?: string;
  sipDomain?: string;
  dnsServer?: string;
  dnsFromDhcp?: boolean;
  /** --count N --interval D: N runs, then a summary per stage. */
  count?: string;
  interval?: string;
}

/** The checked command line, everything but the PIN (which has its own sources, see pin.ts). */
export interface BootstrapSettings {
  phoneOrExt: string;
  targetUri?: string;
  targetFqdn?: string;
  registrarPort: number;
  userSipAddress?: string;
  caFiles: string[];
  resolve: ResolveRule[];
  dhcp: InformSettings;
  timeoutMs: number;
  pinEncoding?: 'plain' | 'base64';
  rootChainShape?: string;
  resolveUserShape?: string;
  csrHash: 'sha1' | 'sha256';
  maxResponseBytes: number;
  /** The last stage to run; `certificate` = exactly the cmdlet's run. */
  stopAfter?: StageName;
  sipDomain?: string;
  dnsServer?: UdpEndpoint;
  dnsFromDhcp?: boolean;
}

/** What --stop-after accepts, with the sign-in's stages as the run's default end. */
export function parseStopAfter(text: string): StageName {
  const name = text.trim().toLowerCase();
  if (!(STAGE_NAMES as readonly string[]).includes(name)) throw new UsageError(`--stop-after: "${text}" is not a stage (${STAGE_NAMES.join(', ')})`);
  return name as StageName;
}

/** The sign-in options shared by the default command and `demo`: --stop-after, --sip-domain, --dns-server, --dns-from-dhcp. */
export function signInSettingsFromOptions(options: Pick<BootstrapCliOptions, 'stopAfter' | 'sipDomain' | 'dnsServer' | 'dnsFromDhcp'>): Pick<BootstrapSettings, 'stopAfter' | 'sipDomain' | 'dnsServer' | 'dnsFromDhcp'> {
  const settings: Pick<BootstrapSettings, 'stopAfter' | 'sipDomain' | 'dnsServer' | 'dnsFromDhcp'> = {};
  if (options.stopAfter !== undefined) settings.stopAfter = parseStopAfter(options.stopAfter);
  if (options.sipDomain !== undefined) settings.sipDomain = parseFqdn('--sip-domain', options.sipDomain);
  if (options.dnsServer !== undefined) {
    try {
      settings.dnsServer = parseDnsServer(options.dnsServer);
    } catch (error) {
      if (error instanceof DnsServerSyntaxError) throw new UsageError(error.message);
      throw error;
    }
  }
  if (options.dnsFromDhcp) {
    if (settings.dnsServer) throw new UsageError('--dns-server and --dns-from-dhcp both name the resolver; give one');
    settings.dnsFromDhcp = true;
  }
  return settings;
}

/** The sign-in options on a command (the default one and `demo`). */
export function addSignInOptions(command: Command): Command {
  return command
    .option('--stop-after <stage>', 'end the run after this stage; "certificate" = exactly Test-CsPhoneBootstrap (default: the whole sign-in)')
    .option('--sip-domain <domain>', 'SIP domain for the NTP and registrar SRV look-ups (default: the domain of the user\'s SIP URI)')
    .option('--dns-server <host[:port]>', 'ask this DNS server in the time and dns stages (default: this host\'s resolver)')
    .option('--dns-from-dhcp', 'ask the DNS servers of DHCP option 6, as the phone would');
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function parsePhoneOrExt(text: string | undefined): string {
  if (text === undefined || text.trim() === '') {
    throw new UsageError('--ext (or --phone-or-ext) is required: the phone number or extension the phone signs in with');
  }
  const value = text.trim();
  if (!/^\+?\d{1,20}$/.test(value)) {
    throw new UsageError(`--ext: "${value}" is not a phone number or extension (digits, optionally a leading +)`);
  }
  return value;
}

export function parseTargetUri(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--target-uri: "${text}" is not a URL (e.g. https://pool.example.com/CertProv/CertProvisioningService.svc)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`--target-uri: "${text}" must be an https:// URL`);
  }
  if (!parseIpv4(url.hostname)) {
    try {
      checkHostName(url.hostname);
    } catch (error) {
      if (error instanceof HostNameError) throw new UsageError(`--target-uri: ${error.message}`);
      throw error;
    }
  }
  return url.toString();
}

export function parseFqdn(flag: string, text: string): string {
  try {
    return checkHostName(text).name.toLowerCase();
  } catch (error) {
    if (error instanceof HostNameError) throw new UsageError(`${flag}: ${error.message}`);
    throw error;
  }
}

export function parseSipAddress(text: string): string {
  if (!/^sip:/i.test(text)) throw new UsageError(`--user-sip-address: "${text}" must start with sip: (e.g. sip:user@example.com)`);
  if (!/^sip:[^@\s]+@[^@\s]+$/i.test(text)) throw new UsageError(`--user-sip-address: "${text}" is not sip:user@domain`);
  return text;
}

function phoneOrExtOf(options: BootstrapCliOptions): string | undefined {
  if (options.ext !== undefined && options.phoneOrExt !== undefined && options.ext !== options.phoneOrExt) {
    throw new UsageError(`--ext "${options.ext}" and --phone-or-ext "${options.phoneOrExt}" disagree; give one`);
  }
  return options.ext ?? options.phoneOrExt;
}

/** A sign-in run asks for the phone's network options too, unless --request-options chose the list. */
function signInDhcp(settings: InformSettings, defaultList: boolean): InformSettings {
  return defaultList ? { ...settings, extraRequestedOptions: [...SIGN_IN_DHCP_OPTIONS] } : settings;
}

/** Checks every option; each error names the flag and the value, nothing is sent before this passes. */
export function bootstrapSettingsFromOptions(options: BootstrapCliOptions): BootstrapSettings {
  const resolve = options.resolve.map((text) => {
    try {
      return parseResolveRule(text);
    } catch (error) {
      if (error instanceof ResolveRuleError) throw new UsageError(error.message);
      throw error;
    }
  });
  const maxResponseBytes = Number(options.maxResponseBytes);
  if (!/^\d+$/.test(options.maxResponseBytes) || maxResponseBytes < 1024) {
    throw new UsageError(`--max-response-bytes: "${options.maxResponseBytes}" is not a whole number of at least 1024`);
  }
  const settings: BootstrapSettings = {
    phoneOrExt: parsePhoneOrExt(phoneOrExtOf(options)),
    registrarPort: parseWholeNumber('--registrar-port', options.registrarPort, 1, 65535),
    caFiles: options.caFile,
    resolve,
    dhcp: signInDhcp(informSettingsFromOptions(options), options.requestOptions === undefined),
    timeoutMs: parseDurationMs('--timeout', options.timeout),
    csrHash: options.csrHash,
    maxResponseBytes,
    ...signInSettingsFromOptions(options),
  };
  if (options.targetUri !== undefined) settings.targetUri = parseTargetUri(options.targetUri);
  if (options.targetFqdn !== undefined) settings.targetFqdn = parseFqdn('--target-fqdn', options.targetFqdn);
  if (options.userSipAddress !== undefined) settings.userSipAddress = parseSipAddress(options.userSipAddress);
  if (options.trace !== undefined) checkTraceDirectoryName(options.trace);
  if (options.pinEncoding !== undefined) settings.pinEncoding = options.pinEncoding;
  if (options.rootChainShape !== undefined) settings.rootChainShape = options.rootChainShape;
  if (options.resolveUserShape !== undefined) settings.resolveUserShape = options.resolveUserShape;
  return settings;
}

export const BOOTSTRAP_HELP = `
What it does (like Test-CsPhoneBootstrap): DHCPINFORM for options 43/120, the root chain over HTTP,
a web ticket with the extension and PIN over HTTPS, ResolveUser, a second ticket, GetAndPublishCert.
Then, as the phone does, the sign-in: the clock (NTP from option 42/4, SRV _ntp._udp or
time.windows.com), the registrar in DNS (SRV _sipinternaltls._tcp, option 120), TLS 1.0 to it, and a
SIP REGISTER with TLS-DSK using the issued certificate, signed out again at once. --stop-after
certificate ends the run where the cmdlet does.
Each stage prints a line on stderr; the cmdlet's summary (TargetUri, TargetFqdn, Result, Latency,
Error, Diagnosis) goes to stdout.

PIN sources, first match wins: --pin-file, --pin-stdin, --pin (warned: visible in ps), the
BOOTSTRAP_TEST_PIN environment variable, then a hidden prompt on a terminal. The PIN never appears in
any output. A PIN the server rejects is not sent again in the same run.

Exit codes:
  0  every stage passed
  1  a stage failed (the report names the stage, a diagnosis id and what to check)
  2  usage error (bad option or value); nothing was sent
  3  internal error in the tool (run again with --debug and report it)
  4  this host cannot run the test (e.g. no privilege to bind UDP 68)
  130, 143  interrupted by Ctrl-C (SIGINT) or stopped by SIGTERM; says during which stage
  With --nagios the Monitoring Plugins states instead: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
  (bad options, a run cut off by -t/--timeout, or this host could not run the test).

Examples:
  bootstrap-test --ext 7501 --pin-file ~/.pin                 # DHCP discovery on the default interface (needs UDP 68)
  BOOTSTRAP_TEST_PIN="$(cat ~/.pin)" bootstrap-test --ext 7501 -v   # the phone's-eye log
  bootstrap-test --ext 7501 --pin-stdin --target-uri https://pool.example.com/CertProv/CertProvisioningService.svc --target-fqdn pool.example.com < pin.txt
  bootstrap-test --ext 7501 --pin-file pin.txt --json --trace ./trace
  bootstrap-test --ext 7501 --pin-file pin.txt --nagios -w 2 -c 5 -t 20   # Nagios/Icinga plugin, exit 0/1/2/3
  bootstrap-test --ext 7501 --pin-file pin.txt --format prometheus --output /var/lib/node_exporter/textfile/   # cron + textfile collector
  bootstrap-test --ext 7501 --pin-file pin.txt --count 20 --interval 30s   # chase an intermittent failure; stops at a PIN rejection
  bootstrap-test lab                                           # an emulated pool on loopback; prints the command to run against it
  bootstrap-test demo                                          # the whole run against the embedded lab
`;

/** Adds the bootstrap options to the root command; the action loads the pipeline lazily. */
export function configureBootstrapCommand(program: Command): Command {
  program
    .option('--ext <number>', 'phone number or extension as typed on the phone (alias of --phone-or-ext)', singleValue('--ext'))
    .option('--phone-or-ext <number>', 'phone number or extension (the cmdlet\'s -PhoneOrExt)', singleValue('--phone-or-ext'))
    .option('--pin <pin>', 'the PIN (compatibility with the cmdlet; prefer --pin-file, --pin-stdin or BOOTSTRAP_TEST_PIN)', singleValue('--pin', { secret: true }))
    .option('--pin-file <file>', 'read the PIN from the first line of a file', singleValue('--pin-file'))
    .option('--pin-stdin', 'read the PIN from the first line of standard input')
    .option('--target-uri <url>', 'certificate provisioning URL; skips option 43 discovery', singleValue('--target-uri'))
    .option('--target-fqdn <fqdn>', 'registrar pool FQDN; skips option 120 discovery', singleValue('--target-fqdn'))
    .option('--registrar-port <port>', 'registrar TLS port (accepted for cmdlet compatibility)', '5061')
    .option('--user-sip-address <sip-uri>', 'expected owner of the number and PIN, e.g. sip:user@example.com', singleValue('--user-sip-address'))
    .option('--ca-file <pem>', 'also trust these PEM certificates for HTTPS (repeatable)', collect, [])
    .option('--resolve <host[:port]=addr[:port]>', 'connect to this address for that host, curl-style (repeatable)', collect, [])
    .option('-t, --timeout <duration>', 'overall deadline for the run, seconds or e.g. 800ms', '60');
  // DHCP discovery takes the same options as `dhcp inform`.
  addInformOptions(program);
  addSignInOptions(program);
  return program
    .addOption(new Option('--pin-encoding <encoding>', 'how the PIN credential is encoded when the server\'s policy does not say').choices(['plain', 'base64']))
    .option('--root-chain-shape <variant>', 'GetRootCertChain request shape (inferred; see README "Inferences")')
    .option('--resolve-user-shape <variant>', 'ResolveUser request shape (inferred; see README "Inferences")')
    .addOption(new Option('--csr-hash <hash>', 'signature hash of the certificate request').choices(['sha1', 'sha256']).default('sha1'))
    .addOption(new Option('--max-response-bytes <n>', 'largest HTTP answer accepted').default('4194304').hideHelp())
    .option('-v, --verbose', 'the phone\'s-eye log, one line per step with elapsed ms')
    .option('--json', 'one JSON object on stdout instead of the table and summary (format: docs/json-output.md)')
    .option('--trace <dir>', 'write every DHCP packet and HTTP exchange to DIR (secrets redacted)')
    .option('--nagios', 'Monitoring Plugins output: one line BOOTSTRAP OK|WARNING|CRITICAL|UNKNOWN with perfdata, exit 0/1/2/3')
    .option('--warning-days <days>', 'with --nagios: WARNING when a certificate expires within this many days (default 14)', singleValue('--warning-days'))
    .option('--critical-days <days>', 'with --nagios: CRITICAL when a certificate expires within this many days (default 7)', singleValue('--critical-days'))
    .option('-w, --warning <seconds>', 'with --nagios: WARNING when the run takes longer', singleValue('--warning'))
    .option('-c, --critical <seconds>', 'with --nagios: CRITICAL when the run takes longer', singleValue('--critical'))
    .option('--format <format>', 'with --output: write the result as a node_exporter textfile (prometheus)', singleValue('--format'))
    .option('--output <file>', 'with --format prometheus: the .prom file (written then renamed), or a directory for one file per account', singleValue('--output'))
    .option('--label <name=value>', 'with --format prometheus: a constant label on every series (repeatable)', collect, [])
    .option('--count <n>', 'run N times (e.g. to catch an intermittent failure), then summarise each stage', singleValue('--count'))
    .option('--interval <duration>', 'with --count: time from the start of one run to the start of the next (default 10 s)', singleValue('--interval'))
    .option('--no-color', 'no colour (also NO_COLOR=1 or TERM=dumb)')
    .option('--debug', 'show stack traces for internal errors')
    .addHelpText('after', BOOTSTRAP_HELP);
}
