import { describe, expect, test } from 'vitest';
import { decodePacket, encodePacket, packetEncodingLength, packetToJSON } from '../../src/dhcp/packet.js';
import { optionData, describeOption } from '../../src/dhcp/options.js';
import { encodeSubOptions } from '../../src/dhcp/msuc.js';
import { encodeSipServers } from '../../src/dhcp/option120.js';
import type { Problem } from '../../src/dhcp/types.js';
import { ACK_HEADER, OPTION_120_SCHERTZ, SCHERTZ_URL, ackWith, ascii, bytes, concat, dnsmasqLikeAck, keaLikeAck, schertzSubOptions } from './helpers.js';

const codes = (problems: Problem[]) => problems.map((p) => `${p.severity}:${p.code}`);

function withBytes(packet: Uint8Array, at: number, ...values: number[]): Uint8Array {
  const copy = Uint8Array.from(packet);
  copy.set(values, at);
  return copy;
}

describe('encodePacket', () => {
  test('an INFORM like a phone sends: 284 bytes before padding, padded to 300 with zeros after END', () => {
    const input = {
      header: { xid: 0x01020304, ciaddr: '10.99.0.2', chaddr: '02:00:00:00:99:02' },
      options: [
        optionData(53, 8),
        optionData(61, { type: 1, data: bytes(2, 0, 0, 0, 0x99, 2) }),
        optionData(12, 'LYNCPHONE01'),
        optionData(60, 'MS-UC-Client'),
        optionData(55, [120, 43]),
      ],
    };
    expect(packetEncodingLength({ ...input, minLength: 0 })).toBe(284);
    const packet = encodePacket(input);
    expect(packet.length).toBe(300);
    expect(packetEncodingLength(input)).toBe(300);
    expect(packet[283]).toBe(255);
    expect(packet.subarray(284).every((b) => b === 0)).toBe(true);
    expect(Array.from(packet.subarray(240, 243))).toEqual([53, 1, 8]);
    const decoded = decodePacket(packet);
    expect(decoded.header).toMatchObject({ op: 1, htype: 1, hlen: 6, xid: 0x01020304, ciaddr: '10.99.0.2', chaddr: '02:00:00:00:99:02' });
    expect(decoded.messageType).toBe(8);
    expect(decoded.vendorClass).toBe('MS-UC-Client');
    expect(describeOption(55, decoded.options.get(55)!.data).value).toEqual([120, 43]);
    expect(decoded.problems).toEqual([]);
  });

  test('a value over 255 bytes is split into consecutive instances (RFC 3396) and joins back', () => {
    const long = encodeSubOptions([...schertzSubOptions(), { code: 3, data: ascii('x'.repeat(200)) }]);
    const packet = ackWith([{ code: 43, data: long }]);
    const decoded = decodePacket(packet);
    const option = decoded.options.get(43)!;
    expect(option.instances.map((i) => i.data.length)).toEqual([255, long.length - 255]);
    expect(Array.from(option.data)).toEqual(Array.from(long));
  });

  test('windows-250 mode carries the rest in option 250, which the decoder joins back', () => {
    const long = new Uint8Array(600).map((_, i) => i & 0x7f);
    const decoded = decodePacket(ackWith([{ code: 43, data: long }], { longOptions: 'windows-250' }));
    expect(decoded.instances.map((i) => i.code)).toEqual([53, 43, 250, 250]);
    expect(Array.from(decoded.options.get(43)!.data)).toEqual(Array.from(long));
    expect(decoded.options.has(250)).toBe(false);
  });

  test('round trip: Kea-like and dnsmasq-like ACKs re-encode to the same bytes from their instances', () => {
    for (const original of [keaLikeAck(), dnsmasqLikeAck()]) {
      const decoded = decodePacket(original);
      const again = encodePacket({
        header: { ...decoded.header, sname: undefined, file: undefined },
        options: decoded.instances.map((i) => ({ code: i.code, data: i.data })),
        minLength: 0,
      });
      expect(Buffer.from(again).toString('hex')).toBe(Buffer.from(original).toString('hex'));
    }
  });

  test('round trip: typed values survive encode -> decode for every codec', () => {
    const cases: [number, unknown][] = [
      [1, '255.255.255.0'], [3, ['10.0.0.1', '10.0.0.2']], [4, ['10.0.0.3']], [6, ['10.0.0.53']], [12, 'LYNCPHONE01'],
      [15, 'schertz.local'], [42, ['10.0.0.123']], [52, 3], [53, 5], [54, '10.99.0.1'], [55, [120, 43, 1]], [57, 1500],
      [60, 'MS-UC-Client'], [119, ['schertz.local', 'lab.schertz.local']], [250, bytes(1, 2, 3)],
    ];
    for (const [code, value] of cases) {
      const { data } = optionData(code as never, value as never);
      const described = describeOption(code, data);
      // Named numbers (52, 53) come back with their name; raw bytes (250) as hex.
      const named: Record<number, unknown> = { 52: { value: 3, name: 'file and sname' }, 53: { value: 5, name: 'DHCPACK' } };
      const expected = value instanceof Uint8Array ? Buffer.from(value).toString('hex') : code in named ? named[code] : value;
      expect(described.value, `option ${code}`).toEqual(expected);
      expect(described.problems).toEqual([]);
    }
  });
});

