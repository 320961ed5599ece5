// Read DHCP datagrams out of capture files (classic pcap and pcapng), so `dhcp decode --file` takes
// what tcpdump or Wireshark saved. Pure and bounds-checked: a damaged file ends in a clear error or a
// note about where reading stopped, never an out-of-range read.

import { formatHex } from './hex.js';
import { BootstrapTestError } from '../errors.js';

export class CaptureFormatError extends BootstrapTestError {
  constructor(message: string) {
    super('BT_CAPTURE_FORMAT', message);
  }
}

export const LINKTYPE = {
  /** BSD loopback (macOS lo0): a 4-byte address family in the capturing host's byte order. */
  null: 0,
  ethernet: 1,
  raw: 101,
  /** OpenBSD loopback: like null, but the family is always big-endian. */
  loop: 108,
  linuxSll: 113,
  ipv4: 228,
  linuxSll2: 276,
} as const;

const DHCP_PORTS = new Set([67, 68]);

export interface CapturedDatagram {
  /** 1-based frame number, as Wireshark counts. */
  frame: number;
  /** Capture time: whole seconds since the epoch and the nanoseconds within that second. */
  time: { seconds: number; nanoseconds: number };
  source: string;
  sourcePort: number;
  destination: string;
  destinationPort: number;
  /** The UDP payload (a DHCP message), possibly cut short by the capture's snap length. */
  payload: Uint8Array;
  /** True when the capture holds fewer payload bytes than the UDP length says. */
  truncated: boolean;
}

export interface CaptureSkips {
  /** Frames whose link type we cannot read. */
  unsupportedLink: number;
  /** Not IPv4 (ARP, IPv6, ...). */
  notIpv4: number;
  /** IPv4 but not UDP. */
  notUdp: number;
  /** IPv4 fragments, which we do not reassemble. */
  fragments: number;
  /** UDP on ports other than 67/68. */
  otherPorts: number;
  /** Headers cut short by the capture. */
  malformed: number;
}

export interface CaptureReadResult {
  format: 'pcap' | 'pcapng';
  linkTypes: number[];
  frames: number;
  datagrams: CapturedDatagram[];
  skipped: CaptureSkips;
  /** Where reading stopped early, if it did (a cut-off file). */
  notes: string[];
}

/** The file starts like a pcap or pcapng capture. */
export function isCapture(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const magic = readU32(bytes, 0, false);
  return (
    magic === 0xa1b2c3d4 || magic === 0xd4c3b2a1 || magic === 0xa1b23c4d || magic === 0x4d3cb2a1 || magic === 0x0a0d0d0a
  );
}

function readU16(bytes: Uint8Array, offset: number, little: boolean): number {
  const a = bytes[offset] ?? 0;
  const b = bytes[offset + 1] ?? 0;
  return little ? a | (b << 8) : (a << 8) | b;
}

function readU32(bytes: Uint8Array, offset: number, little: boolean): number {
  const a = bytes[offset] ?? 0;
  const b = bytes[offset + 1] ?? 0;
  const c = bytes[offset + 2] ?? 0;
  const d = bytes[offset + 3] ?? 0;
  return little ? (a | (b << 8) | (c << 16) | (d << 24)) >>> 0 : ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

function emptySkips(): CaptureSkips {
  return { unsupportedLink: 0, notIpv4: 0, notUdp: 0, fragments: 0, otherPorts: 0, malformed: 0 };
}

/** Read a capture and return the UDP datagrams on ports 67/68. Throws CaptureFormatError for a non-capture. */
export function readCapture(bytes: Uint8Array): CaptureReadResult {
  if (bytes.length < 4) throw new CaptureFormatError(`not a capture file: ${bytes.length} bytes`);
  if (readU32(bytes, 0, false) === 0x0a0d0d0a) return readPcapng(bytes);
  return readPcap(bytes);
}

function readPcap(bytes: Uint8Array): CaptureReadResult {
  const magic = readU32(bytes, 0, false);
  let little: boolean;
  let nano: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) {
    little = false;
    nano = magic === 0xa1b23c4d;
  } else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) {
    little = true;
    nano = magic === 0x4d3cb2a1;
  } else {
    throw new CaptureFormatError(`not a pcap or pcapng file (starts with ${formatHex(bytes.subarray(0, 4), { separator: ' ' })})`);
  }
  if (bytes.length < 24) throw new CaptureFormatError(`pcap file header cut short: ${bytes.length} of 24 bytes`);
  // The upper bits of this field say whether frames end with an FCS and how long it is (libpcap's
  // LT_FCS_* bits); the link type is the rest.
  const linkType = readU32(bytes, 20, little) & 0x03ffffff;
  const result: CaptureReadResult = { format: 'pcap', linkTypes: [linkType], frames: 0, datagrams: [], skipped: emptySkips(), notes: [] };
  let offset = 24;
  while (offset < bytes.length) {
    if (offset + 16 > bytes.length) {
      result.notes.push(`record header at byte ${offset} cut short; stopped there`);
      break;
    }
    const seconds = readU32(bytes, offset, little);
    const fraction = readU32(bytes, offset + 4, little);
    const capturedLength = readU32(bytes, offset + 8, little);
    const start = offset + 16;
    if (start + capturedLength > bytes.length) {
      result.notes.push(`record ${result.frames + 1} at byte ${offset} says ${capturedLength} bytes but the file ends first; stopped there`);
      break;
    }
    result.frames += 1;
    const time = { seconds, nanoseconds: nano ? fraction : fraction * 1000 };
    extractDatagram(bytes.subarray(start, start + capturedLength), linkType, result.frames, time, result);
    offset = start + capturedLength;
  }
  return result;
}

