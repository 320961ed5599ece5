// SNTP (RFC 4330, RFC 5905 §7.3): the 48-byte request a phone sends, the reply's fields, the sanity
// checks of RFC 4330 §5, and offset/round trip (RFC 5905 §8). Times are milliseconds since the Unix
// epoch (a double keeps ~µs precision, far finer than any verdict the tool makes).

import { udpExchange, type UdpEndpoint } from '../net/udp-exchange.js';
import { BootstrapTestError } from '../errors.js';

export const SNTP_PACKET_LENGTH = 48;
export const NTP_PORT = 123;
/** Seconds from 1900-01-01 (NTP era 0) to 1970-01-01. */
export const NTP_UNIX_OFFSET_SECONDS = 2_208_988_800;
const TWO_POW_32 = 0x1_0000_0000;
const MODE_CLIENT = 3;
const MODE_SERVER = 4;
const LEAP_ALARM = 3;

export type LeapIndicator = 0 | 1 | 2 | 3;

export interface SntpPacket {
  leap: LeapIndicator;
  version: number;
  mode: number;
  stratum: number;
  /** log2 seconds, signed. */
  poll: number;
  precision: number;
  /** Seconds (16.16 fixed point decoded). */
  rootDelay: number;
  rootDispersion: number;
  /** Reference ID as 4 raw bytes in hex, and as text when it is printable ASCII (KoD code, GPS, LOCL). */
  referenceIdHex: string;
  referenceIdAscii?: string;
  referenceMs: number;
  originateMs: number;
  receiveMs: number;
  transmitMs: number;
  /** The originate timestamp's wire bytes: compared byte for byte with what we sent. */
  originateWire: Buffer;
  transmitIsZero: boolean;
}

export class SntpFormatError extends BootstrapTestError {
  constructor(message: string) {
    super('BT_SNTP_FORMAT', message);
  }
}

/** NTP 64-bit timestamp → Unix ms. RFC 4330 §3: a clear top bit means era 1 (2036-2104). Zero stays "not set". */
export function ntpTimestampToUnixMs(seconds: number, fraction: number): number {
  if (seconds === 0 && fraction === 0) return 0;
  const eraSeconds = seconds < 0x8000_0000 ? seconds + TWO_POW_32 : seconds;
  return (eraSeconds - NTP_UNIX_OFFSET_SECONDS + fraction / TWO_POW_32) * 1000;
}

/** Unix ms → NTP seconds/fraction, wrapping into era 1 after 2036 as the era rule expects. */
export function unixMsToNtpTimestamp(unixMs: number): { seconds: number; fraction: number } {
  const total = unixMs / 1000 + NTP_UNIX_OFFSET_SECONDS;
  const whole = Math.floor(total);
  const fraction = Math.min(TWO_POW_32 - 1, Math.round((total - whole) * TWO_POW_32));
  return { seconds: whole % TWO_POW_32, fraction };
}

/** The client request of RFC 4330 §5: LI 0, VN, mode 3, every field zero except Transmit. */
export function encodeSntpRequest(transmitMs: number, version: 3 | 4 = 4): Buffer {
  const packet = Buffer.alloc(SNTP_PACKET_LENGTH);
  packet[0] = (version << 3) | MODE_CLIENT;
  const { seconds, fraction } = unixMsToNtpTimestamp(transmitMs);
  packet.writeUInt32BE(seconds, 40);
  packet.writeUInt32BE(fraction, 44);
  return packet;
}

function readTimestamp(packet: Buffer, offset: number): number {
  return ntpTimestampToUnixMs(packet.readUInt32BE(offset), packet.readUInt32BE(offset + 4));
}

function printableAscii(bytes: Buffer): string | undefined {
  const text = bytes.toString('latin1').replace(/\0+$/, '');
  return text.length > 0 && /^[\x20-\x7e]+$/.test(text) ? text : undefined;
}

/** Decode any 48-byte (or longer: extension fields/MAC are ignored) NTP packet. */
export function decodeSntpPacket(packet: Buffer): SntpPacket {
  if (packet.length < SNTP_PACKET_LENGTH) {
    throw new SntpFormatError(`NTP packet is ${packet.length} bytes, shorter than the ${SNTP_PACKET_LENGTH}-byte header`);
  }
  const first = packet[0] as number;
  const referenceId = packet.subarray(12, 16);
  const ascii = printableAscii(referenceId);
  return {
    leap: (first >> 6) as LeapIndicator,
    version: (first >> 3) & 0x07,
    mode: first & 0x07,
    stratum: packet[1] as number,
    poll: packet.readInt8(2),
    precision: packet.readInt8(3),
    rootDelay: packet.readInt32BE(4) / 65536,
    rootDispersion: packet.readUInt32BE(8) / 65536,
    referenceIdHex: referenceId.toString('hex'),
    ...(ascii !== undefined ? { referenceIdAscii: ascii } : {}),
    referenceMs: readTimestamp(packet, 16),
    originateMs: readTimestamp(packet, 24),
    receiveMs: readTimestamp(packet, 32),
    transmitMs: readTimestamp(packet, 40),
    originateWire: Buffer.from(packet.subarray(24, 32)),
    transmitIsZero: packet.readUInt32BE(40) === 0 && packet.readUInt32BE(44) === 0,
  };
}

