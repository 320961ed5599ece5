import { describe, expect, test } from 'vitest';
import { decodeNameList, encodeNameList, MAX_POINTER_HOPS } from '../../src/dhcp/names.js';
import { decodeSipServers, encodeSipServers } from '../../src/dhcp/option120.js';
import { describeOption } from '../../src/dhcp/options.js';
import type { Problem } from '../../src/dhcp/types.js';
import { OPTION_120_SCHERTZ, ascii, bytes, concat } from './helpers.js';

const codes = (problems: Problem[]) => problems.map((p) => `${p.severity}:${p.code}`);
const label = (text: string) => concat(bytes(text.length), ascii(text));
const enc0 = (...parts: Uint8Array[]) => concat(bytes(0), ...parts);

describe('b.6 worked example: two names, pointer counted after the enc byte', () => {
  const wire = enc0(label('lync'), label('schertz'), label('local'), bytes(0), label('pool2'), bytes(0xc0, 0x05));

  test('our encoder produces exactly the example bytes', () => {
    expect(Buffer.from(encodeSipServers({ names: ['lync.schertz.local', 'pool2.schertz.local'] })).toString('hex')).toBe(Buffer.from(wire).toString('hex'));
  });

  test('decodes to both names in order', () => {
    const sip = decodeSipServers(wire);
    expect(sip).toMatchObject({ encoding: 0, names: ['lync.schertz.local', 'pool2.schertz.local'], compressionOrigin: 'after-enc' });
    expect(sip.problems).toEqual([]);
  });

  test('the same list compressed with the origin on the enc byte (c0 06): standard read fails, retry warns naming the convention', () => {
    const wrong = encodeSipServers({ names: ['lync.schertz.local', 'pool2.schertz.local'] }, { pointerBias: 1 });
    expect(Array.from(wrong.subarray(-2))).toEqual([0xc0, 0x06]);
    const sip = decodeSipServers(wrong);
    expect(sip.names).toEqual(['lync.schertz.local', 'pool2.schertz.local']);
    expect(sip.compressionOrigin).toBe('enc-byte');
    expect(codes(sip.problems)).toEqual(['warn:name-wrong-compression-origin']);
    expect(sip.problems[0]!.message).toContain('encoding byte');
    // Without the fallback it is an error (the phone's view).
    const strict = decodeNameList(wrong, { start: 1, origin: 1, option: 120 });
    expect(strict.problems.some((p) => p.severity === 'error')).toBe(true);
    expect(strict.names).toEqual(['lync.schertz.local']);
  });

  test('option 119 uses origin 0 for the same list', () => {
    const list = encodeNameList(['schertz.local', 'lab.schertz.local']);
    expect(Array.from(list.subarray(-2))).toEqual([0xc0, 0x00]);
    expect(describeOption(119, list).value).toEqual(['schertz.local', 'lab.schertz.local']);
  });
});

