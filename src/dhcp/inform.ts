// The DHCPINFORM client: asks the segment's DHCP servers what a Lync phone asks (dhcp.md a) and
// collects every answer within the deadline, one report per responder. All settings come in
// through InformConfig; the only I/O is one UDP socket, always closed before runInform settles.

import { createSocket, type Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { LocalEnvironmentError } from '../errors.js';
import { parseIpv4 } from '../net/ipv4.js';
import { MESSAGE_TYPE_NAMES, optionData } from './options.js';
import { BOOTP_HEADER_LENGTH, BOOTP_MIN_LENGTH, DHCP_MESSAGE_TYPE, decodePacket, encodePacket, MAGIC_COOKIE, OPTIONS_START, parseMac } from './packet.js';
import type { DhcpPacket, Problem } from './types.js';

export const DEFAULT_VENDOR_CLASS = 'MS-UC-Client';
export const DEFAULT_HOST_NAME = 'bootstrap-test';
export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
export const LIMITED_BROADCAST = '255.255.255.255';
export const DEFAULT_TIMEOUT_MS = 6000;
export const DEFAULT_TRIES = 4;
/**
 * Replies with our xid and chaddr decoded in one run. Only those cost a full decode (every other
 * datagram is refused from its fixed header), and a segment has a handful of servers, so a flood of
 * forged answers costs bounded work and the deadline holds.
 */
export const MAX_DECODED_REPLIES = 64;
/** Ignored datagrams listed one by one (for --verbose and --trace); the rest are only counted. */
export const MAX_IGNORED_LISTED = 50;

/** RFC 2131 §4.1: first retransmission about 4 s later (±1 s), doubling, capped at 64 s. */
export const RFC2131_RETRANSMIT: RetransmitSchedule = { initialMs: 4000, jitterMs: 1000, maxMs: 64_000 };

export interface RetransmitSchedule {
  initialMs: number;
  jitterMs: number;
  maxMs: number;
}

export interface PacketEvent {
  direction: 'out' | 'in';
  bytes: Uint8Array;
  /** The peer: destination for 'out', source for 'in'. */
  address: string;
  port: number;
  /** Milliseconds since the first transmission (0 for it). */
  atMs: number;
}

export interface InformConfig {
  /** The interface the request speaks for: its address is ciaddr, its MAC chaddr. */
  client: { name: string; address: string; mac: string };
  /** Option 60. Default MS-UC-Client (exact case: servers compare it case-sensitively). */
  vendorClass?: string;
  /** Option 12. */
  hostName?: string;
  /** Asked for after 120 and 43 in option 55, e.g. [42, 4, 6, 15, 119]. */
  extraRequestedOptions?: number[];
  /** Option 57; omitted by default because the phone does not send it (dhcp.md a.6). */
  maxMessageSize?: number;
  /** Local UDP port; 68 by default, 0 for an ephemeral port. */
  clientPort?: number;
  /** Local address to bind; default 0.0.0.0 (receives unicast and broadcast replies alike). */
  bindAddress?: string;
  /** Unicast target; default the limited broadcast 255.255.255.255:67. */
  server?: { address: string; port?: number };
  /** Overall deadline in ms, from the first transmission. */
  timeoutMs?: number;
  /** Most transmissions of the one request (same xid). */
  tries?: number;
  /**
   * After the first answer, keep listening this long for other servers (bounded by the deadline).
   * Undefined: listen until the deadline, so every responder on the segment is heard.
   */
  listenMs?: number;
  retransmit?: RetransmitSchedule;
  /** Returns a number in [0, 1); drives the retransmission jitter (tests make it deterministic). */
  random?: () => number;
  /** Fixed transaction id (tests, reproducible traces); default random per run. */
  xid?: number;
  /** Sees every datagram sent and received (for --trace). */
  onPacket?: (event: PacketEvent) => void;
}

/**
 * What a person chooses about an INFORM (the `dhcp inform` flags, the pipeline's DHCP options),
 * checked; the interface it speaks for is chosen separately because that needs host reads.
 */
export interface InformSettings {
  interfaceName?: string;
  server?: { address: string; port: number };
  clientPort: number;
  vendorClass: string;
  hostName: string;
  extraRequestedOptions: number[];
  maxMessageSize?: number;
  timeoutMs: number;
  tries: number;
  listenMs?: number;
}

/** The runInform configuration for `settings`, speaking for `client`. */
export function informConfig(settings: InformSettings, client: InformConfig['client'], onPacket?: InformConfig['onPacket']): InformConfig {
  return {
    client,
    vendorClass: settings.vendorClass,
    hostName: settings.hostName,
    extraRequestedOptions: settings.extraRequestedOptions,
    clientPort: settings.clientPort,
    timeoutMs: settings.timeoutMs,
    tries: settings.tries,
    ...(settings.server ? { server: settings.server } : {}),
    ...(settings.maxMessageSize !== undefined ? { maxMessageSize: settings.maxMessageSize } : {}),
    ...(settings.listenMs !== undefined ? { listenMs: settings.listenMs } : {}),
    ...(onPacket ? { onPacket } : {}),
  };
}

/** A datagram that arrived but was not taken as an answer, with the reason (for --verbose). */
export interface IgnoredDatagram {
  from: string;
  atMs: number;
  length: number;
  reason: string;
}

export type ResponderKind = 'ack' | 'nak' | 'other';

export interface Responder {
  /** Option 54 when valid, else the IP source address (dhcp.md b.4). */
  server: string;
  serverIdentifier?: string;
  source: { address: string; port: number };
  /** Arrival in ms after the first transmission. */
  elapsedMs: number;
  /** How many copies had been sent when it arrived (1 = answered before any retransmission). */
  afterTries: number;
  kind: ResponderKind;
  messageType?: number;
  bytes: Uint8Array;
  packet: DhcpPacket;
  /** Built from option 43 sub-options 2..5. */
  certProvisioningUrl?: string;
  /** Option 120 names, most preferred first. */
  sipServers: string[];
  /** Option 120 encoding 1 addresses (not usable by a Lync phone, but shown). */
  sipServerAddresses: string[];
  /** The packet's problems (decoder), plus what the client concluded about this answer. */
  problems: Problem[];
  /** More copies of the same answer (a server answering each retransmission). */
  duplicates: number;
}

export interface Disagreement {
  /** 43 (the certificate-provisioning data) or 120 (the registrar names). */
  option: 43 | 120;
  values: Array<{ server: string; value: string }>;
}

/** Something the run concluded, keyed by a diagnosis id from diagnosis.md. */
export interface InformFinding {
  id: string;
  message: string;
}

export interface InformResult {
  sent: {
    xid: number;
    ciaddr: string;
    chaddr: string;
    interfaceName: string;
    vendorClass: string;
    /** The local port actually bound (the ephemeral number when 0 was asked for). */
    fromPort: number;
    to: { address: string; port: number };
    broadcast: boolean;
    /** Copies sent, and when (ms after the first). */
    tries: number;
    sentAtMs: number[];
    bytes: Uint8Array;
  };
  /** How long the client listened, in ms. */
  waitedMs: number;
  timeoutMs: number;
  /** In arrival order. */
  responders: Responder[];
  /** Index into responders of the answer the phone would use: the first ACK with an option 120 name. */
  chosen?: number;
  disagreements: Disagreement[];
  ignored: IgnoredDatagram[];
  /** Ignored datagrams beyond MAX_IGNORED_LISTED: counted, not listed. */
  ignoredNotListed: number;
  findings: InformFinding[];
}

/** What goes into the request packet. */
export interface InformRequest {
  xid: number;
  ciaddr: string;
  mac: string;
  hostName: string;
  vendorClass: string;
  /** Option 55, in order. */
  requestedOptions: number[];
  maxMessageSize?: number;
}

/**
 * The DHCPINFORM a phone sends (dhcp.md a.1, a.2): ciaddr set, flags 0, options 53, 61, 12, 60, 55,
 * [57], END, zero-padded to 300 bytes. Throws RangeError for a request that cannot be sent as one.
 */
export function buildInformPacket(request: InformRequest): Uint8Array {
  if (!parseIpv4(request.ciaddr) || request.ciaddr === '0.0.0.0') {
    throw new RangeError(`ciaddr "${request.ciaddr}" is not a usable IPv4 address; a DHCPINFORM must carry the client's own address`);
  }
  const mac = parseMac(request.mac);
  return encodePacket({
    header: { op: 1, xid: request.xid, flags: 0, ciaddr: request.ciaddr, chaddr: mac },
    options: [
      optionData(53, DHCP_MESSAGE_TYPE.inform),
      optionData(61, { type: 1, data: mac }),
      optionData(12, request.hostName),
      optionData(60, request.vendorClass),
      optionData(55, request.requestedOptions),
      ...(request.maxMessageSize !== undefined ? [optionData(57, request.maxMessageSize)] : []),
    ],
    minLength: BOOTP_MIN_LENGTH,
  });
}

/** Decodes our own request again, for reports that show what was sent. */
export function decodeInformRequest(bytes: Uint8Array): DhcpPacket {
  return decodePacket(bytes, { informReply: false });
}

export type ReplyVerdict = { kind: 'reply'; packet: DhcpPacket } | { kind: 'ignored'; reason: string };

/**
 * Whether a datagram can be an answer to our request, judged from the fixed header alone (dhcp.md
 * a.4): long enough, the magic cookie, a reply (op 2), our xid and our chaddr. Returns why not, or
 * undefined. Costs a few byte reads whatever the datagram's size.
 */
export function screenReply(bytes: Uint8Array, ours: { xid: number; mac: Uint8Array }): string | undefined {
  if (bytes.length < OPTIONS_START) return `not a DHCP message: truncated DHCP message, ${bytes.length} bytes (at least ${OPTIONS_START} needed)`;
  for (let i = 0; i < MAGIC_COOKIE.length; i++) {
    if (bytes[BOOTP_HEADER_LENGTH + i] !== MAGIC_COOKIE[i]) return 'not a DHCP message: no magic cookie 63825363 at offset 236';
  }
  if (bytes[0] !== 2) return `a request (op ${bytes[0]}), not a reply`;
  const xid = (((bytes[4] as number) << 24) | ((bytes[5] as number) << 16) | ((bytes[6] as number) << 8) | (bytes[7] as number)) >>> 0;
  if (xid !== ours.xid) return `xid ${xidHex(xid)} is not ours (${xidHex(ours.xid)})`;
  const hlen = bytes[2] as number;
  const chaddrMatches = hlen === ours.mac.length && ours.mac.every((byte, i) => bytes[28 + i] === byte);
  if (!chaddrMatches) {
    const shown = Array.from(bytes.subarray(28, 28 + Math.min(hlen, 16)), (byte) => byte.toString(16).padStart(2, '0')).join(':');
    return `our xid but chaddr ${shown || '(empty)'}, not ours: another client's answer`;
  }
  return undefined;
}

/**
 * Whether a datagram answers our request: it must pass `screenReply` and then decode without a
 * packet-level rejection. Any DHCP message type passes, so a NAK is reported as that server's answer.
 */
export function decodeReply(bytes: Uint8Array, ours: { xid: number; mac: Uint8Array }): ReplyVerdict {
  const refused = screenReply(bytes, ours);
  if (refused !== undefined) return { kind: 'ignored', reason: refused };
  const packet = decodePacket(bytes, { informReply: true });
  const rejected = packet.problems.find((problem) => problem.severity === 'reject');
  if (rejected) return { kind: 'ignored', reason: `our xid but unusable: ${rejected.message}` };
  return { kind: 'reply', packet };
}

/** A socket error that means this host cannot run the test; carries the errno for the diagnosis. */
export class InformSocketError extends LocalEnvironmentError {
  constructor(
    message: string,
    readonly code: string,
    readonly phase: 'bind' | 'send',
  ) {
    super(message);
    this.name = 'InformSocketError';
  }
}

/**
 * When each copy of the request goes out, in ms after the first: RFC 2131 backoff with jitter,
 * at most `tries` copies, none so late that an answer could not arrive before the deadline.
 */
export function planTransmissions(
  tries: number,
  timeoutMs: number,
  schedule: RetransmitSchedule,
  random: () => number,
): number[] {
  const replyMarginMs = Math.min(500, timeoutMs / 10);
  const times = [0];
  let at = 0;
  let interval = schedule.initialMs;
  while (times.length < tries) {
    const jitter = (random() * 2 - 1) * schedule.jitterMs;
    at += Math.max(1, Math.round(Math.min(interval, schedule.maxMs) + jitter));
    if (at > timeoutMs - replyMarginMs) break;
    times.push(at);
    interval *= 2;
  }
  return times;
}

/** The one-line explanation of a socket failure, naming the fix (diagnosis dhcp-local-socket-error). */
export function describeSocketError(
  error: NodeJS.ErrnoException,
  phase: 'bind' | 'send',
  context: { port: number; bindAddress: string; to: string },
): InformSocketError {
  const code = error.code ?? 'UNKNOWN';
  if (phase === 'bind' && (code === 'EACCES' || code === 'EPERM')) {
    return new InformSocketError(
      `cannot bind UDP port ${context.port} (${code}): a DHCP client port needs root or CAP_NET_BIND_SERVICE; ` +
        'run with sudo, or grant it once with "sudo setcap cap_net_bind_service=+ep $(which node)", ' +
        'or use --client-port 0 (an ephemeral port, which only dnsmasq-like servers answer)',
      code,
      phase,
    );
  }
  if (phase === 'bind' && code === 'EADDRINUSE') {
    return new InformSocketError(
      `cannot bind UDP port ${context.port} on ${context.bindAddress} (EADDRINUSE): another process holds it, ` +
        'usually a DHCP client daemon (dhclient, dhcpcd, systemd-networkd, NetworkManager); ' +
        `find it with "ss -lunp 'sport = :${context.port}'", run the test where none holds the port, ` +
        'or use --client-port 0 (only dnsmasq-like servers answer that)',
      code,
      phase,
    );
  }
  if (phase === 'send' && code === 'ENETUNREACH') {
    return new InformSocketError(
      `cannot send to ${context.to} (ENETUNREACH): no route names an outgoing interface for it; ` +
        'a host without a default route needs "ip route add 255.255.255.255/32 dev IFACE" for the broadcast, ' +
        'or name the server with --dhcp-server HOST',
      code,
      phase,
    );
  }
  if (phase === 'send' && (code === 'EACCES' || code === 'EPERM')) {
    return new InformSocketError(
      `cannot send to ${context.to} (${code}): broadcasting was refused (a firewall rule, or SO_BROADCAST denied); ` +
        'name the server with --dhcp-server HOST to unicast instead',
      code,
      phase,
    );
  }
  return new InformSocketError(
    `cannot ${phase === 'bind' ? `bind UDP port ${context.port}` : `send to ${context.to}`} (${code}): ${error.message}`,
    code,
    phase,
  );
}

export function xidHex(xid: number): string {
  return `0x${xid.toString(16).padStart(8, '0')}`;
}

function lowerNames(names: string[]): string {
  return names.map((name) => name.toLowerCase()).join(', ');
}

/** What each ACK says in option 43, reduced to something comparable across servers. */
function option43Value(responder: Responder): string {
  const msuc = responder.packet.msuc;
  if (responder.certProvisioningUrl) return responder.certProvisioningUrl;
  if (!msuc) return '(no option 43)';
  const known = msuc.subOptions
    .filter((sub) => sub.code >= 1 && sub.code <= 5)
    .map((sub) => `${sub.code}=${Buffer.from(sub.data).toString('latin1')}`)
    .sort();
  return known.length > 0 ? `(no usable URL: ${known.join(' ')})` : '(option 43 without sub-options 1-5)';
}

function option120Value(responder: Responder): string {
  if (responder.sipServers.length > 0) return lowerNames(responder.sipServers);
  if (responder.sipServerAddresses.length > 0) return responder.sipServerAddresses.join(', ');
  return '(no option 120)';
}

/** Responders whose ACKs differ in 43 or 120; NAKs and other replies do not take part. */
export function findDisagreements(responders: Responder[]): Disagreement[] {
  const acks = responders.filter((responder) => responder.kind === 'ack');
  if (acks.length < 2) return [];
  const disagreements: Disagreement[] = [];
  for (const [option, valueOf] of [
    [43, option43Value],
    [120, option120Value],
  ] as const) {
    const values = acks.map((responder) => ({ server: responder.server, value: valueOf(responder) }));
    if (new Set(values.map((entry) => entry.value)).size > 1) disagreements.push({ option, values });
  }
  return disagreements;
}

/** The index of the answer the phone would use: the first ACK that carries an option 120 name. */
export function choosePhoneAnswer(responders: Responder[]): number | undefined {
  const index = responders.findIndex((responder) => responder.kind === 'ack' && responder.sipServers.length > 0);
  return index >= 0 ? index : undefined;
}

/** A usable answer: the phone's choice also yields a certificate-provisioning URL. */
export function isUsable(result: InformResult): boolean {
  if (result.chosen === undefined) return false;
  return result.responders[result.chosen]?.certProvisioningUrl !== undefined;
}

function messageTypeName(type: number | undefined): string {
  return type === undefined ? 'no message type' : (MESSAGE_TYPE_NAMES[type] ?? `message type ${type}`);
}

function describeFindings(result: Omit<InformResult, 'findings'>): InformFinding[] {
  const findings: InformFinding[] = [];
  const { sent } = result;
  if (result.responders.length === 0) {
    const what =
      `no answer to the DHCPINFORM (xid ${xidHex(sent.xid)}, ciaddr ${sent.ciaddr}, from port ${sent.fromPort} ` +
      `to ${sent.to.address}:${sent.to.port}, ${sent.tries} ${sent.tries === 1 ? 'try' : 'tries'}) within ${result.waitedMs} ms`;
    if (sent.fromPort !== DHCP_CLIENT_PORT) {
      findings.push({
        id: 'dhcp-unprivileged-port-silence',
        message:
          `${what}; it was sent from port ${sent.fromPort}, not ${DHCP_CLIENT_PORT}: Kea and ISC dhcpd answer to ` +
          `port ${DHCP_CLIENT_PORT} whatever the source port, so this silence proves nothing; only dnsmasq-like ` +
          `servers answer at the source port. Run again bound to port ${DHCP_CLIENT_PORT} (root or CAP_NET_BIND_SERVICE)`,
      });
    } else {
      findings.push({ id: 'dhcp-voice-vlan-not-served', message: what });
    }
    return findings;
  }
  const acks = result.responders.filter((responder) => responder.kind === 'ack');
  if (acks.length > 1) {
    findings.push({
      id: 'dhcp-multiple-responders',
      message:
        result.disagreements.length > 0
          ? `${acks.length} DHCP servers answered and they disagree on option ${result.disagreements
              .map((d) => d.option)
              .join(' and ')}: each phone keeps whichever answer arrives first`
          : `${acks.length} DHCP servers answered (${acks.map((a) => a.server).join(', ')}); their options 43 and 120 agree`,
    });
  }
  for (const responder of result.responders) {
    if (responder.kind !== 'ack') {
      findings.push({
        id: 'dhcp-inform-ignored',
        message: `${responder.server} answered ${messageTypeName(responder.messageType)} instead of DHCPACK`,
      });
    }
  }
  const chosen = result.chosen !== undefined ? result.responders[result.chosen] : acks[0];
  if (chosen && chosen.kind === 'ack') {
    const msuc = chosen.packet.msuc;
    if (!msuc) {
      findings.push({
        id: 'dhcp-no-option-43',
        message: `${chosen.server} sent no option 43 for vendor class ${sent.vendorClass}`,
      });
    } else if (!msuc.subOptions.some((sub) => sub.code >= 1 && sub.code <= 5)) {
      findings.push({
        id: 'dhcp-option-43-truncated',
        message:
          `${chosen.server} sent option 43 without any of sub-options 1-5: the server may have run out of room; ` +
          'retry with --max-message-size 1500',
      });
    } else if (!chosen.certProvisioningUrl) {
      findings.push({
        id: 'dhcp-option-43-bad-values',
        message: `${chosen.server}: option 43 does not make a usable certificate-provisioning URL`,
      });
    }
    const option120 = chosen.packet.sipServers;
    if (chosen.sipServers.length === 0 && option120 && option120.addresses.length === 0) {
      const why = option120.problems.find((problem) => problem.severity === 'error') ?? option120.problems[0];
      findings.push({
        id: 'dhcp-option-120-malformed',
        message: `${chosen.server} sent an option 120 that yields no registrar name${why ? `: ${why.message}` : ''}`,
      });
    } else if (chosen.sipServers.length === 0) {
      findings.push({ id: 'dhcp-no-option-120', message: `${chosen.server} sent no usable option 120 name` });
    }
  }
  return findings;
}

interface RunState {
  socket?: Socket;
  /** Pending retransmissions; cancelled by the first answer. */
  retransmissions: Set<NodeJS.Timeout>;
  /** The deadline and the listen-window end. */
  timers: Set<NodeJS.Timeout>;
}

/**
 * Sends one DHCPINFORM (retransmitted with the same xid) and collects every reply until the
 * deadline, or until `listenMs` after the first answer. Resolves with the result even when nobody
 * answered; rejects with InformSocketError when the host cannot send or receive, or with the
 * signal's reason when aborted. The socket is closed and every timer cleared in all cases.
 */
export function runInform(config: InformConfig, signal?: AbortSignal): Promise<InformResult> {
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const random = config.random ?? Math.random;
  const xid = config.xid ?? randomInt(0, 0x1_0000_0000);
  const vendorClass = config.vendorClass ?? DEFAULT_VENDOR_CLASS;
  const broadcast = config.server === undefined;
  const to = {
    address: config.server?.address ?? LIMITED_BROADCAST,
    port: config.server?.port ?? DHCP_SERVER_PORT,
  };
  const bindAddress = config.bindAddress ?? '0.0.0.0';
  const requestedPort = config.clientPort ?? DHCP_CLIENT_PORT;
  const request: InformRequest = {
    xid,
    ciaddr: config.client.address,
    mac: config.client.mac,
    hostName: config.hostName ?? DEFAULT_HOST_NAME,
    vendorClass,
    requestedOptions: [120, 43, ...(config.extraRequestedOptions ?? []).filter((code) => code !== 120 && code !== 43)],
    ...(config.maxMessageSize !== undefined ? { maxMessageSize: config.maxMessageSize } : {}),
  };
  let bytes: Uint8Array;
  try {
    bytes = buildInformPacket(request);
  } catch (error) {
    return Promise.reject(error);
  }
  const plan = planTransmissions(config.tries ?? DEFAULT_TRIES, timeoutMs, config.retransmit ?? RFC2131_RETRANSMIT, random);

  return new Promise<InformResult>((resolve, reject) => {
    const state: RunState = { retransmissions: new Set(), timers: new Set() };
    const responders: Responder[] = [];
    const ignored: IgnoredDatagram[] = [];
    let ignoredNotListed = 0;
    const sentAtMs: number[] = [];
    let startedAt = 0;
    let bound = false;
    let fromPort = requestedPort;
    let settled = false;

    const elapsed = () => (startedAt === 0 ? 0 : Math.round(performance.now() - startedAt));
    const later = (set: Set<NodeJS.Timeout>, ms: number, action: () => void) => {
      const timer = setTimeout(() => {
        set.delete(timer);
        action();
      }, ms);
      set.add(timer);
    };
    const clearAll = (set: Set<NodeJS.Timeout>) => {
      for (const timer of set) clearTimeout(timer);
      set.clear();
    };
    const cleanup = () => {
      clearAll(state.retransmissions);
      clearAll(state.timers);
      signal?.removeEventListener('abort', onAbort);
      const socket = state.socket;
      state.socket = undefined;
      if (socket) {
        socket.removeAllListeners('message');
        try {
          socket.close();
        } catch {
          // Already closed after an error.
        }
      }
    };
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      cleanup();
      reject(error);
    };
    const finish = () => {
      if (settled) return;
      settled = true;
      const waitedMs = elapsed();
      cleanup();
      const chosen = choosePhoneAnswer(responders);
      const partial = {
        sent: {
          xid,
          ciaddr: config.client.address,
          chaddr: config.client.mac,
          interfaceName: config.client.name,
          vendorClass,
          fromPort,
          to,
          broadcast,
          tries: sentAtMs.length,
          sentAtMs,
          bytes,
        },
        waitedMs,
        timeoutMs,
        responders,
        ...(chosen !== undefined ? { chosen } : {}),
        disagreements: findDisagreements(responders),
        ignored,
        ignoredNotListed,
      };
      resolve({ ...partial, findings: describeFindings(partial) });
    };
    const tap = (event: PacketEvent) => {
      if (!config.onPacket) return;
      try {
        config.onPacket(event);
      } catch (error) {
        fail(error);
      }
    };
    function onAbort() {
      fail(signal?.reason ?? new Error('aborted'));
    }

    const ours = { xid, mac: parseMac(config.client.mac) };
    let decodedReplies = 0;
    const onMessage = (message: Buffer, remote: { address: string; port: number }) => {
      if (settled) return;
      const atMs = elapsed();
      // A flood can keep the loop busy past the deadline timer's turn; the deadline wins either way.
      if (atMs >= timeoutMs) {
        finish();
        return;
      }
      const datagram = new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
      const from = `${remote.address}:${remote.port}`;
      let verdict: ReplyVerdict;
      if (decodedReplies >= MAX_DECODED_REPLIES && screenReply(datagram, ours) === undefined) {
        verdict = { kind: 'ignored', reason: `more than ${MAX_DECODED_REPLIES} replies with our xid; the rest are not decoded` };
      } else {
        verdict = decodeReply(datagram, ours);
        if (verdict.kind === 'reply') decodedReplies += 1;
      }
      if (verdict.kind === 'ignored') {
        if (ignored.length >= MAX_IGNORED_LISTED) {
          ignoredNotListed += 1;
          return;
        }
        ignored.push({ from, atMs, length: datagram.length, reason: verdict.reason });
      }
      tap({ direction: 'in', bytes: datagram, address: remote.address, port: remote.port, atMs });
      if (settled || verdict.kind === 'ignored') return;
      const packet = verdict.packet;
      const serverIdentifier = packet.serverIdentifier;
      const server = serverIdentifier ?? remote.address;
      const previous = responders.find(
        (responder) => responder.server === server && responder.source.address === remote.address,
      );
      if (previous) {
        previous.duplicates += 1;
        return;
      }
      const messageType = packet.messageType;
      const kind: ResponderKind = messageType === 5 ? 'ack' : messageType === 6 ? 'nak' : 'other';
      const sipServers = packet.sipServers?.names ?? [];
      responders.push({
        server,
        ...(serverIdentifier !== undefined ? { serverIdentifier } : {}),
        source: { address: remote.address, port: remote.port },
        elapsedMs: atMs,
        afterTries: sentAtMs.length,
        kind,
        ...(messageType !== undefined ? { messageType } : {}),
        bytes: datagram,
        packet,
        ...(packet.msuc?.certProvisioningUrl !== undefined
          ? { certProvisioningUrl: packet.msuc.certProvisioningUrl }
          : {}),
        sipServers,
        sipServerAddresses: packet.sipServers?.addresses ?? [],
        problems: packet.problems,
        duplicates: 0,
      });
      if (responders.length === 1) {
        // No more copies once someone answered: every server hears the same request.
        clearAll(state.retransmissions);
        const remaining = timeoutMs - atMs;
        later(state.timers, Math.max(0, Math.min(config.listenMs ?? remaining, remaining)), finish);
      }
    };

    const transmit = () => {
      const socket = state.socket;
      if (!socket || settled) return;
      // Times count from the first copy, so it is sent at 0 ms by definition.
      if (sentAtMs.length === 0) startedAt = performance.now();
      const atMs = elapsed();
      sentAtMs.push(atMs);
      tap({ direction: 'out', bytes, address: to.address, port: to.port, atMs });
      if (settled) return;
      socket.send(bytes, to.port, to.address, (error) => {
        if (error) {
          fail(describeSocketError(error, 'send', { port: fromPort, bindAddress, to: `${to.address}:${to.port}` }));
        }
      });
    };

    if (signal?.aborted) {
      fail(signal.reason ?? new Error('aborted'));
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });

    const socket = createSocket({ type: 'udp4', reuseAddr: false });
    state.socket = socket;
    socket.on('message', onMessage);
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const phase = bound ? 'send' : 'bind';
      fail(describeSocketError(error, phase, { port: requestedPort, bindAddress, to: `${to.address}:${to.port}` }));
    });
    socket.bind({ port: requestedPort, address: bindAddress, exclusive: true }, () => {
      if (settled) return;
      bound = true;
      try {
        if (broadcast) socket.setBroadcast(true);
        fromPort = socket.address().port;
      } catch (error) {
        fail(describeSocketError(error as NodeJS.ErrnoException, 'send', { port: requestedPort, bindAddress, to: `${to.address}:${to.port}` }));
        return;
      }
      later(state.timers, timeoutMs, finish);
      for (const at of plan) {
        if (at === 0) transmit();
        else later(state.retransmissions, at, transmit);
      }
    });
  });
}

