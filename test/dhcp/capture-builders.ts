// Capture files built byte by byte for the pcap/pcapng tests (and the fixtures under fixtures/dhcp/).
import { buildEthernetUdpFrame, type DatagramToWrite } from '../../src/dhcp/pcap.js';
import { concat } from './helpers.js';

export function u16(value: number, little: boolean): Uint8Array {
  const out = new Uint8Array(2);
  new DataView(out.buffer).setUint16(0, value, little);
  return out;
}

export function u32(value: number, little: boolean): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, little);
  return out;
}

/** IPv4 + UDP packet (no link header). */
export function ipv4Udp(d: DatagramToWrite, extra: { protocol?: number; flagsFragment?: number } = {}): Uint8Array {
  const frame = buildEthernetUdpFrame(d).subarray(14);
  const copy = Uint8Array.from(frame);
  if (extra.protocol !== undefined) copy[9] = extra.protocol;
  if (extra.flagsFragment !== undefined) {
    copy[6] = extra.flagsFragment >> 8;
    copy[7] = extra.flagsFragment & 0xff;
  }
  return copy;
}

export function ethernet(ip: Uint8Array, vlanTags = 0): Uint8Array {
  const tags: Uint8Array[] = [];
  for (let i = 0; i < vlanTags; i++) tags.push(Uint8Array.of(i === 0 && vlanTags > 1 ? 0x88 : 0x81, i === 0 && vlanTags > 1 ? 0xa8 : 0x00, 0x00, 100 + i));
  return concat(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0x99, 1), ...tags, Uint8Array.of(0x08, 0x00), ip);
}

export function sll(ip: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0x99, 1, 0, 0), Uint8Array.of(0x08, 0x00), ip);
}

export function sll2(ip: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(0x08, 0x00, 0, 0), u32(2, false), Uint8Array.of(0, 1, 4, 6, 2, 0, 0, 0, 0x99, 1, 0, 0), ip);
}

export interface Record {
  frame: Uint8Array;
  seconds: number;
  fraction: number;
}

export function pcap(linkType: number, records: Record[], options: { little: boolean; nano: boolean }): Uint8Array {
  const { little, nano } = options;
  const header = concat(u32(nano ? 0xa1b23c4d : 0xa1b2c3d4, little), u16(2, little), u16(4, little), u32(0, little), u32(0, little), u32(65535, little), u32(linkType, little));
  return concat(header, ...records.map((r) => concat(u32(r.seconds, little), u32(r.fraction, little), u32(r.frame.length, little), u32(r.frame.length, little), r.frame)));
}

function block(type: number, body: Uint8Array, little: boolean): Uint8Array {
  const padded = concat(body, new Uint8Array((4 - (body.length % 4)) % 4));
  const length = padded.length + 12;
  return concat(u32(type, little), u32(length, little), padded, u32(length, little));
}

export function pcapngSection(little: boolean): Uint8Array {
  return block(0x0a0d0d0a, concat(u32(0x1a2b3c4d, little), u16(1, little), u16(0, little), u32(0xffffffff, little), u32(0xffffffff, little)), little);
}

export function pcapngInterface(linkType: number, little: boolean, tsresol?: number): Uint8Array {
  const options = tsresol === undefined ? new Uint8Array(0) : concat(u16(9, little), u16(1, little), Uint8Array.of(tsresol, 0, 0, 0), u16(0, little), u16(0, little));
  return block(1, concat(u16(linkType, little), u16(0, little), u32(65535, little), options), little);
}

export function pcapngEnhanced(iface: number, units: bigint, frame: Uint8Array, little: boolean): Uint8Array {
  return block(6, concat(u32(iface, little), u32(Number(units >> 32n), little), u32(Number(units & 0xffffffffn), little), u32(frame.length, little), u32(frame.length, little), frame), little);
}

export function pcapngSimple(frame: Uint8Array, little: boolean): Uint8Array {
  return block(3, concat(u32(frame.length, little), frame), little);
}
