// A deterministic fuzzer for the DHCP decoder: random datagrams and mutations of valid ones.
// Shared by the vitest run (test/fuzz/dhcp-fuzz.test.ts) and the crash replay.

import { decodePacket, encodePacket, packetToJSON } from '../../src/dhcp/packet.js';
import { optionData } from '../../src/dhcp/options.js';
import { encodeSubOptions, msUcSubOptions } from '../../src/dhcp/msuc.js';
import { encodeSipServers } from '../../src/dhcp/option120.js';
import type { DhcpPacket } from '../../src/dhcp/types.js';

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const header = { op: 2, xid: 0xabeb5f94, ciaddr: '10.99.0.2', chaddr: '02:00:00:00:99:02' };
const msuc = () => encodeSubOptions(msUcSubOptions({ webServerFqdn: 'lync.schertz.local' }));

/** Valid packets with every layout the decoder knows: the mutation seeds. */
export function seedPackets(): Uint8Array[] {
  const value43 = msuc();
  const names = encodeSipServers({ names: ['lync.schertz.local', 'pool2.schertz.local', 'sip.lab.schertz.local'] });
  return [
    encodePacket({ header, minLength: 0, options: [optionData(53, 5), { code: 43, data: value43 }, optionData(54, '10.99.0.1'), { code: 120, data: names }] }),
    encodePacket({
      header: { ...header, siaddr: '10.99.0.1' },
      options: [optionData(53, 5), optionData(54, '10.99.0.1'), optionData(1, '255.255.255.0'), optionData(60, 'MS-UC-Client'), { code: 43, data: Uint8Array.of(...[...msUcSubOptions({ webServerFqdn: 'a.b' })].reverse().flatMap((s) => [s.code, s.data.length, ...s.data]), 255) }],
    }),
    encodePacket({
      header,
      options: [optionData(53, 5), { code: 43, data: value43.subarray(0, 20) }],
      fileOptions: [{ code: 43, data: value43.subarray(20, 60) }, { code: 120, data: names.subarray(0, 9) }],
      snameOptions: [{ code: 43, data: value43.subarray(60) }, { code: 120, data: names.subarray(9, 40) }],
    }),
    encodePacket({ header, options: [optionData(53, 5), { code: 43, data: new Uint8Array(600).map((_, i) => (i % 7 === 0 ? 3 : 0x41)) }, { code: 120, data: names }], longOptions: 'windows-250' }),
    encodePacket({ header, options: [optionData(53, 8), optionData(55, [120, 43]), optionData(119, ['schertz.local', 'lab.schertz.local']), { code: 120, data: Uint8Array.of(1, 10, 0, 0, 5) }] }),
  ];
}

export type Mutation = (input: Uint8Array, random: () => number, seeds: Uint8Array[]) => Uint8Array;

const int = (random: () => number, n: number) => Math.floor(random() * n);

const mutations: Record<string, Mutation> = {
  bitFlips(input, random) {
    const out = Uint8Array.from(input);
    for (let i = 1 + int(random, 8); i > 0 && out.length > 0; i--) {
      const at = int(random, out.length);
      out[at] = (out[at] as number) ^ (1 << int(random, 8));
    }
    return out;
  },
  byteInsert(input, random) {
    const at = int(random, input.length + 1);
    const inserted = Uint8Array.from({ length: 1 + int(random, 6) }, () => int(random, 256));
    const out = new Uint8Array(input.length + inserted.length);
    out.set(input.subarray(0, at));
    out.set(inserted, at);
    out.set(input.subarray(at), at + inserted.length);
    return out;
  },
  byteDelete(input, random) {
    if (input.length === 0) return input;
    const at = int(random, input.length);
    const count = Math.min(1 + int(random, 6), input.length - at);
    const out = new Uint8Array(input.length - count);
    out.set(input.subarray(0, at));
    out.set(input.subarray(at + count), at);
    return out;
  },
  lengthCorruption(input, random) {
    // Walk the options area and damage one length byte (or a 43 sub-option length).
    const out = Uint8Array.from(input);
    const lengths: number[] = [];
    for (let at = 240; at + 1 < out.length; ) {
      const code = out[at] as number;
      if (code === 0) { at += 1; continue; }
      if (code === 255) break;
      lengths.push(at + 1);
      if (code === 43) for (let s = at + 2; s + 1 < at + 2 + (out[at + 1] as number); s += 2 + (out[s + 1] as number)) lengths.push(s + 1);
      at += 2 + (out[at + 1] as number);
    }
    if (lengths.length === 0) return out;
    const target = lengths[int(random, lengths.length)] as number;
    const choices = [0, 1, 255, 254, (out[target] as number) + 1, (out[target] as number) - 1, int(random, 256)];
    out[target] = (choices[int(random, choices.length)] as number) & 0xff;
    return out;
  },
  splice(input, random, seeds) {
    const other = seeds[int(random, seeds.length)] as Uint8Array;
    const a = int(random, input.length + 1);
    const b = int(random, other.length + 1);
    const out = new Uint8Array(a + other.length - b);
    out.set(input.subarray(0, a));
    out.set(other.subarray(b), a);
    return out;
  },
  pointerGames(input, random) {
    // Plant compression pointers (and reserved label bytes) inside option 120.
    const out = Uint8Array.from(input);
    for (let at = 240; at + 1 < out.length; ) {
      const code = out[at] as number;
      if (code === 0) { at += 1; continue; }
      if (code === 255) break;
      const length = out[at + 1] as number;
      if (code === 120 && length > 2) {
        for (let i = 1 + int(random, 3); i > 0; i--) {
          const p = at + 3 + int(random, length - 1);
          if (p + 1 >= out.length) continue;
          const kind = int(random, 4);
          if (kind === 0) out[p] = 0x40 + int(random, 0x80);
          else {
            out[p] = 0xc0 | int(random, 2);
            out[p + 1] = kind === 1 ? int(random, 256) : kind === 2 ? Math.max(0, p - at - 3 - int(random, 4)) : p - at - 3;
          }
        }
      }
      at += 2 + length;
    }
    return out;
  },
  truncate(input, random) {
    return input.subarray(0, int(random, input.length + 1));
  },
};

