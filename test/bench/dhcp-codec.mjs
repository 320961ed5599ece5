// Codec speed: decode and encode ns per packet for the real Kea ACK and a dnsmasq-style ACK, and the
// decode time of each worst-case 64 KiB datagram in fixtures/dhcp/worst-case/, which must stay under
// WORST_CASE_BOUND_MS (the exit code says whether it did). Plain ESM over dist/ (run `npm run build`
// first); prints one line per measurement.
import { readdirSync, readFileSync } from 'node:fs';
import { decodePacket, encodePacket } from '../../dist/dhcp/packet.js';
import { optionData } from '../../dist/dhcp/options.js';
import { encodeSubOptions, msUcSubOptions } from '../../dist/dhcp/msuc.js';
import { encodeSipServers } from '../../dist/dhcp/option120.js';
import { parseHex } from '../../dist/dhcp/hex.js';

const keaAck = parseHex(readFileSync(new URL('../../fixtures/dhcp/vectors/ack-kea.hex', import.meta.url), 'utf8'));
/**
 * Per worst-case datagram. A linear decoder needs well under a millisecond for 64 KiB; the quadratic
 * one this guards against needed 0.5-2 s, so the bound catches a regression without flapping.
 */
const WORST_CASE_BOUND_MS = 20;

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

const worstCaseDir = new URL('../../fixtures/dhcp/worst-case/', import.meta.url);
const worstCases = readdirSync(worstCaseDir).filter((name) => name.endsWith('.hex')).sort();
if (worstCases.length === 0) {
  console.log('dhcp-codec worst-case: no fixtures found in fixtures/dhcp/worst-case/');
  process.exitCode = 1;
}
for (const name of worstCases) {
  const input = parseHex(readFileSync(new URL(name, worstCaseDir), 'utf8'));
  for (let i = 0; i < 5; i++) decodePacket(input);
  // The median of repeated runs: one GC pause must not fail the bound, a slow decoder always does.
  const times = [];
  for (let i = 0; i < 21; i++) {
    const started = process.hrtime.bigint();
    decodePacket(input);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  const median = times.sort((a, b) => a - b)[10];
  const verdict = median <= WORST_CASE_BOUND_MS ? 'ok' : 'OVER THE BOUND';
  console.log(`dhcp-codec worst-case ${name} (${input.length} B): ${median.toFixed(3)} ms median, bound ${WORST_CASE_BOUND_MS} ms: ${verdict}`);
  if (median > WORST_CASE_BOUND_MS) process.exitCode = 1;
}
