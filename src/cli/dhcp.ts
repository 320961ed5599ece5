// `bootstrap-test dhcp ...`: the DHCPUtil re-creation. `inform` asks the segment's DHCP servers what
// a phone asks; `encode` and `decode` come from their own modules. Heavy modules load inside actions.

import type { Command } from 'commander';
import {
  DEFAULT_HOST_NAME,
  DEFAULT_LISTEN_MS,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_TRIES,
  DEFAULT_VENDOR_CLASS,
  DHCP_CLIENT_PORT,
  type InformSettings,
} from '../dhcp/inform-settings.js';
import type { InformResult } from '../dhcp/inform-analysis.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { BootstrapTestError, UsageError } from '../errors.js';
import { parseIpv4 } from '../net/ipv4.js';
import { registerDhcpEncode } from './dhcp-encode.js';
import { parseWholeNumber } from './values.js';
import { registerDhcpDecode } from './dhcp-decode.js';

/** The raw values of the INFORM options, as commander parses them. */
export interface InformCliOptions {
  interface?: string;
  dhcpServer?: string;
  clientPort: string;
  vendorClass: string;
  hostName: string;
  requestOptions?: string;
  maxMessageSize?: string;
  dhcpTimeout: string;
  dhcpTries: string;
  listenMs: string;
}

/** "6", "2.5", "2.5s" or "800ms" -> milliseconds. A bare number is seconds. */
export function parseDurationMs(flag: string, text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/.exec(text);
  if (!match) throw new UsageError(`${flag}: "${text}" is not a duration (e.g. 6, 2.5s or 800ms)`);
  const value = Number(match[1]);
  const ms = Math.round(match[2] === 'ms' ? value : value * 1000);
  if (ms < 1 || ms > 300_000) throw new UsageError(`${flag}: "${text}" is not between 1 ms and 300 s`);
  return ms;
}

/** "10.0.0.5" or "10.0.0.5:6767" -> address and port (default 67). */
export function parseServerAddress(text: string): { address: string; port: number } {
  const [host = '', port, ...rest] = text.trim().split(':');
  if (rest.length > 0 || !parseIpv4(host)) {
    throw new UsageError(`--dhcp-server: "${text}" is not an IPv4 address with an optional :port (e.g. 10.0.0.5 or 127.0.0.1:6767)`);
  }
  return { address: host, port: port === undefined ? 67 : parseWholeNumber('--dhcp-server port', port, 1, 65535) };
}

export function parseRequestedOptions(text: string): number[] {
  const codes = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => parseWholeNumber('--request-options', part, 1, 254));
  return [...new Set(codes)];
}

/** Validates the INFORM options; every error names the flag and the value. */
export function informSettingsFromOptions(options: InformCliOptions): InformSettings {
  const vendorClass = options.vendorClass;
  if (vendorClass.length < 1 || vendorClass.length > 255 || !/^[\x20-\x7e]+$/.test(vendorClass)) {
    throw new UsageError(`--vendor-class: "${vendorClass}" must be 1..255 printable ASCII characters`);
  }
  const hostName = options.hostName;
  if (!/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(hostName)) {
    throw new UsageError(`--host-name: "${hostName}" is not a host name label (letters, digits, hyphens, at most 63)`);
  }
  return {
    ...(options.interface !== undefined ? { interfaceName: options.interface } : {}),
    ...(options.dhcpServer !== undefined ? { server: parseServerAddress(options.dhcpServer) } : {}),
    clientPort: parseWholeNumber('--client-port', options.clientPort, 0, 65535),
    vendorClass,
    hostName,
    extraRequestedOptions: options.requestOptions ? parseRequestedOptions(options.requestOptions) : [],
    ...(options.maxMessageSize !== undefined
      ? { maxMessageSize: parseWholeNumber('--max-message-size', options.maxMessageSize, 576, 65535) }
      : {}),
    timeoutMs: parseDurationMs('--dhcp-timeout', options.dhcpTimeout),
    tries: parseWholeNumber('--dhcp-tries', options.dhcpTries, 1, 10),
    ...(options.listenMs === 'deadline' ? {} : { listenMs: parseWholeNumber('--listen-ms', options.listenMs, 0, 300_000) }),
  };
}

/**
 * Adds the INFORM options to a command. The pipeline's main command can add the same set, so
 * `bootstrap-test --dhcp-server ...` and `bootstrap-test dhcp inform --dhcp-server ...` agree.
 */