describe('c.1 packet and header', () => {
  test('shorter than 240 bytes: reject with the byte count, no out-of-range read', () => {
    const decoded = decodePacket(keaLikeAck().subarray(0, 239));
    expect(decoded.problems[0]).toMatchObject({ severity: 'reject', code: 'truncated', message: 'truncated DHCP message, 239 bytes (at least 240 needed)' });
    expect(decodePacket(new Uint8Array(0)).problems[0]?.code).toBe('truncated');
  });

  test('wrong magic cookie: reject', () => {
    const decoded = decodePacket(withBytes(keaLikeAck(), 236, 0x63, 0x82, 0x53, 0x64));
    expect(codes(decoded.problems)).toEqual(['reject:bad-magic-cookie']);
    expect(decoded.options.size).toBe(0);
  });

  test('hlen over 16: warn, chaddr uses 16 bytes', () => {
    const decoded = decodePacket(withBytes(keaLikeAck(), 2, 40));
    expect(codes(decoded.problems)).toEqual(['warn:hlen-too-large']);
    expect(decoded.header.chaddr.split(':')).toHaveLength(16);
  });

  test('no option 53: reject (a BOOTP reply)', () => {
    const packet = encodePacket({ header: ACK_HEADER, options: [optionData(54, '10.99.0.1')] });
    expect(codes(decodePacket(packet).problems)).toContain('reject:no-message-type');
  });

  test('option 53 twice (2 bytes after concatenation): reject', () => {
    const packet = ackWith([optionData(53, 5)]);
    const decoded = decodePacket(packet);
    expect(decoded.messageType).toBeUndefined();
    expect(codes(decoded.problems)).toContain('reject:message-type-repeated');
  });

  test('NAK or another type is decoded and reported by its number, not rejected', () => {
    const decoded = decodePacket(encodePacket({ header: ACK_HEADER, options: [optionData(53, 6)] }));
    expect(decoded.messageType).toBe(6);
    expect(decoded.problems.filter((p) => p.severity === 'reject')).toEqual([]);
  });

  test('ACK to an INFORM with lease time or yiaddr: warn and continue', () => {
    const packet = ackWith([optionData(51, 3600), { code: 120, data: OPTION_120_SCHERTZ }, { code: 43, data: encodeSubOptions(schertzSubOptions()) }], {
      header: { ...ACK_HEADER, yiaddr: '10.99.0.7' },
    });
    const decoded = decodePacket(packet, { informReply: true });
    expect(codes(decoded.problems)).toEqual(['warn:inform-lease-time', 'warn:inform-yiaddr']);
    expect(decoded.msuc?.certProvisioningUrl).toBe(SCHERTZ_URL);
  });

  test('unrequested extras (1, 28, 60, 61, siaddr) and bytes after END are ignored', () => {
    const packet = concat(dnsmasqLikeAck(), bytes(1, 2, 3, 4));
    const decoded = decodePacket(packet);
    expect(decoded.problems).toEqual([]);
    expect(decoded.bytesAfterEnd).toBe(4);
    expect(decoded.header.siaddr).toBe('10.99.0.1');
  });

  test('option 54 twice: warn, the IP source identifies the server', () => {
    const decoded = decodePacket(ackWith([optionData(54, '10.99.0.1'), optionData(54, '10.99.0.9')]));
    expect(decoded.serverIdentifier).toBeUndefined();
    expect(codes(decoded.problems)).toEqual(['warn:server-id-invalid']);
  });
});

describe('c.4 option 43 absent', () => {
  test('no option 43 although 120 came back: error naming the vendor class', () => {
    const decoded = decodePacket(ackWith([{ code: 120, data: OPTION_120_SCHERTZ }]));
    const problem = decoded.problems.find((p) => p.code === 'msuc-absent');
    expect(problem?.severity).toBe('error');
    expect(problem?.message).toContain('no option 43 for vendor class MS-UC-Client');
  });
});

