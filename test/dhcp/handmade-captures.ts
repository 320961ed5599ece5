// Capture files no server in our namespaces can produce, built byte by byte: Windows DHCP's layouts
// (option 250 continuation, NAP sub-option 220), odd-but-legal option layouts, and capture
// containers (pcapng with several interfaces and sections, the obsolete packet block, 802.1Q/QinQ
// tags, FCS trailers, Linux SLL/SLL2, IP options, BSD loopback). The bytes are written to
// fixtures/dhcp/captures/ by `RECORD_DHCP_CAPTURES=1 npx vitest run test/dhcp/captures.test.ts`.

import { encodeSubOptions, msUcSubOptions, type EncodedSubOption } from '../../src/dhcp/msuc.js';
import { encodeSipServers } from '../../src/dhcp/option120.js';
import { optionData } from '../../src/dhcp/options.js';
import { encodePacket } from '../../src/dhcp/packet.js';
import { LINKTYPE, type DatagramToWrite } from '../../src/dhcp/pcap.js';
import { LONG_SITE, SECOND_POOL, SITE } from './capture-sites.js';
import { ipv4Udp, pcap, pcapngEnhanced, pcapngInterface, pcapngSection, sll, sll2, u16, u32 } from './capture-builders.js';
import { ascii, bytes, concat, tlv } from './helpers.js';

const XID = 0x5a17c0de;
const CLIENT = { ciaddr: '10.99.0.2', chaddr: '02:00:00:00:99:02' };
const NAP: EncodedSubOption = { code: 220, data: ascii('NAP') };

function subOptions(site: { webServer: string; port: string; path?: string }): EncodedSubOption[] {
  return msUcSubOptions({ webServerFqdn: site.webServer, webServerPort: site.port, ...(site.path ? { certProvRelPath: site.path } : {}) });
}

function inOrder(list: EncodedSubOption[], codes: number[]): EncodedSubOption[] {
  return codes.map((code) => list.find((sub) => sub.code === code) as EncodedSubOption);
}

/** The phone's INFORM, as our client sends it. */
export function informRequest(): Uint8Array {
  return encodePacket({
    header: { op: 1, xid: XID, ...CLIENT },
    options: [
      optionData(53, 8),
      { code: 61, data: bytes(1, 2, 0, 0, 0, 0x99, 2) },
      optionData(12, 'phone-7501'),
      optionData(60, 'MS-UC-Client'),
      optionData(55, [120, 43]),
    ],
  });
}

/**
 * Windows with NAP and a value over 255 bytes: option 43 carries 255 bytes and the rest follows in
 * option 250 [MS-DHCPE 2.2.9]; the sub-options come in an order no other server uses, NAP first.
 */
export function windowsLongNapAck(): Uint8Array {
  const list = inOrder([...subOptions(LONG_SITE), NAP], [220, 3, 1, 5, 2, 4]);
  return encodePacket({
    header: { op: 2, xid: XID, ...CLIENT },
    longOptions: 'windows-250',
    options: [
      optionData(53, 5),
      optionData(54, '10.99.0.1'),
      { code: 120, data: encodeSipServers({ names: [LONG_SITE.sipServer] }) },
      { code: 43, data: encodeSubOptions(list) },
    ],
  });
}

/**
 * Windows with NAP appended after 1..5 (its documented layout), plus a genuine site-specific option
 * 250 after a short option: it must stay option 250, not be glued onto its neighbour.
 */
export function windowsNapWithOwn250Ack(): Uint8Array {
  return encodePacket({
    header: { op: 2, xid: XID, ...CLIENT },
    options: [
      optionData(53, 5),
      optionData(54, '10.99.0.1'),
      optionData(15, 'site-a.test'),
      { code: 250, data: ascii('site-specific value') },
      { code: 43, data: encodeSubOptions([...subOptions(SITE), NAP]) },
      { code: 120, data: encodeSipServers({ names: [SITE.sipServer, SECOND_POOL] }) },
    ],
  });
}

/**
 * Legal but unusual everywhere: overload 3 with option 43 split across options, file and sname (in
 * that order); PAD runs between options and between sub-options; an END inside option 43 followed by
 * zero padding; option 120 split inside a label with the second name compressed into the first
 * instance; bytes after END.
 */
