// Table-driven option value codecs, one small object per option: decode (collects problems, never
// throws), encode (throws RangeError for a value that cannot be encoded), encodingLength, describe.
// Values here are option *values*; code and length bytes are written by packet.ts.

import { formatIpv4, requireIpv4 } from '../net/ipv4.js';
import { formatHex } from './hex.js';
import { decodeMsUcVendorInfo, encodeSubOptions, subOptionName, subOptionsEncodingLength, quoteBytes } from './msuc.js';
import { decodeNameList, encodeNameList } from './names.js';
import { decodeSipServers, encodeSipServers } from './option120.js';
import type { MsUcVendorInfo, Problem, SipServersOption, SubOption } from './types.js';

export interface OptionDecode<T> {
  value?: T;
  problems: Problem[];
}

export interface OptionCodec<T> {
  code: number;
  name: string;
  decode(data: Uint8Array): OptionDecode<T>;
  /** Write the value into `buffer` at `offset` (a new array when none is given) and return the buffer. */
  encode(value: T, buffer?: Uint8Array, offset?: number): Uint8Array;
  encodingLength(value: T): number;
  /** One line for people. */
  describe(value: T): string;
  /** A JSON-safe form of the value. */
  toJSON(value: T): unknown;
}

export interface ClientIdentifier {
  type: number;
  data: Uint8Array;
  /** Set when type is 1 (Ethernet) and data is 6 bytes. */
  hardwareAddress?: string;
}

export const MESSAGE_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'DHCPDISCOVER',
  2: 'DHCPOFFER',
  3: 'DHCPREQUEST',
  4: 'DHCPDECLINE',
  5: 'DHCPACK',
  6: 'DHCPNAK',
  7: 'DHCPRELEASE',
  8: 'DHCPINFORM',
};

export const OVERLOAD_NAMES: Readonly<Record<number, string>> = { 1: 'file', 2: 'sname', 3: 'file and sname' };

/** Names for options we know by number; the ones with codecs are listed again in CODECS. */
const OPTION_NAMES: Readonly<Record<number, string>> = {
  0: 'pad',
  1: 'subnet mask',
  2: 'time offset',
  3: 'routers',
  4: 'time servers',
  5: 'name servers',
  6: 'domain name servers',
  7: 'log servers',
  12: 'host name',
  15: 'domain name',
  26: 'interface MTU',
  28: 'broadcast address',
  33: 'static routes',
  42: 'NTP servers',
  43: 'vendor-specific information',
  44: 'NetBIOS name servers',
  46: 'NetBIOS node type',
  47: 'NetBIOS scope',
  50: 'requested IP address',
  51: 'IP address lease time',
  52: 'option overload',
  53: 'DHCP message type',
  54: 'server identifier',
  55: 'parameter request list',
  56: 'message',
  57: 'maximum DHCP message size',
  58: 'renewal time',
  59: 'rebinding time',
  60: 'vendor class identifier',
  61: 'client identifier',
  66: 'TFTP server name',
  67: 'bootfile name',
  81: 'client FQDN',
  82: 'relay agent information',
  119: 'domain search',
  120: 'SIP servers',
  121: 'classless static routes',
  150: 'TFTP server addresses',
  249: 'classless static routes (Microsoft)',
  250: 'site-specific 250 (Windows continuation)',
  252: 'WPAD URL',
  255: 'end',
};

export function optionName(code: number): string {
  return OPTION_NAMES[code] ?? (code >= 224 && code <= 254 ? `site-specific ${code}` : `option ${code}`);
}

function warn(code: number, problemCode: string, message: string): Problem {
  return { severity: 'warn', code: problemCode, option: code, message };
}

function error(code: number, problemCode: string, message: string): Problem {
  return { severity: 'error', code: problemCode, option: code, message };
}

function target(buffer: Uint8Array | undefined, offset: number, length: number): Uint8Array {
  const out = buffer ?? new Uint8Array(offset + length);
  if (out.length < offset + length) throw new RangeError('buffer too small for the option value');
  return out;
}