interface PcapngInterface {
  linkType: number;
  /** Timestamp units per second. */
  unitsPerSecond: bigint;
}

function readPcapng(bytes: Uint8Array): CaptureReadResult {
  const result: CaptureReadResult = { format: 'pcapng', linkTypes: [], frames: 0, datagrams: [], skipped: emptySkips(), notes: [] };
  let interfaces: PcapngInterface[] = [];
  let little = true;
  let offset = 0;
  let sawSection = false;
  while (offset < bytes.length) {
    if (offset + 12 > bytes.length) {
      result.notes.push(`block at byte ${offset} cut short; stopped there`);
      break;
    }
    const type = readU32(bytes, offset, little);
    if (readU32(bytes, offset, false) === 0x0a0d0d0a) {
      const orderMagic = readU32(bytes, offset + 8, true);
      if (orderMagic === 0x1a2b3c4d) little = true;
      else if (orderMagic === 0x4d3c2b1a) little = false;
      else throw new CaptureFormatError(`pcapng section header at byte ${offset} has an unknown byte-order magic`);
      interfaces = [];
      sawSection = true;
    } else if (!sawSection) {
      throw new CaptureFormatError('not a pcapng file: no section header block first');
    }
    const length = readU32(bytes, offset + 4, little);
    if (length < 12 || length % 4 !== 0 || offset + length > bytes.length) {
      result.notes.push(`block at byte ${offset} has an impossible length ${length}; stopped there`);
      break;
    }
    const body = bytes.subarray(offset + 8, offset + length - 4);
    if (type === 1) {
      interfaces.push(readInterface(body, little));
      const linkType = (interfaces[interfaces.length - 1] as PcapngInterface).linkType;
      if (!result.linkTypes.includes(linkType)) result.linkTypes.push(linkType);
    } else if (type === 6 && body.length >= 20) {
      const iface = interfaces[readU32(body, 0, little)];
      const high = BigInt(readU32(body, 4, little));
      const low = BigInt(readU32(body, 8, little));
      const capturedLength = readU32(body, 12, little);
      result.frames += 1;
      if (!iface || 20 + capturedLength > body.length) {
        result.skipped.malformed += 1;
      } else {
        extractDatagram(body.subarray(20, 20 + capturedLength), iface.linkType, result.frames, timeOf((high << 32n) | low, iface), result);
      }
    } else if (type === 2 && body.length >= 20) {
      // Obsolete Packet Block (older Wireshark files): a 16-bit interface id, a drop count, then as EPB.
      const iface = interfaces[readU16(body, 0, little)];
      const capturedLength = readU32(body, 12, little);
      result.frames += 1;
      if (!iface || 20 + capturedLength > body.length) {
        result.skipped.malformed += 1;
      } else {
        const units = (BigInt(readU32(body, 4, little)) << 32n) | BigInt(readU32(body, 8, little));
        extractDatagram(body.subarray(20, 20 + capturedLength), iface.linkType, result.frames, timeOf(units, iface), result);
      }
    } else if (type === 3 && body.length >= 4) {
      // Simple packet block: interface 0, no timestamp; its data fills the block (up to snap length).
      const iface = interfaces[0];
      const originalLength = readU32(body, 0, little);
      result.frames += 1;
      if (!iface) result.skipped.malformed += 1;
      else extractDatagram(body.subarray(4, 4 + Math.min(originalLength, body.length - 4)), iface.linkType, result.frames, { seconds: 0, nanoseconds: 0 }, result);
    } else if (type === 0x00000bad || type === 0x40000bad || type === 9) {
      // Wireshark numbers custom blocks and systemd journal entries as frames; count them so that
      // our frame numbers are the ones an administrator sees there.
      result.frames += 1;
    }
    offset += length;
  }
  return result;
}

function timeOf(units: bigint, iface: PcapngInterface): { seconds: number; nanoseconds: number } {
  return {
    seconds: Number(units / iface.unitsPerSecond),
    nanoseconds: Number(((units % iface.unitsPerSecond) * 1_000_000_000n) / iface.unitsPerSecond),
  };
}