/** True for the reply to `request`: a server-mode packet echoing our Transmit as its Originate. */
export function answersRequest(request: Buffer, reply: Buffer): boolean {
  return (
    reply.length >= SNTP_PACKET_LENGTH &&
    ((reply[0] as number) & 0x07) === MODE_SERVER &&
    reply.subarray(24, 32).equals(request.subarray(40, 48))
  );
}

export type SntpVerdict =
  | { kind: 'usable' }
  /** RFC 5905 §7.4: stratum 0 with an ASCII code; RATE = slow down, DENY/RSTR = access refused. */
  | { kind: 'kiss-of-death'; code: string }
  /** LI 3 (alarm), stratum 0 without a KoD code, or stratum 16. */
  | { kind: 'unsynchronised'; reason: string }
  | { kind: 'invalid'; reason: string };

/** RFC 4330 §5 sanity checks on a reply already matched to the request. */
export function judgeSntpReply(reply: SntpPacket): SntpVerdict {
  if (reply.mode !== MODE_SERVER) return { kind: 'invalid', reason: `mode ${reply.mode}, not 4 (server)` };
  if (reply.stratum === 0 && reply.referenceIdAscii !== undefined) return { kind: 'kiss-of-death', code: reply.referenceIdAscii };
  if (reply.leap === LEAP_ALARM) return { kind: 'unsynchronised', reason: 'leap indicator 3 (clock not synchronised)' };
  if (reply.stratum === 0) return { kind: 'unsynchronised', reason: 'stratum 0 (unspecified) with no reference' };
  if (reply.stratum >= 16) return { kind: 'unsynchronised', reason: `stratum ${reply.stratum} (unsynchronised)` };
  if (reply.transmitIsZero) return { kind: 'invalid', reason: 'transmit timestamp is zero' };
  return { kind: 'usable' };
}

/** The four timestamps of one exchange: T1 client send, T2 server receive, T3 server send, T4 client receive. */
export interface ExchangeTimes {
  t1: number;
  t2: number;
  t3: number;
  t4: number;
}

/** θ = ((T2 − T1) + (T3 − T4)) / 2: how far the server's clock is ahead of ours (ms). */
export function clockOffsetMs({ t1, t2, t3, t4 }: ExchangeTimes): number {
  return (t2 - t1 + (t3 - t4)) / 2;
}

/** δ = (T4 − T1) − (T3 − T2): network round trip without the server's own processing time (ms). */
export function roundTripMs({ t1, t2, t3, t4 }: ExchangeTimes): number {
  return t4 - t1 - (t3 - t2);
}

export interface SntpResult {
  server: UdpEndpoint;
  packet: SntpPacket;
  verdict: SntpVerdict;
  offsetMs: number;
  roundTripMs: number;
  request: Buffer;
  reply: Buffer;
}

export interface SntpQueryOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  version?: 3 | 4;
  /** The local clock; injectable so tests can run with a skewed client. */
  now?: () => number;
}

/** One SNTP exchange with `server`; rejects with UdpNoReplyError/UdpLocalError, never retries. */
export async function querySntp(server: UdpEndpoint, options: SntpQueryOptions): Promise<SntpResult> {
  const now = options.now ?? Date.now;
  const t1 = now();
  const request = encodeSntpRequest(t1, options.version ?? 4);
  const { reply, receivedAtMs } = await udpExchange(
    server,
    request,
    { timeoutMs: options.timeoutMs, accept: (datagram) => answersRequest(request, datagram), ...(options.signal ? { signal: options.signal } : {}) },
    now,
  );
  const packet = decodeSntpPacket(reply);
  // T1 from the wire bytes we sent, so rounding in the encoder cannot masquerade as offset.
  const times = { t1: ntpTimestampToUnixMs(request.readUInt32BE(40), request.readUInt32BE(44)), t2: packet.receiveMs, t3: packet.transmitMs, t4: receivedAtMs };
  return {
    server,
    packet,
    verdict: judgeSntpReply(packet),
    offsetMs: clockOffsetMs(times),
    roundTripMs: roundTripMs(times),
    request,
    reply,
  };
}
