import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseHex, HexParseError } from '../../src/dhcp/hex.js';
import { decodePacket } from '../../src/dhcp/packet.js';
import { inspectBytes, inspectionToJSON, renderInspection, UnusableInputError } from '../../src/dhcp/inspect.js';
import { CaptureFormatError, readCapture, writePcap } from '../../src/dhcp/pcap.js';
import { checkDecode, nextInput, prng, seedPackets } from './dhcp-fuzz-lib.js';

const SEED = 0x5eed2025;
const PACKETS = 100_000;

describe('DHCP decoder fuzz (deterministic seed)', () => {
  test(`${PACKETS} random and mutated packets: no throw, problems well-formed, JSON-safe, offsets in bounds`, () => {
    const random = prng(SEED);
    const seeds = seedPackets();
    for (const seed of seeds) expect(checkDecode(seed)).toBeUndefined();
    const inputs: Uint8Array[] = [];
    const failures: string[] = [];
    for (let i = 0; i < PACKETS; i++) inputs.push(nextInput(random, seeds).input);
    const started = process.hrtime.bigint();
    for (let i = 0; i < inputs.length; i++) {
      const failure = checkDecode(inputs[i] as Uint8Array);
      if (failure) failures.push(`#${i} ${Buffer.from(inputs[i] as Uint8Array).toString('hex')}: ${failure}`);
      if (failures.length >= 5) break;
    }
    const elapsed = Number(process.hrtime.bigint() - started);
    const decodeStarted = process.hrtime.bigint();
    for (const input of inputs) decodePacket(input);
    const decodeOnly = Number(process.hrtime.bigint() - decodeStarted);
    console.log(`dhcp fuzz: decodePacket alone ${Math.round(decodeOnly / inputs.length)} ns per packet`);
    console.log(`dhcp fuzz: ${inputs.length} packets decoded and checked in ${(elapsed / 1e6).toFixed(0)} ms, ${Math.round(elapsed / inputs.length)} ns per packet (decode + JSON view + checks)`);
    expect(failures).toEqual([]);
  }, 300_000);

  test('the CLI path (guessing, rendering) and the capture reader survive mutations too', () => {
    const random = prng(SEED + 1);
    const seeds = seedPackets();
    const unexpected: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      const { input } = nextInput(random, seeds);
      try {
        const inspection = inspectBytes(input);
        renderInspection(inspection);
        JSON.stringify(inspectionToJSON(inspection));
      } catch (error) {
        if (!(error instanceof UnusableInputError)) unexpected.push(`inspect ${Buffer.from(input).toString('hex')}: ${(error as Error).stack}`);
      }
      const capture = writePcap([{ source: '10.0.0.1', sourcePort: 67, destination: '10.0.0.2', destinationPort: 68, payload: input }]);
      const damaged = Uint8Array.from(capture);
      for (let k = 0; k < 3; k++) damaged[Math.floor(random() * damaged.length)] = Math.floor(random() * 256);
      const cut = damaged.subarray(0, Math.floor(random() * damaged.length) + 1);
      try {
        readCapture(cut);
      } catch (error) {
        if (!(error instanceof CaptureFormatError)) unexpected.push(`capture: ${(error as Error).stack}`);
      }
      const text = Buffer.from(input.subarray(0, 64)).toString('latin1');
      try {
        parseHex(text);
      } catch (error) {
        if (!(error instanceof HexParseError)) unexpected.push(`hex: ${(error as Error).stack}`);
      }
      if (unexpected.length >= 5) break;
    }
    expect(unexpected).toEqual([]);
  }, 300_000);
});

describe('fuzz crash fixtures (fixtures/dhcp/fuzz-crashes/*.hex) decode cleanly', () => {
  const dir = new URL('../../fixtures/dhcp/fuzz-crashes/', import.meta.url);
  const files = readdirSync(dir).filter((name) => name.endsWith('.hex'));
  test('the crash corpus is present', () => {
    expect(files.length).toBeGreaterThan(0);
  });
  for (const name of files) {
    test(name, () => {
      const input = parseHex(readFileSync(new URL(name, dir), 'utf8'));
      expect(checkDecode(input)).toBeUndefined();
      expect(() => renderInspection(inspectBytes(input))).not.toThrow();
      // Every stored input is damaged: the decoder must say so rather than return a clean answer.
      expect(decodePacket(input).problems.some((p) => p.severity === 'error' || p.severity === 'reject')).toBe(true);
    });
  }
});
