import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { CaptureFormatError, LINKTYPE, isCapture, readCapture, writePcap } from '../../src/dhcp/pcap.js';
import { decodePacket } from '../../src/dhcp/packet.js';
import { SCHERTZ_URL, concat, dnsmasqLikeAck, keaLikeAck } from './helpers.js';
import { ethernet, ipv4Udp, pcap, pcapngEnhanced, pcapngInterface, pcapngSection, pcapngSimple, sll, sll2 } from './capture-builders.js';

const reply = { source: '10.99.0.1', sourcePort: 67, destination: '10.99.0.2', destinationPort: 68, payload: keaLikeAck() };
const ip = ipv4Udp(reply);

describe('classic pcap', () => {
  for (const little of [true, false]) {
    for (const nano of [false, true]) {
      test(`${little ? 'little' : 'big'}-endian, ${nano ? 'nanosecond' : 'microsecond'} timestamps`, () => {
        const file = pcap(LINKTYPE.ethernet, [{ frame: ethernet(ip), seconds: 1700000000, fraction: nano ? 123456789 : 123456 }], { little, nano });
        expect(isCapture(file)).toBe(true);
        const result = readCapture(file);
        expect(result.format).toBe('pcap');
        expect(result.datagrams).toHaveLength(1);
        const d = result.datagrams[0]!;
        expect(d).toMatchObject({ frame: 1, source: '10.99.0.1', sourcePort: 67, destination: '10.99.0.2', destinationPort: 68, truncated: false });
        expect(d.time).toEqual({ seconds: 1700000000, nanoseconds: nano ? 123456789 : 123456000 });
        expect(Buffer.from(d.payload).equals(Buffer.from(keaLikeAck()))).toBe(true);
      });
    }
  }

  test('link types: 802.1Q and QinQ tags, Linux SLL, SLL2, raw IPv4', () => {
    const cases: [number, Uint8Array][] = [
      [LINKTYPE.ethernet, ethernet(ip, 1)],
      [LINKTYPE.ethernet, ethernet(ip, 2)],
      [LINKTYPE.linuxSll, sll(ip)],
      [LINKTYPE.linuxSll2, sll2(ip)],
      [LINKTYPE.raw, ip],
      [LINKTYPE.ipv4, ip],
    ];
    for (const [linkType, frame] of cases) {
      const result = readCapture(pcap(linkType, [{ frame, seconds: 1, fraction: 0 }], { little: true, nano: false }));
      expect(result.datagrams.map((d) => d.payload.length), `link ${linkType}`).toEqual([keaLikeAck().length]);
    }
  });

  test('fragments, non-UDP, other ports and non-IPv4 are counted, not returned; Ethernet padding is not payload', () => {
    const records = [
      ethernet(ipv4Udp(reply, { flagsFragment: 0x2000 })),
      ethernet(ipv4Udp(reply, { flagsFragment: 0x0010 })),
      ethernet(ipv4Udp(reply, { protocol: 6 })),
      ethernet(ipv4Udp({ ...reply, sourcePort: 53, destinationPort: 5353 })),
      Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x86, 0xdd, 0x60, 0, 0, 0),
      concat(ethernet(ip), new Uint8Array(6)),
    ].map((frame) => ({ frame, seconds: 0, fraction: 0 }));
    const result = readCapture(pcap(LINKTYPE.ethernet, records, { little: true, nano: false }));
    expect(result.frames).toBe(6);
    expect(result.skipped).toMatchObject({ fragments: 2, notUdp: 1, otherPorts: 1, notIpv4: 1 });
    expect(result.datagrams).toHaveLength(1);
    expect(result.datagrams[0]!.payload.length).toBe(keaLikeAck().length);
  });

  test('a capture cut short stops with a note; a frame cut short marks the payload truncated', () => {
    const file = pcap(LINKTYPE.ethernet, [{ frame: ethernet(ip), seconds: 0, fraction: 0 }, { frame: ethernet(ip), seconds: 0, fraction: 0 }], { little: true, nano: false });
    const cut = readCapture(file.subarray(0, file.length - 10));
    expect(cut.datagrams).toHaveLength(1);
    expect(cut.notes[0]).toMatch(/record 2 .* file ends first/);
    const short = readCapture(pcap(LINKTYPE.ethernet, [{ frame: ethernet(ip).subarray(0, 300), seconds: 0, fraction: 0 }], { little: true, nano: false }));
    expect(short.datagrams[0]?.truncated).toBe(true);
  });

  test('not a capture: clear error', () => {
    expect(isCapture(keaLikeAck())).toBe(false);
    expect(() => readCapture(keaLikeAck())).toThrow(CaptureFormatError);
    expect(() => readCapture(keaLikeAck())).toThrow(/not a pcap or pcapng file \(starts with 02 01 06 00\)/);
    expect(() => readCapture(Uint8Array.of(1))).toThrow(/not a capture file/);
  });
});

