import { describe, expect, it } from 'vitest';
import { checkHostName, HostNameError } from '../../src/net/hostname.js';
import { formatIpv4, ipv4ToNumber, isLoopbackHost, isLoopbackIpv4, numberToIpv4, parseIpv4, requireIpv4 } from '../../src/net/ipv4.js';

describe('IPv4 text and bytes (src/net/ipv4.ts)', () => {
  it('parses dotted quads only, without leading zeros or extra parts', () => {
    expect(parseIpv4('10.99.0.2')).toEqual(Uint8Array.of(10, 99, 0, 2));
    for (const bad of ['10.99.0', '10.99.0.2.1', '256.0.0.1', '010.0.0.1', ' 10.0.0.1', 'a.b.c.d', '']) expect(parseIpv4(bad)).toBeUndefined();
    expect(() => requireIpv4('10.0.0', 'ciaddr')).toThrow(/^ciaddr: "10.0.0" is not an IPv4 address$/);
  });

  it('formats bytes at an offset, reading missing bytes as 0', () => {
    expect(formatIpv4(Uint8Array.of(9, 10, 99, 0, 2), 1)).toBe('10.99.0.2');
    expect(formatIpv4(Uint8Array.of(1, 2))).toBe('1.2.0.0');
  });

  it('converts to and from 32-bit numbers across the whole range', () => {
    expect(ipv4ToNumber('255.255.255.0')).toBe(0xffffff00);
    expect(numberToIpv4(0xffffff00)).toBe('255.255.255.0');
    expect(numberToIpv4(ipv4ToNumber('10.99.0.2') as number)).toBe('10.99.0.2');
    expect(ipv4ToNumber('10.99.0')).toBeUndefined();
  });

  it('knows loopback: 127/8, ::1 and localhost', () => {
    expect(isLoopbackIpv4('127.3.4.5')).toBe(true);
    expect(isLoopbackIpv4('128.0.0.1')).toBe(false);
    expect(isLoopbackIpv4('127.0.0.256')).toBe(false);
    expect(['localhost', '::1', '127.0.0.1'].map(isLoopbackHost)).toEqual([true, true, true]);
    expect(isLoopbackHost('10.0.0.1')).toBe(false);
  });
});

describe('host names (src/net/hostname.ts)', () => {
  it('accepts a trailing dot everywhere and drops it', () => {
    expect(checkHostName('pool01.example.com.')).toEqual({ name: 'pool01.example.com' });
    expect(checkHostName('Pool01.Example.com')).toEqual({ name: 'Pool01.Example.com' });
  });

  it('refuses bad labels, numeric top labels, single labels unless allowed, with one line naming why', () => {
    expect(() => checkHostName('pool..example.com')).toThrow(/empty label/);
    expect(() => checkHostName('-pool.example.com')).toThrow(/starts or ends with a hyphen/);
    expect(() => checkHostName('pool_1.example.com')).toThrow(/characters other than letters/);
    expect(() => checkHostName('10.0.0.1')).toThrow(/looks like an IP address/);
    expect(() => checkHostName(`${'a'.repeat(64)}.example.com`)).toThrow(/64 characters; at most 63/);
    expect(() => checkHostName('lync')).toThrow(/not fully qualified/);
    expect(checkHostName('lync', { requireDomain: false })).toEqual({ name: 'lync' });
    expect(() => checkHostName('')).toThrow(HostNameError);
  });

  it('converts an internationalised name to punycode with a note, or refuses it suggesting that form', () => {
    expect(checkHostName('pöol.exämple.com', { internationalised: 'convert' })).toEqual({
      name: 'xn--pol-sna.xn--exmple-cua.com',
      note: '"pöol.exämple.com" is used in its ASCII form "xn--pol-sna.xn--exmple-cua.com"',
    });
    expect(() => checkHostName('pöol.exämple.com')).toThrow('"pöol.exämple.com" is an internationalised name; give its ASCII form "xn--pol-sna.xn--exmple-cua.com"');
  });
});
