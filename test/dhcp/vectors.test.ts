import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseHex } from '../../src/dhcp/hex.js';
import { decodePacket, packetToJSON } from '../../src/dhcp/packet.js';
import { encodeDhcpValues, formatDhcpUtil, renderServerConfig } from '../../src/dhcp/server-config.js';
import { VECTORS } from './helpers.js';

const schertz = JSON.parse(readFileSync(new URL('dhcputil-schertz.json', VECTORS), 'utf8'));
const ackHex = readFileSync(new URL('ack-kea.hex', VECTORS), 'utf8');
const ackExpected = JSON.parse(readFileSync(new URL('ack-kea.json', VECTORS), 'utf8'));

describe('DHCPUtil vector: lync.schertz.local (dhcp.md g.1)', () => {
  const encoding = encodeDhcpValues(schertz.inputs);

  test('option 120, option 43 and every sub-option are byte-exact, upper-case hex', () => {
    expect(encoding.option120Hex).toBe(schertz.expected.option120.hex);
    expect(encoding.option120.length).toBe(schertz.expected.option120.bytes);
    expect(encoding.option43Hex).toBe(schertz.expected.option43.hex);
    expect(encoding.option43.length).toBe(schertz.expected.option43.bytes);
    expect(encoding.option43HexLength).toBe(schertz.expected.option43.dhcputilLength);
    const expectedSubs = schertz.expected.subOptions.filter((s: { code: number }) => s.code <= 5);
    expect(encoding.subOptions.map((s) => ({ code: s.code, name: s.name, dhcputilLabel: s.label, text: s.text, hex: s.hex, tlvHex: s.tlvHex }))).toEqual(
      expectedSubs.map((s: Record<string, unknown>) => ({ code: s.code, name: s.name, dhcputilLabel: s.dhcputilLabel, text: s.text, hex: s.hex, tlvHex: s.tlvHex })),
    );
    expect(encoding.certProvisioningUrl).toBe(schertz.expected.certProvisioningUrl);
  });

  test('the DHCPConfigScript line matches exactly, and the default output prints it and the labelled values', () => {
    expect(encoding.configScriptArgs).toEqual(schertz.expected.dhcpConfigScript.args);
    const text = formatDhcpUtil(encoding);
    expect(text.split('\n')).toContain(schertz.expected.dhcpConfigScript.printedLine);
    expect(text).toContain(`Value: ${schertz.expected.option43.hex}`);
    expect(text).toContain('Length: 170');
    expect(text).toContain('sub-option 5 <Relative Path for Cert Prov>: 2F4365727450726F762F4365727450726F766973696F6E696E67536572766963652E737663');
    expect(text).toContain('sub-option 1 <UC Identifier>: 4D532D55432D436C69656E74');
    expect(text).toContain(`Certificate Provisioning Service URL: ${schertz.expected.certProvisioningUrl}`);
  });

  test('json format carries the same values', () => {
    const json = JSON.parse(renderServerConfig('json', { sipServer: 'lync.schertz.local' }).text);
    expect(json.option43.hex).toBe(schertz.expected.option43.hex);
    expect(json.dhcpConfigScript.argsLine).toBe(schertz.expected.dhcpConfigScript.argsLine);
  });

  test('the published DHCPUtil lengths for two other FQDNs are reproduced (180 and 186)', () => {
    expect(encodeDhcpValues({ sipServer: 'server.fqdn.company.com' }).option43HexLength).toBe(180);
    expect(encodeDhcpValues({ sipServer: 'sipserver.fqdn.company.com' }).option43HexLength).toBe(186);
  });
});

describe('real Kea ACK (dhcp.md g.2)', () => {
  const bytes = parseHex(ackHex);
  const packet = decodePacket(bytes);
  const json = packetToJSON(packet) as Record<string, any>;

  test('header fields', () => {
    expect(bytes.length).toBe(ackExpected.bytes);
    expect(json.bytes).toBe(ackExpected.bytes);
    for (const [key, value] of Object.entries(ackExpected.header)) expect(json.header[key], key).toEqual(value);
  });

  test('options in wire order with offsets, names, lengths and hex; END offset', () => {
    expect(json.options).toEqual(ackExpected.options);
    expect(json.endOptionOffset).toBe(ackExpected.endOptionOffset);
    expect(json.bytesAfterEnd).toBe(ackExpected.bytesAfterEnd);
  });

  test('decoded values: message type, server id, client id, 120, 43, URL; no problems', () => {
    const d = json.decoded;
    expect(d.messageType).toEqual(ackExpected.decoded.messageType);
    expect(d.serverIdentifier).toBe(ackExpected.decoded.serverIdentifier);
    expect(d.clientIdentifier.type).toBe(ackExpected.decoded.clientIdentifier.type);
    expect(d.clientIdentifier.hardwareAddress).toBe(ackExpected.decoded.clientIdentifier.hardwareAddress);
    expect(d.option120).toMatchObject(ackExpected.decoded.option120);
    expect(d.option43.subOptions.map(({ offset: _offset, ...rest }: Record<string, unknown>) => rest)).toEqual(ackExpected.decoded.option43.subOptions);
    expect(d.option43.unknownSubOptions).toEqual(ackExpected.decoded.option43.unknownSubOptions);
    expect(d.option43.endSubOptionSeen).toBe(ackExpected.decoded.option43.endSubOptionSeen);
    expect(d.certProvisioningUrl).toBe(ackExpected.decoded.certProvisioningUrl);
    for (const absent of Object.keys(ackExpected.decoded.absentOptions)) expect(packet.options.has(Number(absent))).toBe(false);
    expect(json.problems).toEqual(ackExpected.problems);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});