function ipv4Codec(code: number): OptionCodec<string> {
  return {
    code,
    name: optionName(code),
    decode(data) {
      if (data.length !== 4) return { problems: [error(code, 'option-length', `option ${code} (${optionName(code)}) is ${data.length} bytes, an IPv4 address needs 4`)] };
      return { value: formatIpv4(data), problems: [] };
    },
    encode(value, buffer, offset = 0) {
      const out = target(buffer, offset, 4);
      out.set(requireIpv4(value, `option ${code}`), offset);
      return out;
    },
    encodingLength: () => 4,
    describe: (value) => value,
    toJSON: (value) => value,
  };
}

function ipv4ListCodec(code: number): OptionCodec<string[]> {
  return {
    code,
    name: optionName(code),
    decode(data) {
      const problems: Problem[] = [];
      if (data.length === 0 || data.length % 4 !== 0) {
        problems.push(warn(code, 'option-length', `option ${code} (${optionName(code)}) is ${data.length} bytes, not a non-zero multiple of 4; partial address ignored`));
      }
      const value: string[] = [];
      for (let i = 0; i + 4 <= data.length; i += 4) value.push(formatIpv4(data, i));
      return { value, problems };
    },
    encode(value, buffer, offset = 0) {
      const out = target(buffer, offset, value.length * 4);
      value.forEach((address, i) => out.set(requireIpv4(address, `option ${code}`), offset + i * 4));
      return out;
    },
    encodingLength: (value) => value.length * 4,
    describe: (value) => value.join(', '),
    toJSON: (value) => value,
  };
}

function unsignedCodec(code: number, size: 1 | 2 | 4, names?: Readonly<Record<number, string>>): OptionCodec<number> {
  return {
    code,
    name: optionName(code),
    decode(data) {
      if (data.length !== size) {
        return { problems: [error(code, 'option-length', `option ${code} (${optionName(code)}) is ${data.length} bytes, expected ${size}`)] };
      }
      let value = 0;
      for (const byte of data) value = value * 256 + byte;
      return { value, problems: [] };
    },
    encode(value, buffer, offset = 0) {
      if (!Number.isInteger(value) || value < 0 || value >= 2 ** (8 * size)) throw new RangeError(`option ${code}: ${value} does not fit in ${size} byte(s)`);
      const out = target(buffer, offset, size);
      for (let i = size - 1, rest = value; i >= 0; i--, rest = Math.floor(rest / 256)) out[offset + i] = rest % 256;
      return out;
    },
    encodingLength: () => size,
    describe: (value) => (names?.[value] ? `${value} (${names[value]})` : String(value)),
    toJSON: (value) => (names?.[value] ? { value, name: names[value] } : value),
  };
}

function textCodec(code: number): OptionCodec<string> {
  return {
    code,
    name: optionName(code),
    decode(data) {
      // RFC 2132 §2 asks receivers to tolerate a trailing NUL on text options.
      let end = data.length;
      while (end > 0 && data[end - 1] === 0) end -= 1;
      let value = '';
      for (let i = 0; i < end; i++) value += String.fromCharCode(data[i] as number);
      return { value, problems: [] };
    },
    encode(value, buffer, offset = 0) {
      const out = target(buffer, offset, value.length);
      for (let i = 0; i < value.length; i++) {
        const char = value.charCodeAt(i);
        if (char > 0xff) throw new RangeError(`option ${code}: "${value}" is not 8-bit text`);
        out[offset + i] = char;
      }
      return out;
    },
    encodingLength: (value) => value.length,
    describe: (value) => quoteBytes(Uint8Array.from(value, (c) => c.charCodeAt(0)), 200),
    toJSON: (value) => value,
  };
}

function byteListCodec(code: number): OptionCodec<number[]> {
  return {
    code,
    name: optionName(code),
    decode: (data) => ({ value: Array.from(data), problems: [] }),
    encode(value, buffer, offset = 0) {
      const out = target(buffer, offset, value.length);
      out.set(value, offset);
      return out;
    },
    encodingLength: (value) => value.length,
    describe: (value) => value.map((c) => (code === 55 ? `${c} (${optionName(c)})` : String(c))).join(', '),
    toJSON: (value) => value,
  };
}

export const bytesCodec = (code: number): OptionCodec<Uint8Array> => ({
  code,
  name: optionName(code),
  decode: (data) => ({ value: data, problems: [] }),
  encode(value, buffer, offset = 0) {
    const out = target(buffer, offset, value.length);
    out.set(value, offset);
    return out;
  },
  encodingLength: (value) => value.length,
  describe: (value) => formatHex(value),
  toJSON: (value) => formatHex(value),
});