describe('dnsmasq-like layout (dhcp.md g.3)', () => {
  test('reversed sub-options, END inside 43, options 1/28/60 and siaddr decode to the same values', () => {
    const decoded = decodePacket(dnsmasqLikeAck());
    expect(decoded.problems).toEqual([]);
    expect(decoded.messageType).toBe(5);
    expect(decoded.serverIdentifier).toBe('10.99.0.1');
    expect(decoded.sipServers?.names).toEqual(['lync.schertz.local']);
    expect(decoded.msuc?.subOptions.map((s) => s.code)).toEqual([5, 4, 3, 2, 1]);
    expect(decoded.msuc?.endSeen).toBe(true);
    expect(decoded.msuc?.certProvisioningUrl).toBe(SCHERTZ_URL);
    expect(decoded.vendorClass).toBe('MS-UC-Client');
  });
});

describe('c.2 option areas and overload', () => {
  const base = () => keaLikeAck();

  test('PAD between options is skipped', () => {
    const decoded = decodePacket(ackWith([{ code: 120, data: OPTION_120_SCHERTZ }]));
    const padded = concat(decodedPrefix(decoded), bytes(0, 0, 0), tail(decoded));
    const again = decodePacket(padded, { informReply: false });
    expect(again.sipServers?.names).toEqual(['lync.schertz.local']);
    expect(again.problems).toEqual([]);
  });

  test('no END: warn, options kept', () => {
    const packet = base();
    const decoded = decodePacket(packet.subarray(0, packet.length - 1));
    expect(codes(decoded.problems)).toEqual(['warn:no-end-option']);
    expect(decoded.msuc?.certProvisioningUrl).toBe(SCHERTZ_URL);
  });

  test('an option running past the end: error naming code and offset, earlier options kept', () => {
    const packet = base();
    // Cut inside option 120 (which starts at 345) and drop END.
    const decoded = decodePacket(packet.subarray(0, 350));
    const overrun = decoded.problems.find((p) => p.code === 'option-overrun')!;
    expect(overrun).toMatchObject({ severity: 'error', option: 120, offset: 345 });
    expect(overrun.message).toContain('option 120 at offset 345 overruns');
    expect(decoded.msuc?.certProvisioningUrl).toBe(SCHERTZ_URL);
    expect(decoded.options.has(120)).toBe(false);
  });

  test('a code byte with no length byte at the end: error', () => {
    const packet = concat(base().subarray(0, 368), bytes(120));
    const problem = decodePacket(packet).problems.find((p) => p.code === 'option-overrun');
    expect(problem).toMatchObject({ option: 120, offset: 368 });
  });

  test('option of length 0 is valid; empty 120 = error, empty 43 = no sub-options', () => {
    const decoded = decodePacket(ackWith([{ code: 120, data: bytes() }, { code: 43, data: bytes() }]));
    expect(codes(decoded.problems)).toEqual(['error:msuc-empty', 'error:sip-empty']);
  });

  test('overload 3: options walked in file, then sname; 43 split across options/file/sname joins in that order', () => {
    const value = encodeSubOptions(schertzSubOptions());
    const packet = encodePacket({
      header: ACK_HEADER,
      options: [optionData(53, 5), { code: 43, data: value.subarray(0, 30) }],
      fileOptions: [{ code: 43, data: value.subarray(30, 70) }, { code: 120, data: OPTION_120_SCHERTZ }],
      snameOptions: [{ code: 43, data: value.subarray(70) }],
    });
    const decoded = decodePacket(packet);
    expect(decoded.overload).toBe(3);
    expect(decoded.problems).toEqual([]);
    expect(decoded.instances.filter((i) => i.code === 43).map((i) => i.area)).toEqual(['options', 'file', 'sname']);
    expect(decoded.msuc?.certProvisioningUrl).toBe(SCHERTZ_URL);
    expect(decoded.sipServers?.names).toEqual(['lync.schertz.local']);
    expect(decoded.header.sname).toBe('');
  });

  test('overload 1 walks file only; sname stays text', () => {
    const packet = encodePacket({
      header: { ...ACK_HEADER, sname: 'dhcp-server' },
      options: [optionData(53, 5)],
      fileOptions: [{ code: 120, data: OPTION_120_SCHERTZ }],
    });
    const decoded = decodePacket(packet);
    expect(decoded.sipServers?.names).toEqual(['lync.schertz.local']);
    expect(decoded.header.sname).toBe('dhcp-server');
  });

  test('52 with a bad length or value: warn, no overload; 52 inside file: ignored with a warning', () => {
    const badValue = decodePacket(ackWith([{ code: 52, data: bytes(7) }]));
    expect(badValue.overload).toBeUndefined();
    expect(codes(badValue.problems)).toEqual(['warn:overload-invalid']);
    const badLength = decodePacket(ackWith([{ code: 52, data: bytes(1, 1) }]));
    expect(codes(badLength.problems)).toEqual(['warn:overload-invalid']);
    const nested = encodePacket({ header: ACK_HEADER, options: [optionData(53, 5)], fileOptions: [{ code: 52, data: bytes(2) }] });
    const decoded = decodePacket(nested);
    expect(decoded.overload).toBe(1);
    expect(codes(decoded.problems)).toEqual(['warn:overload-nested']);
  });

  test('overloaded field without END: warn, options read are used', () => {
    const packet = encodePacket({ header: ACK_HEADER, options: [optionData(53, 5)], fileOptions: [{ code: 120, data: OPTION_120_SCHERTZ }] });
    // Replace END and the padding in file with PAD... then put an option that fills to the end: use PAD (0) only.
    const fileStart = 108;
    const end = fileStart + 2 + OPTION_120_SCHERTZ.length;
    packet[end] = 0;
    const decoded = decodePacket(packet, { informReply: false });
    expect(codes(decoded.problems)).toEqual(['warn:overload-no-end']);
    expect(decoded.sipServers?.names).toEqual(['lync.schertz.local']);
  });

  test('no 52 but text in sname/file: treated as text, never options', () => {
    const packet = encodePacket({ header: { ...ACK_HEADER, sname: 'x\u0078\u0003abc', file: 'boot/pxe.0' }, options: [optionData(53, 5)] });
    const decoded = decodePacket(packet);
    expect(decoded.header.file).toBe('boot/pxe.0');
    expect(decoded.header.sname).toBe('xx\\x03abc');
    expect(decoded.options.has(120)).toBe(false);
  });
});

