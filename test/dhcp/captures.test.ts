// Every capture under fixtures/dhcp/captures/ decoded through the CLI (`dhcp decode --file X --json`),
// as an administrator would: the real DHCPACKs of dnsmasq, Kea and ISC dhcpd recorded by
// test/integration/record-dhcp-captures.test.ts, and the hand-built Windows-style and odd-but-legal
// layouts of handmade-captures.ts. Each must yield the option 43/120 values its server was given.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { LONG_SITE, LONG_SITE_URL, SECOND_POOL, SITE, SITE_URL } from './capture-sites.js';
import { HANDMADE_CAPTURES } from './handmade-captures.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'bootstrap-test.js');
const DIR = join(ROOT, 'fixtures', 'dhcp', 'captures');

interface ExpectedAck {
  names: string[];
  url?: string;
  /** Sub-option codes in wire order. */
  order: number[];
  /** Problem codes expected (warnings and errors); anything else fails. */
  problems?: string[];
}

interface ExpectedCapture {
  format: 'pcap' | 'pcapng';
  linkTypes: number[];
  /** INFORMs (message type 8) in the capture. */
  informs: number;
  acks: ExpectedAck[];
  skippedOtherPorts?: number;
  /** Frame numbers of the DHCP datagrams, as Wireshark numbers them, when they are not 1..n. */
  frames?: number[];
}

const DEFAULT_ACK: ExpectedAck = { names: [SITE.sipServer], url: SITE_URL, order: [1, 2, 3, 4, 5] };
const plain = (format: 'pcap' | 'pcapng', acks: ExpectedAck[], linkTypes = [1]): ExpectedCapture => ({ format, linkTypes, informs: 1, acks });

const EXPECTED: Record<string, ExpectedCapture> = {
  // Real servers (dhcp.md d: dnsmasq reverses the order and ends 43 with END; dhcpd puts 220 first).
  'dnsmasq-default.pcap': plain('pcap', [{ ...DEFAULT_ACK, order: [5, 4, 3, 2, 1] }]),
  'dnsmasq-nap.pcap': plain('pcap', [{ ...DEFAULT_ACK, order: [220, 5, 4, 3, 2, 1] }]),
  'dnsmasq-two-names-sll.pcap': plain('pcap', [{ ...DEFAULT_ACK, names: [SITE.sipServer, SECOND_POOL], order: [5, 4, 3, 2, 1] }], [276]),
  // With option 57 = 1500 dnsmasq sends option 43 as two instances split at a sub-option boundary.
  'dnsmasq-long-43-split.pcapng': plain('pcapng', [{ names: [LONG_SITE.sipServer], url: LONG_SITE_URL, order: [5, 4, 3, 2, 1] }]),
  // Without option 57 it silently drops what does not fit: the decoder must say which are missing.
  'dnsmasq-long-43-no-57.pcap': plain('pcap', [
    { names: [LONG_SITE.sipServer], order: [5, 4], problems: ['msuc-identifier-missing', 'msuc-missing-suboption', 'msuc-missing-suboption'] },
  ]),
  'kea-default.pcap': plain('pcap', [DEFAULT_ACK]),
  'kea-nap.pcap': plain('pcap', [{ ...DEFAULT_ACK, order: [1, 2, 3, 4, 5, 220] }]),
  // Kea splits a long option 43 into one instance per sub-option.
  'kea-long-43.pcap': plain('pcap', [{ names: [LONG_SITE.sipServer], url: LONG_SITE_URL, order: [1, 2, 3, 4, 5] }]),
  'dhcpd-default.pcapng': plain('pcapng', [DEFAULT_ACK]),
  'dhcpd-nap.pcap': plain('pcap', [{ ...DEFAULT_ACK, order: [220, 1, 2, 3, 4, 5] }]),
  // dhcpd encodes the two names itself, compressing the second.
  'dhcpd-two-names-compressed.pcap': plain('pcap', [{ ...DEFAULT_ACK, names: [SITE.sipServer, SECOND_POOL] }]),
  // dhcpd splits a long option 43 at byte 255, inside a sub-option.
  'dhcpd-long-43.pcap': plain('pcap', [{ names: [LONG_SITE.sipServer], url: LONG_SITE_URL, order: [1, 2, 3, 4, 5] }]),

  // Hand-built.
  'windows-multi-interface.pcapng': {
    format: 'pcapng',
    linkTypes: [1, 276, 101, 113],
    informs: 1,
    // tshark numbers the custom block between the first ACK and the second as frame 3.
    frames: [1, 2, 4, 5, 6],
    acks: [
      { names: [LONG_SITE.sipServer], url: LONG_SITE_URL, order: [220, 3, 1, 5, 2, 4] },
      { names: [SITE.sipServer, SECOND_POOL], url: SITE_URL, order: [1, 2, 3, 4, 5, 220] },
      { names: [SITE.sipServer, SECOND_POOL], url: SITE_URL, order: [4, 2, 5, 1, 3] },
      { names: [LONG_SITE.sipServer], url: LONG_SITE_URL, order: [220, 3, 1, 5, 2, 4] },
    ],
  },
  'windows-qinq-fcs.pcap': plain('pcap', [{ names: [LONG_SITE.sipServer], url: LONG_SITE_URL, order: [220, 3, 1, 5, 2, 4] }]),
  'macos-loopback-null.pcap': { format: 'pcap', linkTypes: [0], informs: 0, skippedOtherPorts: 1, acks: [{ names: [SITE.sipServer, SECOND_POOL], url: SITE_URL, order: [1, 2, 3, 4, 5, 220] }] },
};