export function oddLayoutAck(): Uint8Array {
  const subs = encodeSubOptions(inOrder(subOptions(SITE), [4, 2, 5, 1, 3]));
  // PAD between sub-options, END, then zeros: still one clean list.
  const firstEnd = 2 + (subs[1] as number);
  const value43 = concat(subs.subarray(0, firstEnd), bytes(0, 0), subs.subarray(firstEnd), bytes(255, 0, 0));
  const value120 = encodeSipServers({ names: [SITE.sipServer, SECOND_POOL] });
  const file43 = value43.subarray(20, 20 + 100);
  const sname43 = value43.subarray(120);
  const fields = encodePacket({
    header: { op: 2, xid: XID, ...CLIENT },
    options: [optionData(53, 5)],
    fileOptions: [{ code: 43, data: file43 }],
    snameOptions: [{ code: 43, data: sname43 }],
    minLength: 0,
  }).subarray(0, 240);
  const area = concat(
    tlv(53, bytes(5)),
    bytes(0, 0, 0),
    tlv(52, bytes(3)),
    tlv(54, bytes(10, 99, 0, 1)),
    tlv(43, value43.subarray(0, 20)),
    bytes(0),
    tlv(120, value120.subarray(0, 9)),
    tlv(120, value120.subarray(9)),
    bytes(255),
    ascii('trailing bytes after END are ignored'),
  );
  return concat(fields, area);
}

const SERVER_MAC = bytes(0x00, 0x15, 0x5d, 0x01, 0x02, 0x03);
const CLIENT_MAC = bytes(2, 0, 0, 0, 0x99, 2);

function datagram(payload: Uint8Array, fromServer: boolean): DatagramToWrite {
  return fromServer
    ? { source: '10.99.0.1', sourcePort: 67, destination: '10.99.0.2', destinationPort: 68, payload }
    : { source: '10.99.0.2', sourcePort: 68, destination: '255.255.255.255', destinationPort: 67, payload };
}

/** IPv4 with a Router Alert option (IHL 6); the checksum is recomputed. */
function ipv4WithOptions(d: DatagramToWrite): Uint8Array {
  const plain = ipv4Udp(d);
  const out = concat(plain.subarray(0, 20), bytes(0x94, 0x04, 0, 0), plain.subarray(20));
  out[0] = 0x46;
  out[2] = (out.length >> 8) & 0xff;
  out[3] = out.length & 0xff;
  out[10] = 0;
  out[11] = 0;
  let sum = 0;
  for (let i = 0; i < 24; i += 2) sum += ((out[i] as number) << 8) | (out[i + 1] as number);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  out[10] = (~sum >> 8) & 0xff;
  out[11] = ~sum & 0xff;
  return out;
}

function ethernetFrame(ip: Uint8Array, fromServer: boolean, tags: number[] = [], fcs = false): Uint8Array {
  const destination = fromServer ? CLIENT_MAC : bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
  const source = fromServer ? SERVER_MAC : CLIENT_MAC;
  const tagBytes = tags.map((tpid, i) => concat(u16(tpid, false), u16(100 + i, false)));
  const frame = concat(destination, source, ...tagBytes, bytes(0x08, 0x00), ip);
  // A capture taken with the FCS kept ends every frame with 4 CRC bytes (their value is not checked).
  return fcs ? concat(frame, bytes(0xde, 0xad, 0xbe, 0xef)) : frame;
}

function pcapngBlock(type: number, body: Uint8Array, little: boolean): Uint8Array {
  const padded = concat(body, new Uint8Array((4 - (body.length % 4)) % 4));
  return concat(u32(type, little), u32(padded.length + 12, little), padded, u32(padded.length + 12, little));
}

/** Obsolete Packet Block (type 2): 16-bit interface id and drop count, then as an EPB. */
function pcapngPacketBlock(iface: number, units: bigint, frame: Uint8Array, little: boolean): Uint8Array {
  return pcapngBlock(
    2,
    concat(u16(iface, little), u16(0, little), u32(Number(units >> 32n), little), u32(Number(units & 0xffffffffn), little), u32(frame.length, little), u32(frame.length, little), frame),
    little,
  );
}

const T0 = 1_763_900_000n;