function readInterface(body: Uint8Array, little: boolean): PcapngInterface {
  const linkType = readU16(body, 0, little);
  let unitsPerSecond = 1_000_000n;
  let position = 8;
  while (position + 4 <= body.length) {
    const code = readU16(body, position, little);
    const length = readU16(body, position + 2, little);
    if (code === 0) break;
    if (code === 9 && length >= 1 && position + 5 <= body.length) {
      const resolution = body[position + 4] as number;
      const exponent = BigInt(resolution & 0x7f);
      // Resolutions beyond 10^-18 / 2^-63 are not meaningful and would make the arithmetic silly.
      if (exponent <= 18n || (resolution & 0x80 && exponent <= 63n)) unitsPerSecond = resolution & 0x80 ? 2n ** exponent : 10n ** exponent;
    }
    position += 4 + Math.ceil(length / 4) * 4;
  }
  return { linkType, unitsPerSecond };
}

/** Find the IPv4 packet inside a frame, following the link type. Returns its offset or undefined. */
function ipv4Offset(frame: Uint8Array, linkType: number, skipped: CaptureSkips): number | undefined {
  let etherType: number;
  let offset: number;
  switch (linkType) {
    case LINKTYPE.ethernet:
      if (frame.length < 14) return malformed(skipped);
      etherType = readU16(frame, 12, false);
      offset = 14;
      break;
    case LINKTYPE.linuxSll:
      if (frame.length < 16) return malformed(skipped);
      etherType = readU16(frame, 14, false);
      offset = 16;
      break;
    case LINKTYPE.linuxSll2:
      if (frame.length < 20) return malformed(skipped);
      etherType = readU16(frame, 0, false);
      offset = 20;
      break;
    case LINKTYPE.null:
    case LINKTYPE.loop: {
      if (frame.length < 4) return malformed(skipped);
      // AF_INET is 2 everywhere; the other byte order of the same field reads as 0x02000000.
      const family = readU32(frame, 0, false);
      etherType = family === 2 || (linkType === LINKTYPE.null && family === 0x02000000) ? 0x0800 : 0;
      offset = 4;
      break;
    }
    case LINKTYPE.raw:
    case LINKTYPE.ipv4:
    case 12:
    case 14:
      etherType = ((frame[0] ?? 0) >> 4) === 4 ? 0x0800 : 0;
      offset = 0;
      break;
    default:
      skipped.unsupportedLink += 1;
      return undefined;
  }
  // 802.1Q, 802.1ad and the old QinQ tag: 4 bytes each, possibly stacked. A cooked (SLL) capture
  // keeps the tag in the frame when the kernel did not strip it.
  let tags = 0;
  while ((etherType === 0x8100 || etherType === 0x88a8 || etherType === 0x9100) && tags < 8) {
    if (frame.length < offset + 4) return malformed(skipped);
    etherType = readU16(frame, offset + 2, false);
    offset += 4;
    tags += 1;
  }
  if (etherType !== 0x0800) {
    skipped.notIpv4 += 1;
    return undefined;
  }
  return offset;
}

function malformed(skipped: CaptureSkips): undefined {
  skipped.malformed += 1;
  return undefined;
}

function extractDatagram(
  frame: Uint8Array,
  linkType: number,
  frameNumber: number,
  time: { seconds: number; nanoseconds: number },
  result: CaptureReadResult,
): void {
  const skipped = result.skipped;
  const ip = ipv4Offset(frame, linkType, skipped);
  if (ip === undefined) return;
  const version = (frame[ip] ?? 0) >> 4;
  const headerLength = ((frame[ip] ?? 0) & 0x0f) * 4;
  if (version !== 4) {
    skipped.notIpv4 += 1;
    return;
  }
  if (headerLength < 20 || frame.length < ip + headerLength) {
    skipped.malformed += 1;
    return;
  }
  const flagsFragment = readU16(frame, ip + 6, false);
  if ((flagsFragment & 0x2000) !== 0 || (flagsFragment & 0x1fff) !== 0) {
    skipped.fragments += 1;
    return;
  }
  if (frame[ip + 9] !== 17) {
    skipped.notUdp += 1;
    return;
  }
  const udp = ip + headerLength;
  if (frame.length < udp + 8) {
    skipped.malformed += 1;
    return;
  }
  const sourcePort = readU16(frame, udp, false);
  const destinationPort = readU16(frame, udp + 2, false);
  if (!DHCP_PORTS.has(sourcePort) && !DHCP_PORTS.has(destinationPort)) {
    skipped.otherPorts += 1;
    return;
  }
  const udpLength = readU16(frame, udp + 4, false);
  const totalLength = readU16(frame, ip + 2, false);
  // Trust the smallest of the lengths the headers claim; Ethernet padding must not become payload.
  let payloadEnd = udp + Math.max(8, udpLength);
  if (totalLength >= headerLength + 8) payloadEnd = Math.min(payloadEnd, ip + totalLength);
  const available = Math.min(payloadEnd, frame.length);
  const payload = frame.subarray(udp + 8, Math.max(udp + 8, available));
  result.datagrams.push({
    frame: frameNumber,
    time,
    source: ipText(frame, ip + 12),
    sourcePort,
    destination: ipText(frame, ip + 16),
    destinationPort,
    payload,
    truncated: available < payloadEnd,
  });
}

