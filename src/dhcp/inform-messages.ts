// The two messages of the exchange: the DHCPINFORM a phone sends, and the test every arriving
// datagram must pass before it counts as an answer. Pure functions over bytes.

import { parseIpv4 } from '../net/ipv4.js';
import { optionData } from './options.js';
import { BOOTP_HEADER_LENGTH, BOOTP_MIN_LENGTH, DHCP_MESSAGE_TYPE, decodePacket, encodePacket, MAGIC_COOKIE, OPTIONS_START, parseMac } from './packet.js';
import type { DhcpPacket } from './types.js';

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

export function xidHex(xid: number): string {
  return `0x${xid.toString(16).padStart(8, '0')}`;
}