describe('pcapng', () => {
  for (const little of [true, false]) {
    test(`${little ? 'little' : 'big'}-endian section: IDB with if_tsresol, EPB, SPB, a second interface`, () => {
      const file = concat(
        pcapngSection(little),
        pcapngInterface(LINKTYPE.ethernet, little, 9),
        pcapngEnhanced(0, 1700000000123456789n, ethernet(ip), little),
        pcapngSimple(ethernet(ip), little),
        pcapngInterface(LINKTYPE.linuxSll2, little),
        pcapngEnhanced(1, 1700000000500000n, sll2(ip), little),
      );
      expect(isCapture(file)).toBe(true);
      const result = readCapture(file);
      expect(result.format).toBe('pcapng');
      expect(result.linkTypes).toEqual([LINKTYPE.ethernet, LINKTYPE.linuxSll2]);
      expect(result.datagrams.map((d) => d.frame)).toEqual([1, 2, 3]);
      expect(result.datagrams[0]!.time).toEqual({ seconds: 1700000000, nanoseconds: 123456789 });
      expect(result.datagrams[2]!.time).toEqual({ seconds: 1700000000, nanoseconds: 500000000 });
      for (const d of result.datagrams) expect(decodePacket(d.payload).msuc?.certProvisioningUrl).toBe(SCHERTZ_URL);
    });
  }

  test('a block with an impossible length stops reading with a note', () => {
    const file = concat(pcapngSection(true), pcapngInterface(LINKTYPE.ethernet, true), pcapngEnhanced(0, 0n, ethernet(ip), true));
    const broken = Uint8Array.from(file);
    broken.set([0xff, 0xff, 0, 0], file.length - (ethernet(ip).length + 32 + ((4 - (ethernet(ip).length % 4)) % 4)) + 4);
    const result = readCapture(broken);
    expect(result.datagrams).toHaveLength(0);
    expect(result.notes[0]).toMatch(/impossible length/);
  });
});

describe('fixtures/dhcp captures (generated; tshark reads them the same way)', () => {
  test('inform-kea.pcap: the INFORM and the Kea-like ACK', () => {
    const result = readCapture(readFileSync(new URL('../../fixtures/dhcp/inform-kea.pcap', import.meta.url)));
    expect(result.datagrams.map((d) => decodePacket(d.payload).messageType)).toEqual([8, 5]);
    expect(decodePacket(result.datagrams[1]!.payload).sipServers?.names).toEqual(['lync.schertz.local']);
  });

  test('dnsmasq-ack-vlan.pcapng: ARP skipped, VLAN-tagged and SLL copies of a dnsmasq-like ACK', () => {
    const result = readCapture(readFileSync(new URL('../../fixtures/dhcp/dnsmasq-ack-vlan.pcapng', import.meta.url)));
    expect(result.skipped.notIpv4).toBe(1);
    expect(result.datagrams).toHaveLength(2);
    for (const d of result.datagrams) {
      expect(Buffer.from(d.payload).equals(Buffer.from(dnsmasqLikeAck()))).toBe(true);
    }
  });

  test('writePcap output reads back', () => {
    const result = readCapture(writePcap([reply]));
    expect(result.datagrams[0]?.payload.length).toBe(keaLikeAck().length);
  });
});
