import { describe, expect, test } from 'vitest';
import { formatHex, HexParseError, parseHex } from '../../src/dhcp/hex.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('parseHex', () => {
  test('accepts whitespace, colons, dashes, 0x prefixes, \\x escapes and mixed case', () => {
    for (const text of ['00046C79', '00 04 6c 79', '00:04:6C:79', '00-04-6c-79', '0x00 0x04 0x6C 0x79', '\\x00\\x04\\x6c\\x79', ' 0004\n6c79\t', '0x00046c79']) {
      expect(hex(parseHex(text)), text).toBe('00046c79');
    }
  });

  test('reads a Wireshark hex dump with offsets and an ASCII column that looks like hex', () => {
    const dump = [
      '0000   02 01 06 00 ab eb 5f 94 00 00 00 00 0a 63 00 02   ......_......c..',
      '0010   ca fe ba be de ad be ef 00 11 22 33 44 55 66 77   cafebabedeadbeef',
      '0020   63 82                                             c.',
    ].join('\n');
    const bytes = parseHex(dump);
    expect(bytes.length).toBe(34);
    expect(hex(bytes.subarray(16, 24))).toBe('cafebabedeadbeef');
    expect(hex(bytes.subarray(32))).toBe('6382');
  });

  test('reads xxd output (grouped digits, colon after the offset)', () => {
    const dump = '00000000: 0201 0600 abeb 5f94 0000 0000 0a63 0002  ......_......c..\n00000010: 6382 5363                                c.Sc';
    expect(hex(parseHex(dump))).toBe('02010600abeb5f94000000000a6300026382' + '5363');
  });

  test('clear errors: bad character with its position, odd digit count', () => {
    expect(() => parseHex('00 4g')).toThrow(HexParseError);
    expect(() => parseHex('00 4g')).toThrow(/not hex: "g" at character 5/);
    expect(() => parseHex('00 04\n6c 7z')).toThrow(/line 2, column 5/);
    expect(() => parseHex('000')).toThrow(/odd number of hex digits \(3\)/);
  });
});

describe('formatHex', () => {
  test('upper, lower and separated', () => {
    const bytes = Uint8Array.of(0, 0xab, 0x0c);
    expect(formatHex(bytes)).toBe('00ab0c');
    expect(formatHex(bytes, { upper: true })).toBe('00AB0C');
    expect(formatHex(bytes, { separator: ':' })).toBe('00:ab:0c');
  });
});