function macText(data: Uint8Array): string {
  return Array.from(data, (b) => b.toString(16).padStart(2, '0')).join(':');
}

const clientIdentifierCodec: OptionCodec<ClientIdentifier> = {
  code: 61,
  name: optionName(61),
  decode(data) {
    if (data.length < 2) return { problems: [warn(61, 'option-length', `option 61 (client identifier) is ${data.length} bytes; at least 2 expected`)] };
    const type = data[0] as number;
    const rest = data.subarray(1);
    return { value: { type, data: rest, ...(type === 1 && rest.length === 6 ? { hardwareAddress: macText(rest) } : {}) }, problems: [] };
  },
  encode(value, buffer, offset = 0) {
    const out = target(buffer, offset, 1 + value.data.length);
    out[offset] = value.type;
    out.set(value.data, offset + 1);
    return out;
  },
  encodingLength: (value) => 1 + value.data.length,
  describe: (value) => (value.hardwareAddress ? `type 1 (Ethernet) ${value.hardwareAddress}` : `type ${value.type} ${formatHex(value.data)}`),
  toJSON: (value) => ({ type: value.type, ...(value.hardwareAddress ? { hardwareAddress: value.hardwareAddress } : {}), hex: formatHex(value.data) }),
};

/** Option 43 value: MS-UC-Client sub-options. Encoding writes the sub-options in their listed order. */
const vendorInfoCodec: OptionCodec<MsUcVendorInfo> = {
  code: 43,
  name: optionName(43),
  decode(data) {
    const value = decodeMsUcVendorInfo(data);
    return { value, problems: value.problems };
  },
  encode(value, buffer, offset = 0) {
    const length = vendorInfoCodec.encodingLength(value);
    const out = target(buffer, offset, length);
    encodeSubOptions(value.subOptions, out, offset);
    if (value.endSeen) out[offset + length - 1] = 255;
    return out;
  },
  encodingLength: (value) => subOptionsEncodingLength(value.subOptions) + (value.endSeen ? 1 : 0),
  describe: (value) =>
    value.subOptions.map((sub) => `${sub.code} ${subOptionName(sub.code)}=${quoteBytes(sub.data)}`).join(', ') +
    (value.certProvisioningUrl ? ` -> ${value.certProvisioningUrl}` : ''),
  toJSON: (value) => vendorInfoToJSON(value),
};

export function vendorInfoToJSON(value: MsUcVendorInfo): Record<string, unknown> {
  const sub = (s: SubOption): Record<string, unknown> => ({
    code: s.code,
    name: subOptionName(s.code),
    offset: s.offset,
    ...(isText(s.data) ? { text: String.fromCharCode(...s.data) } : {}),
    hex: formatHex(s.data),
  });
  return {
    subOptions: value.subOptions.filter((s) => s.code >= 1 && s.code <= 5).map(sub),
    unknownSubOptions: value.subOptions.filter((s) => s.code < 1 || s.code > 5).map(sub),
    endSubOptionSeen: value.endSeen,
    ...(value.ucIdentifier !== undefined ? { ucIdentifier: value.ucIdentifier } : {}),
    ...(value.urlScheme !== undefined ? { urlScheme: value.urlScheme } : {}),
    ...(value.webServerFqdn !== undefined ? { webServerFqdn: value.webServerFqdn } : {}),
    ...(value.webServerPort !== undefined ? { webServerPort: value.webServerPort } : {}),
    ...(value.certProvRelPath !== undefined ? { certProvRelPath: value.certProvRelPath } : {}),
    ...(value.certProvisioningUrl !== undefined ? { certProvisioningUrl: value.certProvisioningUrl } : {}),
  };
}

function isText(data: Uint8Array): boolean {
  for (const byte of data) if (byte < 0x20 || byte >= 0x7f) return false;
  return true;
}

