// The lab's NTP server: answers SNTP client requests (RFC 4330 §5) from the lab's clock, with the
// faults a phone meets in the field: a server that is not synchronised (LI 3, stratum 0, as an
// unsynchronised chronyd answers), a server whose clock is far off, and one that never answers.

import { SNTP_PACKET_LENGTH, unixMsToNtpTimestamp } from '../time/sntp.js';
import { startUdpResponder, type UdpResponder } from './udp-responder.js';

export type SntpLabFault = { kind: 'unsynchronised' } | { kind: 'offset'; offsetMs: number } | { kind: 'silent' };

const LAB_STRATUM = 3;
/** 2^-20 s, a typical PC clock precision. */
const LAB_PRECISION = -20;
/** Reference id of a stratum-2+ server: the IPv4 address of its upstream (127.127.1.1 = local clock). */
const LAB_REFERENCE_ID = 0x7f7f0101;

function writeTimestamp(packet: Buffer, offset: number, unixMs: number): void {
  const { seconds, fraction } = unixMsToNtpTimestamp(unixMs);
  packet.writeUInt32BE(seconds, offset);
  packet.writeUInt32BE(fraction, offset + 4);
}

/** The reply to one datagram, or undefined when it is not an SNTP client request (or the fault is silence). */
export function sntpReply(request: Buffer, nowMs: number, fault: SntpLabFault | undefined): Buffer | undefined {
  if (request.length < SNTP_PACKET_LENGTH || ((request[0] as number) & 0x07) !== 3 || fault?.kind === 'silent') return undefined;
  const version = ((request[0] as number) >> 3) & 0x07;
  const reply = Buffer.alloc(SNTP_PACKET_LENGTH);
  const serverNow = nowMs + (fault?.kind === 'offset' ? fault.offsetMs : 0);
  reply.writeInt8(LAB_PRECISION, 3);
  request.copy(reply, 24, 40, 48); // Originate = the client's Transmit
  if (fault?.kind === 'unsynchronised') {
    reply[0] = (3 << 6) | (version << 3) | 4;
    reply.writeUInt32BE(0x10000, 4); // root delay and dispersion 1 s, as chrony sends them
    reply.writeUInt32BE(0x10000, 8);
  } else {
    reply[0] = (version << 3) | 4;
    reply[1] = LAB_STRATUM;
    reply.writeUInt32BE(LAB_REFERENCE_ID, 12);
    writeTimestamp(reply, 16, serverNow - 64_000);
  }
  writeTimestamp(reply, 32, serverNow);
  writeTimestamp(reply, 40, serverNow);
  return reply;
}

export interface SntpResponderOptions {
  host: string;
  port: number;
  currentFault: () => SntpLabFault | undefined;
  now?: () => number;
}

export function startSntpResponder(options: SntpResponderOptions): Promise<UdpResponder> {
  const now = options.now ?? Date.now;
  return startUdpResponder(options.host, options.port, (request) => sntpReply(request, now(), options.currentFault()));
}