export function addInformOptions(command: Command): Command {
  return command
    .option('--interface <name>', 'interface whose address and MAC the request carries (default: the default route\'s)')
    .option('--dhcp-server <host[:port]>', 'unicast to this server instead of broadcasting to 255.255.255.255:67; only its answers count, and a closed port is reported at once')
    .option('--client-port <port>', 'local UDP port; 0 = ephemeral (then only dnsmasq-like servers can answer)', String(DHCP_CLIENT_PORT))
    .option('--vendor-class <text>', 'option 60, exact case', DEFAULT_VENDOR_CLASS)
    .option('--host-name <name>', 'option 12', DEFAULT_HOST_NAME)
    .option('--request-options <codes>', 'more option codes to ask for after 120 and 43, e.g. 42,4,6,15,119')
    .option('--max-message-size <bytes>', 'send option 57 (e.g. 1500) so a server can send a long option 43 whole')
    .option('--dhcp-timeout <duration>', 'overall deadline, seconds or e.g. 800ms; the default holds 2 copies', String(DEFAULT_TIMEOUT_MS / 1000))
    // RFC 2131 backoff from the first copy: 2nd at 3-5 s, 3rd at 10-14 s, 4th at 25-31 s; a copy that
    // cannot be answered before the deadline is not sent.
    .option('--dhcp-tries <n>', 'most copies of the request; RFC 2131 backoff sends the 2nd at ~4 s, the 3rd at ~12 s, the 4th at ~28 s, and only copies that fit in --dhcp-timeout (3 tries need ~14 s, 4 need ~31 s)', String(DEFAULT_TRIES))
    .option('--listen-ms <ms>', 'after the first answer, listen this long for other servers ("deadline" = until --dhcp-timeout)', String(DEFAULT_LISTEN_MS));
}

/**
 * The exit code of `dhcp inform`, matching the bootstrap run's for the same condition: silence heard
 * from an ephemeral port proves nothing (this host could not test, 4, as the discover stage's
 * 'unknown' verdict); a usable, undisputed answer is 0; anything else is 1.
 */
export function informExitCode(result: Pick<InformResult, 'findings' | 'disagreements'>, usable: boolean): ExitCode {
  if (result.findings.some((finding) => finding.id === 'dhcp-unprivileged-port-silence')) return EXIT.local;
  return usable && result.disagreements.length === 0 ? EXIT.ok : EXIT.failed;
}

export function registerDhcpCommands(program: Command): Command {
  const dhcp = program
    .command('dhcp')
    .description('DHCPUtil re-created: ask for options 43/120, encode them, decode them');

  addInformOptions(
    dhcp
      .command('inform')
      .description('send a DHCPINFORM as a Lync phone does and show every server\'s answer (DHCPUtil -EmulateClient)'),
  )
    .option('--json', 'machine-readable result (format: docs/dhcp-inform-json.md)')
    .option('-v, --verbose', 'also list datagrams that were ignored, and why, and each answer\'s packet hex')
    .option('--debug', 'show stack traces of unexpected errors')
    .addHelpText(
      'after',
      `
Exit codes: 0 a usable answer, 1 no answer / a NAK / unusable or conflicting answers / the
--dhcp-server port refused (ICMP port unreachable, reported at once), 2 bad usage, 4 this host
cannot run the test (no privilege to bind UDP 68, or silence heard from an ephemeral --client-port,
which proves nothing). The bootstrap run exits the same way for the same DHCP condition.

Examples:
  sudo bootstrap-test dhcp inform
  sudo bootstrap-test dhcp inform --interface eth1 --json
  bootstrap-test dhcp inform --dhcp-server 127.0.0.1:6767 --client-port 0`,
    )
    .action(async (options: InformCliOptions & { json?: boolean; verbose?: boolean }) => {
      const settings = informSettingsFromOptions(options);
      const [{ chooseInformClient }, { runInform, informConfig }, { isUsable }, report] = await Promise.all([
        import('../dhcp/interfaces.js'),
        import('../dhcp/inform.js'),
        import('../dhcp/inform-analysis.js'),
        import('../report/dhcputil.js'),
      ]);
      const client = await chooseInformClient(settings);
      const abort = new AbortController();
      const onSignal = () => abort.abort(new BootstrapTestError('BT_DHCP_INFORM_INTERRUPTED', 'dhcp inform: interrupted'));
      process.once('SIGINT', onSignal);
      try {
        const result = await runInform(informConfig(settings, client), abort.signal);
        const text = options.json
          ? `${JSON.stringify(report.informResultToJson(result), null, 2)}\n`
          : report.formatInformReport(result, { verbose: options.verbose === true });
        process.stdout.write(text);
        process.exitCode = informExitCode(result, isUsable(result));
      } finally {
        process.off('SIGINT', onSignal);
      }
    });

  registerDhcpEncode(dhcp);
  registerDhcpDecode(dhcp);
  return dhcp;
}