interface DecodedJson {
  format: string;
  linkTypes: number[];
  skipped: { otherPorts: number };
  datagrams: {
    frame: number;
    packet: {
      decoded: {
        messageType?: { value: number };
        serverIdentifier?: string;
        option120?: { names: string[] };
        option43?: { subOptions: { code: number; offset: number }[]; unknownSubOptions: { code: number; text?: string; offset: number }[] };
        certProvisioningUrl?: string;
        otherOptions?: Record<string, { value: unknown }>;
      };
      problems: { severity: string; code: string; message: string }[];
    };
  }[];
}

function decode(file: string): { json: DecodedJson; status: number } {
  const result = spawnSync(process.execPath, [CLI, 'dhcp', 'decode', '--file', join(DIR, file), '--json'], { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  return { json: JSON.parse(result.stdout) as DecodedJson, status: result.status ?? -1 };
}

if (process.env.RECORD_DHCP_CAPTURES === '1') {
  mkdirSync(DIR, { recursive: true });
  for (const [file, build] of Object.entries(HANDMADE_CAPTURES)) writeFileSync(join(DIR, file), build());
}

describe('hand-built captures are reproducible from handmade-captures.ts', () => {
  for (const [file, build] of Object.entries(HANDMADE_CAPTURES)) {
    test(file, () => expect(Buffer.from(readFileSync(join(DIR, file))).equals(Buffer.from(build()))).toBe(true));
  }
});

describe('dhcp decode --file <capture> --json', () => {
  test('every capture in the folder has expectations', () => {
    const files = execFileSync('ls', [DIR], { encoding: 'utf8' }).split('\n').filter((name) => /\.pcap(ng)?$/.test(name));
    expect(files.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [file, expected] of Object.entries(EXPECTED)) {
    test(file, () => {
      const { json, status } = decode(file);
      expect(json.format).toBe(expected.format);
      expect(json.linkTypes).toEqual(expected.linkTypes);
      if (expected.skippedOtherPorts !== undefined) expect(json.skipped.otherPorts).toBe(expected.skippedOtherPorts);
      if (expected.frames) expect(json.datagrams.map((d) => d.frame)).toEqual(expected.frames);
      const packets = json.datagrams.map((d) => d.packet);
      expect(packets.filter((p) => p.decoded.messageType?.value === 8)).toHaveLength(expected.informs);
      const acks = packets.filter((p) => p.decoded.messageType?.value === 5);
      expect(acks).toHaveLength(expected.acks.length);
      acks.forEach((ack, index) => {
        const want = expected.acks[index] as ExpectedAck;
        const decoded = ack.decoded;
        expect(decoded.serverIdentifier).toBe('10.99.0.1');
        expect(decoded.option120?.names).toEqual(want.names);
        expect(decoded.certProvisioningUrl).toBe(want.url);
        const all = [...(decoded.option43?.subOptions ?? []), ...(decoded.option43?.unknownSubOptions ?? [])].sort((a, b) => a.offset - b.offset);
        expect(all.map((sub) => sub.code)).toEqual(want.order);
        if (want.order.includes(220)) expect(decoded.option43?.unknownSubOptions).toContainEqual(expect.objectContaining({ code: 220, text: 'NAP' }));
        expect(ack.problems.map((p) => p.code)).toEqual(want.problems ?? []);
      });
      expect(status).toBe(expected.acks.some((ack) => ack.problems?.length) ? 1 : 0);
    });
  }

  test('dnsmasq without option 57 dropped sub-options 1-3: the errors say how to get them', () => {
    const { json } = decode('dnsmasq-long-43-no-57.pcap');
    const ack = json.datagrams.find((d) => d.packet.decoded.messageType?.value === 5);
    const missing = ack?.packet.problems.filter((p) => p.code === 'msuc-missing-suboption') ?? [];
    expect(missing.map((p) => p.message)).toEqual([
      expect.stringMatching(/^option 43 has no sub-option 2 \(URLScheme\);.*retry with --max-message-size 1500 \(option 57\)/),
      expect.stringMatching(/^option 43 has no sub-option 3 \(WebServerFqdn\);.*retry with --max-message-size 1500/),
    ]);
  });

  test('a genuine option 250 after a short option stays option 250 next to a NAP-carrying 43', () => {
    const { json } = decode('macos-loopback-null.pcap');
    const ack = json.datagrams[0]?.packet.decoded;
    expect(ack?.otherOptions?.['250']?.value).toBe(Buffer.from('site-specific value').toString('hex'));
  });
});