describe('c.5 option 120', () => {
  test('schertz value decodes', () => {
    expect(decodeSipServers(OPTION_120_SCHERTZ).names).toEqual(['lync.schertz.local']);
  });

  test('length 0: "option 120 empty"', () => {
    expect(decodeSipServers(bytes()).problems).toMatchObject([{ severity: 'error', code: 'sip-empty', message: 'option 120 empty' }]);
  });

  test('only the enc byte: "lists no server"', () => {
    for (const enc of [0, 1]) expect(decodeSipServers(bytes(enc)).problems[0]?.message).toContain('option 120 lists no server');
  });

  test('enc other than 0 or 1: error naming the value', () => {
    const sip = decodeSipServers(bytes(2, 1, 2, 3, 4));
    expect(sip.problems).toMatchObject([{ severity: 'error', code: 'sip-unknown-encoding' }]);
    expect(sip.problems[0]!.message).toContain('encoding 2');
  });

  test('enc 1: addresses decoded with the FQDN warning; 1+4n violated: warn, whole addresses used', () => {
    const ok = decodeSipServers(bytes(1, 10, 0, 0, 5, 10, 0, 0, 6));
    expect(ok.addresses).toEqual(['10.0.0.5', '10.0.0.6']);
    expect(codes(ok.problems)).toEqual(['warn:sip-addresses-not-names']);
    const odd = decodeSipServers(bytes(1, 10, 0, 0, 5, 10, 0));
    expect(odd.addresses).toEqual(['10.0.0.5']);
    expect(codes(odd.problems)).toEqual(['warn:sip-address-length', 'warn:sip-addresses-not-names']);
  });

  test('enc 0 and a lone zero byte: "empty name"', () => {
    const sip = decodeSipServers(bytes(0, 0));
    expect(sip.names).toEqual([]);
    expect(sip.problems[0]).toMatchObject({ severity: 'error', code: 'name-empty' });
    expect(sip.problems[0]!.message).toContain('empty name');
  });

  const errorCase = (name: string, wire: Uint8Array, code: string, keptNames: string[] = []) =>
    test(`${name}: error ${code}`, () => {
      const result = decodeNameList(wire, { start: 1, origin: 1, option: 120 });
      expect(result.problems.find((p) => p.severity === 'error')?.code).toBe(code);
      expect(result.names).toEqual(keptNames);
      const sip = decodeSipServers(wire);
      expect(sip.problems.some((p) => p.severity === 'error')).toBe(true);
    });

  errorCase('pointer to its own offset', enc0(label('a'), bytes(0), bytes(0xc0, 0x03)), 'name-pointer-self', ['a']);
  errorCase('two pointers aimed at each other', enc0(bytes(0xc0, 0x02, 0xc0, 0x00)), 'name-pointer-forward');
  errorCase('pointer aimed forward', enc0(bytes(0xc0, 0x04), label('ab'), bytes(0)), 'name-pointer-forward');
  errorCase('pointer beyond the end of the data', enc0(label('a'), bytes(0), bytes(0xc0, 0x40)), 'name-pointer-beyond-end', ['a']);
  errorCase('pointer missing its second byte', enc0(label('a'), bytes(0), bytes(0xc0)), 'name-pointer-truncated', ['a']);
  errorCase('label length running past the data', enc0(label('lync'), bytes(9), ascii('abc')), 'name-label-overrun');
  errorCase('last name without its terminating zero', enc0(label('lync'), bytes(0), label('pool')), 'name-missing-terminator', ['lync']);
  errorCase('label byte in 0x40-0xBF', enc0(label('a'), bytes(0x41), ascii('x')), 'name-reserved-label-type');
  errorCase('label byte 0x80', enc0(bytes(0x80, 0x00)), 'name-reserved-label-type');
  errorCase(
    'name longer than 255 bytes',
    enc0(...Array.from({ length: 5 }, () => label('x'.repeat(63))), bytes(0)),
    'name-too-long',
  );
  errorCase('a pointer aimed back into its own name (loop)', enc0(label('ab'), bytes(0xc0, 0x00)), 'name-pointer-loop');

  test(`more than ${MAX_POINTER_HOPS} pointers in one name: error`, () => {
    // Each name is one label plus a pointer to the previous name: a legal chain that grows by one hop.
    const parts: Uint8Array[] = [label('a'), bytes(0)];
    let previous = 0;
    let offset = 3;
    for (let i = 0; i < MAX_POINTER_HOPS + 2; i++) {
      parts.push(label('b'), bytes(0xc0, previous));
      previous = offset;
      offset += 4;
    }
    const wire = enc0(...parts);
    const result = decodeNameList(wire, { start: 1, origin: 1 });
    expect(result.problems.at(-1)?.code).toBe('name-pointer-hops');
    expect(result.names.length).toBe(MAX_POINTER_HOPS + 1);
  });

  test('backward pointer into the middle of a label: decodes what it finds, terminates, host-name check warns', () => {
    // The first name's only label is the bytes 02 'h' 'i' 00; a pointer to its second byte reads "hi".
    const wire = enc0(bytes(4, 0x02, 0x68, 0x69, 0x00), bytes(0), label('x'), bytes(0xc0, 0x01));
    const sip = decodeSipServers(wire);
    expect(sip.names).toEqual(['\\002hi\\000', 'x.hi']);
    expect(codes(sip.problems)).toEqual(['warn:name-not-host-name']);
  });

  test('label with a dot or non host-name characters: decoded, warned', () => {
    const sip = decodeSipServers(enc0(label('ly.nc'), label('loc_al'), bytes(0)));
    expect(sip.names).toEqual(['ly\\046nc.loc_al']);
    expect(codes(sip.problems)).toEqual(['warn:name-not-host-name']);
  });

  test('several names: all kept in order; upper case accepted', () => {
    const sip = decodeSipServers(encodeSipServers({ names: ['LYNC.Schertz.local', 'pool2.schertz.local', 'other.example'] }));
    expect(sip.names).toEqual(['LYNC.Schertz.local', 'pool2.schertz.local', 'other.example']);
    expect(sip.problems).toEqual([]);
  });

  test('names before the first damaged one are kept, the option still errors', () => {
    const sip = decodeSipServers(enc0(label('one'), bytes(0), label('two'), bytes(0), bytes(0x90)));
    expect(sip.names).toEqual(['one', 'two']);
    expect(sip.problems.some((p) => p.severity === 'error')).toBe(true);
  });

  test('encoder compresses shared suffixes, rejects invalid names', () => {
    const list = encodeNameList(['a.example.com', 'b.example.com', 'example.com']);
    expect(list.length).toBe(15 + 4 + 2);
    expect(decodeNameList(list, { start: 0, origin: 0 }).names).toEqual(['a.example.com', 'b.example.com', 'example.com']);
    expect(encodeNameList(['a.example.com', 'b.example.com'], { compress: false }).length).toBe(30);
    expect(() => encodeNameList(['a..b'])).toThrow(RangeError);
    expect(() => encodeNameList(['x'.repeat(64) + '.com'])).toThrow(RangeError);
  });
});
