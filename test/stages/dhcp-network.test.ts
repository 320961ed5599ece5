// The network options a sign-in run takes from the DHCP answer: 42, 4, 6, 15 and 119, decoded by the
// DHCP layer's codecs from a packet as it comes off the wire; absent options are empty, not invented.
import { describe, expect, it } from 'vitest';
import { optionData } from '../../src/dhcp/options.js';
import { decodePacket, encodePacket } from '../../src/dhcp/packet.js';
import { networkOptionsOf } from '../../src/stages/dhcp-network.js';

const ack = (options: Array<{ code: number; data: Uint8Array }>) =>
  decodePacket(encodePacket({ header: { op: 2, xid: 0x1234, ciaddr: '10.0.0.50' }, options: [optionData(53, 5), ...options] }));

describe('networkOptionsOf', () => {
  it('reads NTP, time, DNS servers, the domain name and the search list', () => {
    const packet = ack([
      optionData(42, ['10.0.0.1', '10.0.0.2']),
      optionData(4, ['10.0.0.3']),
      optionData(6, ['10.0.0.53']),
      optionData(15, 'voice.example.com'),
      optionData(119, ['example.com', 'corp.example.com']),
    ]);
    expect(networkOptionsOf(packet)).toEqual({
      ntpServers: ['10.0.0.1', '10.0.0.2'],
      timeServers: ['10.0.0.3'],
      dnsServers: ['10.0.0.53'],
      domainName: 'voice.example.com',
      domainSearch: ['example.com', 'corp.example.com'],
    });
  });

  it('leaves absent options empty, and keeps the whole addresses of an option 42 with trailing bytes (as the decoder does)', () => {
    const packet = ack([{ code: 42, data: Uint8Array.from([10, 0, 0, 1, 10]) }]);
    expect(networkOptionsOf(packet)).toEqual({ ntpServers: ['10.0.0.1'], timeServers: [], dnsServers: [], domainSearch: [] });
  });
});