export const MUTATION_NAMES = Object.keys(mutations);

export function randomPacket(random: () => number): Uint8Array {
  const kind = int(random, 3);
  if (kind === 0) {
    // Raw noise, sometimes with a cookie so the option walker is reached.
    const out = Uint8Array.from({ length: int(random, 700) }, () => int(random, 256));
    if (out.length >= 240 && random() < 0.7) out.set([0x63, 0x82, 0x53, 0x63], 236);
    return out;
  }
  // Structured: random options (any code, any data) on a valid header, sometimes overloaded.
  const options = Array.from({ length: int(random, 12) }, () => ({
    code: 1 + int(random, 254),
    data: Uint8Array.from({ length: int(random, random() < 0.1 ? 400 : 40) }, () => (random() < 0.3 ? int(random, 8) : int(random, 256))),
  }));
  if (random() < 0.8) options.unshift({ code: 53, data: Uint8Array.of(int(random, 9)) });
  const file = random() < 0.2 ? [{ code: 120, data: Uint8Array.from({ length: int(random, 40) }, () => int(random, 256)) }] : undefined;
  return encodePacket({ header, options, ...(file ? { fileOptions: file } : {}), minLength: int(random, 2) * 300, longOptions: random() < 0.3 ? 'windows-250' : 'rfc3396' });
}

export function nextInput(random: () => number, seeds: Uint8Array[]): { input: Uint8Array; how: string } {
  if (random() < 0.3) return { input: randomPacket(random), how: 'random' };
  let input = seeds[int(random, seeds.length)] as Uint8Array;
  const steps = 1 + int(random, 3);
  const names: string[] = [];
  for (let i = 0; i < steps; i++) {
    const name = MUTATION_NAMES[int(random, MUTATION_NAMES.length)] as string;
    names.push(name);
    input = (mutations[name] as Mutation)(input, random, seeds);
  }
  return { input, how: names.join('+') };
}

/** Decode and check every invariant; returns a description of the first violation, or undefined. */
export function checkDecode(input: Uint8Array): string | undefined {
  let packet: DhcpPacket;
  let json: string;
  try {
    packet = decodePacket(input);
    json = JSON.stringify(packetToJSON(packet));
  } catch (error) {
    return `threw: ${(error as Error).stack ?? String(error)}`;
  }
  if (typeof json !== 'string') return 'JSON view not serialisable';
  for (const problem of packet.problems) {
    if (!problem.code || typeof problem.code !== 'string') return `problem without code: ${JSON.stringify(problem)}`;
    if (!problem.message || problem.message.includes('\n')) return `problem without a one-line message: ${JSON.stringify(problem)}`;
    if (problem.offset !== undefined && (problem.offset < 0 || !Number.isInteger(problem.offset))) return `bad offset: ${JSON.stringify(problem)}`;
    if (problem.offsetIn !== 'option' && problem.offset !== undefined && problem.offset > input.length) return `offset outside the datagram: ${JSON.stringify(problem)}`;
    if (problem.packetOffset !== undefined && (problem.packetOffset < 0 || problem.packetOffset >= input.length)) return `packetOffset outside: ${JSON.stringify(problem)}`;
    if (problem.offsetIn === 'option' && problem.option !== undefined) {
      const option = packet.options.get(problem.option);
      if (option && problem.offset !== undefined && problem.offset > option.data.length) return `option offset outside the value: ${JSON.stringify(problem)}`;
    }
  }
  for (const instance of packet.instances) {
    if (instance.offset < 0 || instance.offset + 2 + instance.data.length > input.length) return `instance outside the datagram: ${instance.code}@${instance.offset}`;
  }
  if (packet.endOffset !== undefined && packet.endOffset >= input.length) return 'END offset outside the datagram';
  return undefined;
}