/** Option 120 value. Names are compressed across names when encoded. */
const sipServersCodec: OptionCodec<SipServersOption> = {
  code: 120,
  name: optionName(120),
  decode(data) {
    const value = decodeSipServers(data);
    return { value, problems: value.problems };
  },
  encode(value, buffer, offset = 0) {
    const bytes = encodeSipServers(value.encoding === 1 ? { addresses: value.addresses } : { names: value.names });
    const out = target(buffer, offset, bytes.length);
    out.set(bytes, offset);
    return out;
  },
  encodingLength: (value) => encodeSipServers(value.encoding === 1 ? { addresses: value.addresses } : { names: value.names }).length,
  describe: (value) => (value.encoding === 1 ? `addresses ${value.addresses.join(', ')}` : value.names.join(', ')),
  toJSON: (value) => ({
    encoding: value.encoding,
    names: value.names,
    ...(value.addresses.length > 0 ? { addresses: value.addresses } : {}),
    ...(value.compressionOrigin ? { compressionOrigin: value.compressionOrigin } : {}),
  }),
};

/** Option 119 (RFC 3397): the name list is the whole value, compression offset 0 = its first byte. */
const domainSearchCodec: OptionCodec<string[]> = {
  code: 119,
  name: optionName(119),
  decode(data) {
    const decoded = decodeNameList(data, { start: 0, origin: 0, option: 119 });
    if (data.length === 0) decoded.problems.push(error(119, 'option-empty', 'option 119 empty'));
    return { value: decoded.names, problems: decoded.problems };
  },
  encode(value, buffer, offset = 0) {
    const bytes = encodeNameList(value);
    const out = target(buffer, offset, bytes.length);
    out.set(bytes, offset);
    return out;
  },
  encodingLength: (value) => encodeNameList(value).length,
  describe: (value) => value.join(', '),
  toJSON: (value) => value,
};

/** Every option with a typed value. Anything else is kept as bytes. */
export const CODECS = {
  1: ipv4Codec(1),
  3: ipv4ListCodec(3),
  4: ipv4ListCodec(4),
  6: ipv4ListCodec(6),
  12: textCodec(12),
  15: textCodec(15),
  28: ipv4Codec(28),
  42: ipv4ListCodec(42),
  43: vendorInfoCodec,
  50: ipv4Codec(50),
  51: unsignedCodec(51, 4),
  52: unsignedCodec(52, 1, OVERLOAD_NAMES),
  53: unsignedCodec(53, 1, MESSAGE_TYPE_NAMES),
  54: ipv4Codec(54),
  55: byteListCodec(55),
  56: textCodec(56),
  57: unsignedCodec(57, 2),
  58: unsignedCodec(58, 4),
  59: unsignedCodec(59, 4),
  60: textCodec(60),
  61: clientIdentifierCodec,
  66: textCodec(66),
  67: textCodec(67),
  119: domainSearchCodec,
  120: sipServersCodec,
  250: bytesCodec(250),
} as const;

export type TypedOptionCode = keyof typeof CODECS;
export type OptionValue<C extends TypedOptionCode> = (typeof CODECS)[C] extends OptionCodec<infer T> ? T : never;

export function codecFor(code: number): OptionCodec<unknown> | undefined {
  return (CODECS as Record<number, OptionCodec<unknown>>)[code];
}

/** Encode a typed value into an option's data bytes, e.g. `optionData(53, 8)`. */
export function optionData<C extends TypedOptionCode>(code: C, value: OptionValue<C>): { code: C; data: Uint8Array } {
  const codec = CODECS[code] as unknown as OptionCodec<OptionValue<C>>;
  return { code, data: codec.encode(value) };
}

export interface DescribedOption {
  code: number;
  name: string;
  /** The value in words, or hex for options without a codec. */
  text: string;
  /** A JSON-safe decoded value (hex string for unknown options). */
  value: unknown;
  problems: Problem[];
}

/** Decode one option's data (already reassembled) and say what it is. Never throws. */
export function describeOption(code: number, data: Uint8Array): DescribedOption {
  const codec = codecFor(code);
  if (!codec) return { code, name: optionName(code), text: formatHex(data), value: formatHex(data), problems: [] };
  const decoded = codec.decode(data);
  if (decoded.value === undefined) return { code, name: codec.name, text: formatHex(data), value: formatHex(data), problems: decoded.problems };
  return { code, name: codec.name, text: codec.describe(decoded.value), value: codec.toJSON(decoded.value), problems: decoded.problems };
}