/**
 * Two sections. The first (little-endian) has three interfaces: Ethernet with 802.1Q (µs), Linux
 * SLL2 (ns), raw IPv4 (µs), plus a name-resolution block, an interface-statistics block and a custom
 * block to skip. The second (big-endian) has a Linux SLL interface whose frames keep their VLAN tag
 * and uses the obsolete packet block.
 */
export function windowsMultiInterfacePcapng(): Uint8Array {
  const le = true;
  const nrb = pcapngBlock(4, concat(u16(1, le), u16(16, le), bytes(10, 99, 0, 1), ascii('dhcp01.test'), bytes(0), u16(0, le), u16(0, le)), le);
  const isb = pcapngBlock(5, concat(u32(0, le), u32(0, le), u32(0, le), u16(0, le), u16(0, le)), le);
  const custom = pcapngBlock(0x00000bad, concat(u32(32473, le), ascii('opaque')), le);
  const first = concat(
    pcapngSection(le),
    pcapngInterface(LINKTYPE.ethernet, le),
    pcapngInterface(LINKTYPE.linuxSll2, le, 9),
    nrb,
    pcapngInterface(LINKTYPE.raw, le),
    pcapngEnhanced(0, T0 * 1_000_000n, ethernetFrame(ipv4Udp(datagram(informRequest(), false)), false, [0x8100]), le),
    pcapngEnhanced(0, T0 * 1_000_000n + 900n, ethernetFrame(ipv4Udp(datagram(windowsLongNapAck(), true)), true, [0x8100]), le),
    custom,
    pcapngEnhanced(1, T0 * 1_000_000_000n + 1_500_000n, sll2(ipv4Udp(datagram(windowsNapWithOwn250Ack(), true))), le),
    pcapngEnhanced(2, T0 * 1_000_000n + 2000n, ipv4WithOptions(datagram(oddLayoutAck(), true)), le),
    isb,
  );
  const be = false;
  const vlanSll = (ip: Uint8Array) => {
    const frame = sll(concat(bytes(0, 100, 0x08, 0x00), ip));
    frame[14] = 0x81;
    frame[15] = 0x00;
    return frame;
  };
  const second = concat(
    pcapngSection(be),
    pcapngInterface(LINKTYPE.linuxSll, be),
    pcapngPacketBlock(0, T0 * 1_000_000n + 3000n, vlanSll(ipv4Udp(datagram(windowsLongNapAck(), true))), be),
  );
  return concat(first, second);
}

/** Classic pcap, big-endian with nanosecond timestamps: QinQ-tagged Ethernet frames with the FCS kept (header says 2 words). */
export function windowsQinqFcsPcap(): Uint8Array {
  const frames = [
    ethernetFrame(ipv4Udp(datagram(informRequest(), false)), false, [0x88a8, 0x8100], true),
    ethernetFrame(ipv4Udp(datagram(windowsLongNapAck(), true)), true, [0x88a8, 0x8100], true),
  ];
  return pcap(LINKTYPE.ethernet | 0x24000000, frames.map((frame, i) => ({ frame, seconds: Number(T0), fraction: 1000 * i })), { little: false, nano: true });
}

/** macOS lo0 (DLT_NULL, host byte order): a lab responder answering on loopback. */
export function loopbackNullPcap(): Uint8Array {
  const loopback = (payload: Uint8Array, fromServer: boolean): Uint8Array =>
    concat(
      u32(2, true),
      ipv4Udp({
        source: '127.0.0.1',
        sourcePort: fromServer ? 6767 : 55_000,
        destination: '127.0.0.1',
        destinationPort: fromServer ? 55_000 : 6767,
        payload,
      }),
    );
  // The request went to a lab responder's own port and is not DHCP traffic to the reader; the ACK is.
  const ack = concat(
    u32(2, true),
    ipv4Udp({ source: '127.0.0.1', sourcePort: 67, destination: '127.0.0.1', destinationPort: 68, payload: windowsNapWithOwn250Ack() }),
  );
  return pcap(LINKTYPE.null, [loopback(informRequest(), false), ack].map((frame) => ({ frame, seconds: Number(T0), fraction: 0 })), { little: true, nano: false });
}

export const HANDMADE_CAPTURES: Record<string, () => Uint8Array> = {
  'windows-multi-interface.pcapng': windowsMultiInterfacePcapng,
  'windows-qinq-fcs.pcap': windowsQinqFcsPcap,
  'macos-loopback-null.pcap': loopbackNullPcap,
};