function ipText(frame: Uint8Array, offset: number): string {
  return `${frame[offset] ?? 0}.${frame[offset + 1] ?? 0}.${frame[offset + 2] ?? 0}.${frame[offset + 3] ?? 0}`;
}

// ----------------------------------------------------------------------------------------------
// Writing: tests and the INFORM client can save what they sent and received as a pcap that
// Wireshark opens (Ethernet frames with IPv4/UDP headers synthesised around each payload).

export interface DatagramToWrite {
  source: string;
  sourcePort: number;
  destination: string;
  destinationPort: number;
  payload: Uint8Array;
  time?: { seconds: number; nanoseconds: number };
  sourceMac?: Uint8Array;
  destinationMac?: Uint8Array;
}

function ipBytes(text: string): number[] {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((part) => !Number.isInteger(part) || part < 0 || part > 255)) throw new RangeError(`"${text}" is not an IPv4 address`);
  return parts;
}

/** One Ethernet II frame carrying IPv4/UDP around the payload (IP header checksum filled in). */
export function buildEthernetUdpFrame(datagram: DatagramToWrite): Uint8Array {
  const udpLength = 8 + datagram.payload.length;
  const frame = new Uint8Array(14 + 20 + udpLength);
  frame.set(datagram.destinationMac ?? Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 0);
  frame.set(datagram.sourceMac ?? Uint8Array.of(0x02, 0, 0, 0, 0, 0x01), 6);
  frame[12] = 0x08;
  frame[13] = 0x00;
  const ip = 14;
  frame[ip] = 0x45;
  frame[ip + 2] = ((20 + udpLength) >> 8) & 0xff;
  frame[ip + 3] = (20 + udpLength) & 0xff;
  frame[ip + 8] = 64;
  frame[ip + 9] = 17;
  frame.set(ipBytes(datagram.source), ip + 12);
  frame.set(ipBytes(datagram.destination), ip + 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += ((frame[ip + i] as number) << 8) | (frame[ip + i + 1] as number);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  const checksum = ~sum & 0xffff;
  frame[ip + 10] = checksum >> 8;
  frame[ip + 11] = checksum & 0xff;
  const udp = ip + 20;
  frame[udp] = datagram.sourcePort >> 8;
  frame[udp + 1] = datagram.sourcePort & 0xff;
  frame[udp + 2] = datagram.destinationPort >> 8;
  frame[udp + 3] = datagram.destinationPort & 0xff;
  frame[udp + 4] = udpLength >> 8;
  frame[udp + 5] = udpLength & 0xff;
  frame.set(datagram.payload, udp + 8);
  return frame;
}

/** A classic little-endian, microsecond pcap with Ethernet frames. */
export function writePcap(datagrams: readonly DatagramToWrite[]): Uint8Array {
  const frames = datagrams.map(buildEthernetUdpFrame);
  const out = new Uint8Array(24 + frames.reduce((total, frame) => total + 16 + frame.length, 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, 0xa1b2c3d4, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, 65535, true);
  view.setUint32(20, LINKTYPE.ethernet, true);
  let offset = 24;
  frames.forEach((frame, i) => {
    const time = datagrams[i]?.time ?? { seconds: 0, nanoseconds: 0 };
    view.setUint32(offset, time.seconds, true);
    view.setUint32(offset + 4, Math.floor(time.nanoseconds / 1000), true);
    view.setUint32(offset + 8, frame.length, true);
    view.setUint32(offset + 12, frame.length, true);
    out.set(frame, offset + 16);
    offset += 16 + frame.length;
  });
  return out;
}

/**
 * The DHCP datagram inside one frame (a Wireshark "copy as hex" of a whole frame), or undefined when
 * the frame is not IPv4/UDP on port 67/68 under that link type.
 */
export function datagramFromFrame(frame: Uint8Array, linkType: number): CapturedDatagram | undefined {
  const scratch: CaptureReadResult = { format: 'pcap', linkTypes: [linkType], frames: 1, datagrams: [], skipped: emptySkips(), notes: [] };
  extractDatagram(frame, linkType, 1, { seconds: 0, nanoseconds: 0 }, scratch);
  return scratch.datagrams[0];
}
