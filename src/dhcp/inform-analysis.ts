// What the answers to one INFORM mean: each reply as a responder, which one a phone would use, where
// servers disagree, and the findings (diagnosis ids) of the run. Pure functions over decoded packets.

import { MESSAGE_TYPE_NAMES } from './options.js';
import { DHCP_CLIENT_PORT } from './inform-settings.js';
import { xidHex } from './inform-messages.js';
import type { DhcpPacket, Problem } from './types.js';

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
  /** The named server answered with ICMP port unreachable: nothing listens on that port. */
  refusedBy?: { address: string; port: number; atMs: number };
  findings: InformFinding[];
}

/** One reply as the report shows it: who answered, when, and what its options say. */
export function toResponder(
  packet: DhcpPacket,
  bytes: Uint8Array,
  arrival: { source: { address: string; port: number }; elapsedMs: number; afterTries: number },
): Responder {
  const { serverIdentifier, messageType } = packet;
  return {
    // dhcp.md b.4: option 54 names the server; without a valid one, the IP source address does.
    server: serverIdentifier ?? arrival.source.address,
    ...(serverIdentifier !== undefined ? { serverIdentifier } : {}),
    source: arrival.source,
    elapsedMs: arrival.elapsedMs,
    afterTries: arrival.afterTries,
    kind: messageType === 5 ? 'ack' : messageType === 6 ? 'nak' : 'other',
    ...(messageType !== undefined ? { messageType } : {}),
    bytes,
    packet,
    ...(packet.msuc?.certProvisioningUrl !== undefined ? { certProvisioningUrl: packet.msuc.certProvisioningUrl } : {}),
    sipServers: packet.sipServers?.names ?? [],
    sipServerAddresses: packet.sipServers?.addresses ?? [],
    problems: packet.problems,
    duplicates: 0,
  };
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

/** The run's conclusions, each keyed by a diagnosis id. */
export function describeFindings(result: Omit<InformResult, 'findings'>): InformFinding[] {
  const findings: InformFinding[] = [];
  const { sent } = result;
  if (result.responders.length === 0 && result.refusedBy) {
    const { address, port, atMs } = result.refusedBy;
    findings.push({
      id: 'dhcp-voice-vlan-not-served',
      message:
        `${address}:${port} refused the DHCPINFORM ${atMs} ms after the first copy (ICMP port unreachable): ` +
        'no DHCP server listens on that address and port; check that the server runs and the port is right',
    });
    return findings;
  }
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
