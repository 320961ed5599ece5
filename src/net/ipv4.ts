// IPv4 addresses as text and as bytes: the one parser and formatter for the DHCP codec, the INFORM
// client, the server-config writer, the command line and the lab. No imports beyond node:, so every
// layer can use it.

import { isIPv4 } from 'node:net';

/** The four bytes of a dotted quad ("10.0.0.5"; no leading zeros), or undefined when it is not one. */
export function parseIpv4(text: string): Uint8Array | undefined {
  if (!isIPv4(text)) return undefined;
  return Uint8Array.from(text.split('.'), Number);
}

/** Like parseIpv4, for values that must be an address; the RangeError names `what`. */
export function requireIpv4(text: string, what: string): Uint8Array {
  const bytes = parseIpv4(text);
  if (!bytes) throw new RangeError(`${what}: "${text}" is not an IPv4 address`);
  return bytes;
}

/** Dotted quad of the four bytes at `offset` (missing bytes read as 0: decoders never throw). */
export function formatIpv4(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset] ?? 0}.${bytes[offset + 1] ?? 0}.${bytes[offset + 2] ?? 0}.${bytes[offset + 3] ?? 0}`;
}

/** The address as an unsigned 32-bit number, or undefined when the text is not an address. */
export function ipv4ToNumber(text: string): number | undefined {
  const bytes = parseIpv4(text);
  return bytes ? (((bytes[0] as number) << 24) | ((bytes[1] as number) << 16) | ((bytes[2] as number) << 8) | (bytes[3] as number)) >>> 0 : undefined;
}

export function numberToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join('.');
}

/** 127.0.0.0/8. */
export function isLoopbackIpv4(address: string): boolean {
  return isIPv4(address) && address.startsWith('127.');
}

/** A host that names this machine's loopback: 127.0.0.0/8, ::1 or "localhost". */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || isLoopbackIpv4(host);
}
