// Builders shared by the DHCP tests: a Kea-like ACK, a dnsmasq-like ACK, and small byte helpers.
import { encodePacket, type PacketOption } from '../../src/dhcp/packet.js';
import { optionData } from '../../src/dhcp/options.js';
import { encodeSubOptions, msUcSubOptions } from '../../src/dhcp/msuc.js';
import { parseHex } from '../../src/dhcp/hex.js';

/** Reference vectors kept in the repository (DHCPUtil output, a real Kea ACK and its decoding). */
export const VECTORS = new URL('../../fixtures/dhcp/vectors/', import.meta.url);

export const OPTION_120_SCHERTZ = parseHex('00046c796e63077363686572747a056c6f63616c00');
export const SCHERTZ_URL = 'https://lync.schertz.local:443/CertProv/CertProvisioningService.svc';

export function schertzSubOptions() {
  return msUcSubOptions({ webServerFqdn: 'lync.schertz.local' });
}

export function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

export function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function tlv(code: number, data: Uint8Array): Uint8Array {
  return concat(bytes(code, data.length), data);
}

export const ACK_HEADER = { op: 2, xid: 0xabeb5f94, ciaddr: '10.99.0.2', chaddr: '02:00:00:00:99:02' };

/** An ACK laid out as Kea sends it (dhcp.md g.2). */
export function keaLikeAck(): Uint8Array {
  return encodePacket({
    header: ACK_HEADER,
    minLength: 0,
    options: [
      optionData(53, 5),
      { code: 43, data: encodeSubOptions(schertzSubOptions()) },
      optionData(54, '10.99.0.1'),
      { code: 61, data: parseHex('01020000009902') },
      { code: 120, data: OPTION_120_SCHERTZ },
    ],
  });
}

/** An ACK laid out as dnsmasq sends it: siaddr, options 1/28/60, sub-options reversed + END inside 43. */
export function dnsmasqLikeAck(): Uint8Array {
  const reversed = [...schertzSubOptions()].reverse();
  return encodePacket({
    header: { ...ACK_HEADER, siaddr: '10.99.0.1' },
    minLength: 0,
    options: [
      optionData(53, 5),
      optionData(54, '10.99.0.1'),
      optionData(1, '255.255.255.0'),
      optionData(28, '10.99.0.255'),
      optionData(60, 'MS-UC-Client'),
      { code: 120, data: OPTION_120_SCHERTZ },
      { code: 43, data: concat(encodeSubOptions(reversed), bytes(255)) },
    ],
  });
}

export function ackWith(options: PacketOption[], extra: Partial<Parameters<typeof encodePacket>[0]> = {}): Uint8Array {
  return encodePacket({ header: ACK_HEADER, minLength: 0, options: [optionData(53, 5), ...options], ...extra });
}