describe('c.3 reassembly', () => {
  test('option 120 split in the middle of a label decodes as unsplit', () => {
    const packet = ackWith([{ code: 120, data: OPTION_120_SCHERTZ.subarray(0, 8) }, optionData(54, '10.99.0.1'), { code: 120, data: OPTION_120_SCHERTZ.subarray(8) }]);
    const decoded = decodePacket(packet, { informReply: false });
    expect(decoded.sipServers?.names).toEqual(['lync.schertz.local']);
    expect(decoded.problems).toEqual([]);
  });

  test('option 43 split in the middle of a sub-option decodes as unsplit', () => {
    const value = encodeSubOptions(schertzSubOptions());
    const decoded = decodePacket(ackWith([{ code: 43, data: value.subarray(0, 25) }, { code: 43, data: value.subarray(25) }]));
    expect(decoded.msuc?.certProvisioningUrl).toBe(SCHERTZ_URL);
    expect(decoded.problems).toEqual([]);
  });

  test('255-byte option followed by 250: joined; 250 after a shorter option: ordinary 250', () => {
    const first = new Uint8Array(255).fill(0x41);
    const joined = decodePacket(ackWith([{ code: 77, data: first }, { code: 250, data: bytes(0x42, 0x43) }]));
    expect(joined.options.get(77)?.data.length).toBe(257);
    expect(joined.options.has(250)).toBe(false);
    const separate = decodePacket(ackWith([{ code: 77, data: first.subarray(0, 254) }, { code: 250, data: bytes(0x42, 0x43) }]));
    expect(separate.options.get(77)?.data.length).toBe(254);
    expect(Array.from(separate.options.get(250)!.data)).toEqual([0x42, 0x43]);
  });

  test('a 250 continuation that is itself 255 bytes carries on into the next 250', () => {
    const decoded = decodePacket(
      ackWith([{ code: 43, data: new Uint8Array(255) }, { code: 250, data: new Uint8Array(255) }, { code: 250, data: bytes(1) }, { code: 250, data: bytes(9) }]),
    );
    expect(decoded.options.get(43)?.data.length).toBe(511);
    expect(Array.from(decoded.options.get(250)!.data)).toEqual([9]);
  });

  test('problem offsets inside a split option map back to the datagram', () => {
    const value = encodeSipServers({ names: ['lync.schertz.local'] });
    value[value.length - 1] = 0x80; // reserved label type where the terminator was
    const packet = ackWith([{ code: 120, data: value.subarray(0, 10) }, { code: 120, data: value.subarray(10) }]);
    const decoded = decodePacket(packet);
    const problem = decoded.problems.find((p) => p.code === 'name-reserved-label-type')!;
    expect(problem.offset).toBe(20);
    expect(decoded.instances[2]!.offset + 2 + 10).toBe(problem.packetOffset);
    expect(packet[problem.packetOffset!]).toBe(0x80);
  });
});

describe('JSON view', () => {
  test('is plain data', () => {
    const json = packetToJSON(decodePacket(dnsmasqLikeAck()));
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect((json.decoded as any).otherOptions['1'].value).toBe('255.255.255.0');
  });
});

function decodedPrefix(decoded: ReturnType<typeof decodePacket>): Uint8Array {
  return ackWith([]).subarray(0, 243);
}
function tail(decoded: ReturnType<typeof decodePacket>): Uint8Array {
  const option = decoded.options.get(120)!;
  return concat(bytes(120, option.data.length), option.data, bytes(255));
}
