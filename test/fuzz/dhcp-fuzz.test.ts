import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseHex, HexParseError } from '../../src/dhcp/hex.js';
import { decodePacket } from '../../src/dhcp/packet.js';
import { inspectBytes, inspectionToJSON, renderInspection, UnusableInputError } from '../../src/dhcp/inspect.js';
import { CaptureFormatError, readCapture, writePcap } from '../../src/dhcp/pcap.js';
import { checkDecode, nextInput, prng, seedPackets } from './dhcp-fuzz-lib.js';

const SEED = 0x5eed2025;
/** `FUZZ_COUNT=1000000 npm run fuzz` for a long run; the seed stays fixed, so any run is reproducible. */
const PACKETS = fuzzCount(process.env.FUZZ_COUNT);

function bestOf(runs: number, action: () => void): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    action();
    best = Math.min(best, Number(process.hrtime.bigint() - started));
  }
  return best;
}

function fuzzCount(text: string | undefined): number {
  if (text === undefined || text === '') return 100_000;
  const count = Number(text);
  if (!Number.isSafeInteger(count) || count < 1) throw new Error(`FUZZ_COUNT must be a positive whole number, not "${text}"`);
  return count;
}

describe('DHCP decoder fuzz (deterministic seed)', () => {
  test(`${PACKETS} random and mutated packets: no throw, problems well-formed, JSON-safe, offsets in bounds`, () => {
    const random = prng(SEED);
    const seeds = seedPackets();
    for (const seed of seeds) expect(checkDecode(seed)).toBeUndefined();
    const failures: string[] = [];
    // Inputs are made and checked one at a time, so a run of millions needs no memory for them.
    let decodeNs = 0;
    let checkNs = 0;
    // The first timing of an input can include a GC pause; the slowest few are timed again below.
    let candidates: Array<{ ns: number; index: number; how: string; input: Uint8Array }> = [];
    for (let i = 0; i < PACKETS; i++) {
      const { input, how } = nextInput(random, seeds);
      const decodeStarted = process.hrtime.bigint();
      decodePacket(input);
      const ns = Number(process.hrtime.bigint() - decodeStarted);
      decodeNs += ns;
      if (candidates.length < 16 || ns > (candidates[candidates.length - 1]?.ns ?? 0)) {
        candidates = [...candidates, { ns, index: i, how, input }].sort((a, b) => b.ns - a.ns).slice(0, 16);
      }
      const checkStarted = process.hrtime.bigint();
      const failure = checkDecode(input);
      checkNs += Number(process.hrtime.bigint() - checkStarted);
      if (failure) failures.push(`#${i} ${Buffer.from(input).toString('hex')}: ${failure}`);
      if (failures.length >= 5) break;
    }
    const perSecond = (ns: number) => Math.round(PACKETS / (ns / 1e9));
    console.log(`dhcp fuzz: seed 0x${SEED.toString(16)}, ${PACKETS} packets`);
    console.log(`dhcp fuzz: decodePacket alone ${Math.round(decodeNs / PACKETS)} ns per packet, ${perSecond(decodeNs)} packets/s`);
    console.log(`dhcp fuzz: decode + JSON view + checks ${Math.round(checkNs / PACKETS)} ns per packet, ${perSecond(checkNs)} packets/s`);
    const slowest = candidates
      .map((candidate) => ({ ...candidate, ns: bestOf(9, () => decodePacket(candidate.input)), hex: Buffer.from(candidate.input).toString('hex') }))
      .sort((a, b) => b.ns - a.ns)[0] ?? { ns: 0, index: -1, how: '', hex: '' };
    console.log(`dhcp fuzz: slowest input #${slowest.index} (${slowest.how}, ${slowest.hex.length / 2} bytes) decoded in ${(slowest.ns / 1e6).toFixed(3)} ms: ${slowest.hex.slice(0, 160)}${slowest.hex.length > 160 ? '…' : ''}`);
    expect(failures).toEqual([]);
  }, Math.max(300_000, PACKETS * 3));

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

for (const corpus of ['fuzz-crashes', 'worst-case']) {
  describe(`hostile fixtures (fixtures/dhcp/${corpus}/*.hex) decode cleanly`, () => {
    const dir = new URL(`../../fixtures/dhcp/${corpus}/`, import.meta.url);
    const files = readdirSync(dir).filter((name) => name.endsWith('.hex'));
    test('the corpus is present', () => {
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
}
