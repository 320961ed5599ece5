// Option 120, SIP servers (RFC 3361): an encoding byte, then DNS names (enc 0) or IPv4 addresses (enc 1).
// Compression offsets count from the byte after the encoding byte (dhcp.md b.6).

import { requireIpv4 } from '../net/ipv4.js';
import { decodeNameList, encodeNameList, type NameListEncodeOptions } from './names.js';
import type { Problem, SipServersOption } from './types.js';

export const SIP_ENCODING_NAMES = 0;
export const SIP_ENCODING_ADDRESSES = 1;

const ENC_BYTE_CONVENTION =
  'compression offsets counted from the encoding byte (a convention of some DHCP libraries; dnsmasq, ISC dhcpd, Wireshark and RFC 3361 practice count from the byte after it)';

/** Decode the reassembled option 120 value. Problem offsets count from the encoding byte (offset 0). */
export function decodeSipServers(data: Uint8Array): SipServersOption {
  const problems: Problem[] = [];
  const result: SipServersOption = { encoding: -1, names: [], addresses: [], problems };
  const problem = (severity: Problem['severity'], code: string, message: string, offset?: number): void => {
    problems.push({ severity, code, option: 120, ...(offset !== undefined ? { offset, offsetIn: 'option' as const } : {}), message });
  };
  if (data.length === 0) {
    problem('error', 'sip-empty', 'option 120 empty');
    return result;
  }
  const encoding = data[0] as number;
  result.encoding = encoding;
  if (encoding !== SIP_ENCODING_NAMES && encoding !== SIP_ENCODING_ADDRESSES) {
    problem('error', 'sip-unknown-encoding', `option 120 encoding ${encoding} is undefined (0 = names, 1 = IPv4 addresses)`, 0);
    return result;
  }
  if (data.length === 1) {
    problem('error', 'sip-no-server', 'option 120 lists no server (only the encoding byte)', 0);
    return result;
  }
  if (encoding === SIP_ENCODING_ADDRESSES) {
    const count = Math.floor((data.length - 1) / 4);
    if ((data.length - 1) % 4 !== 0) {
      problem('warn', 'sip-address-length', `option 120 encoding 1 has ${data.length - 1} address bytes, not a multiple of 4; the last ${(data.length - 1) % 4} ignored`, 1 + count * 4);
    }
    for (let i = 0; i < count; i++) result.addresses.push(Array.from(data.subarray(1 + i * 4, 5 + i * 4)).join('.'));
    if (count === 0) problem('error', 'sip-no-server', 'option 120 encoding 1 holds no complete IPv4 address', 1);
    else problem('warn', 'sip-addresses-not-names', 'option 120 gives IPv4 addresses (encoding 1); Lync phones need an FQDN for TLS', 0);
    return result;
  }
  const decoded = decodeNameList(data, {
    start: 1,
    origin: 1,
    option: 120,
    fallbackOrigin: 0,
    fallbackConvention: ENC_BYTE_CONVENTION,
  });
  result.names = decoded.names;
  result.compressionOrigin = decoded.originUsed === 1 ? 'after-enc' : 'enc-byte';
  problems.push(...decoded.problems);
  return result;
}

export type SipServersValue = { names: readonly string[] } | { addresses: readonly string[] };

/** Encode option 120's value: enc 0 + names (compressed across names by default), or enc 1 + addresses. */
export function encodeSipServers(value: SipServersValue, options: NameListEncodeOptions = {}): Uint8Array {
  if ('names' in value) {
    if (value.names.length === 0) throw new RangeError('option 120 needs at least one name');
    const list = encodeNameList(value.names, options);
    const out = new Uint8Array(1 + list.length);
    out[0] = SIP_ENCODING_NAMES;
    out.set(list, 1);
    return out;
  }
  if (value.addresses.length === 0) throw new RangeError('option 120 needs at least one address');
  const out = new Uint8Array(1 + value.addresses.length * 4);
  out[0] = SIP_ENCODING_ADDRESSES;
  value.addresses.forEach((address, i) => out.set(requireIpv4(address, 'option 120'), 1 + i * 4));
  return out;
}
