// Codec speed: decode and encode ns per packet for the real Kea ACK and a dnsmasq-style ACK.
// Plain ESM over dist/ (run `npm run build` first); prints one line per measurement.
import { readFileSync } from 'node:fs';
import { decodePacket, encodePacket } from '../../dist/dhcp/packet.js';
import { optionData } from '../../dist/dhcp/options.js';
import { encodeSubOptions, msUcSubOptions } from '../../dist/dhcp/msuc.js';
import { encodeSipServers } from '../../dist/dhcp/option120.js';
import { parseHex } from '../../dist/dhcp/hex.js';

const keaAck = parseHex(readFileSync(new URL('../../fixtures/dhcp/vectors/ack-kea.hex', import.meta.url), 'utf8'));

const subOptions = msUcSubOptions({ webServerFqdn: 'lync.schertz.local' });
const dnsmasqInput = {
  header: { op: 2, xid: 0xabeb5f94, ciaddr: '10.99.0.2', siaddr: '10.99.0.1', chaddr: '02:00:00:00:99:02' },
  minLength: 0,
  options: [
    optionData(53, 5),
    optionData(54, '10.99.0.1'),
    optionData(1, '255.255.255.0'),
    optionData(28, '10.99.0.255'),
    optionData(60, 'MS-UC-Client'),
    { code: 120, data: encodeSipServers({ names: ['lync.schertz.local'] }) },
    { code: 43, data: Uint8Array.of(...encodeSubOptions([...subOptions].reverse()), 255) },
  ],
};
const dnsmasqAck = encodePacket(dnsmasqInput);
const keaDecoded = decodePacket(keaAck);
const keaInput = {
  header: { ...keaDecoded.header, sname: undefined, file: undefined },
  minLength: 0,
  options: keaDecoded.instances.map((i) => ({ code: i.code, data: i.data })),
};

function measure(label, fn, iterations = 200_000) {
  for (let i = 0; i < 20_000; i++) fn();
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  const ns = Number(process.hrtime.bigint() - started) / iterations;
  console.log(`dhcp-codec ${label}: ${ns.toFixed(0)} ns/packet`);
}

measure(`decode kea-ack (${keaAck.length} B)`, () => decodePacket(keaAck));
measure(`decode dnsmasq-ack (${dnsmasqAck.length} B)`, () => decodePacket(dnsmasqAck));
measure('encode kea-ack', () => encodePacket(keaInput));
measure('encode dnsmasq-ack', () => encodePacket(dnsmasqInput));
