// Option 43 for vendor class MS-UC-Client: encapsulated sub-options 1..5 that spell the
// certificate-provisioning URL (dhcp.md b.5, c.4). Decoding collects problems, never throws.

import { formatHex } from './hex.js';
import { MSUC_SUBOPTION, type MsUcVendorInfo, type Problem, type SubOption } from './types.js';

export const MSUC_VENDOR_CLASS = 'MS-UC-Client';
export const MSUC_DEFAULT_SCHEME = 'https';
export const MSUC_DEFAULT_PORT = 443;
export const MSUC_DEFAULT_PATH = '/CertProv/CertProvisioningService.svc';

/** Sub-option names as the Windows option definitions call them, and DHCPUtil's printed labels. */
export const MSUC_SUBOPTION_INFO: Readonly<Record<number, { name: string; label: string }>> = {
  1: { name: 'UCIdentifier', label: 'UC Identifier' },
  2: { name: 'URLScheme', label: 'URL Scheme' },
  3: { name: 'WebServerFqdn', label: 'Web Server FQDN' },
  4: { name: 'WebServerPort', label: 'Port' },
  5: { name: 'CertProvRelPath', label: 'Relative Path for Cert Prov' },
  220: { name: 'NAP', label: 'NAP' },
};

export function subOptionName(code: number): string {
  return MSUC_SUBOPTION_INFO[code]?.name ?? `sub-option ${code}`;
}

const OPTION_57_HINT =
  'a server that runs out of room drops them: retry with --max-message-size 1500 (option 57) or shorten the values';

interface WalkResult {
  subOptions: SubOption[];
  endSeen: boolean;
  /** Offset of the sub-option that ran past the end, if one did. */
  overrunAt?: number;
  /** Offset of the first non-PAD byte after END, if any. */
  trailingAfterEnd?: number;
}

function walkSubOptions(data: Uint8Array): WalkResult {
  const subOptions: SubOption[] = [];
  let position = 0;
  while (position < data.length) {
    const code = data[position] as number;
    if (code === 0) {
      position += 1;
      continue;
    }
    if (code === 255) {
      let trailing: number | undefined;
      for (let i = position + 1; i < data.length; i++) {
        if (data[i] !== 0) {
          trailing = i;
          break;
        }
      }
      return { subOptions, endSeen: true, ...(trailing !== undefined ? { trailingAfterEnd: trailing } : {}) };
    }
    if (position + 1 >= data.length) return { subOptions, endSeen: false, overrunAt: position };
    const length = data[position + 1] as number;
    if (position + 2 + length > data.length) return { subOptions, endSeen: false, overrunAt: position };
    subOptions.push({ code, offset: position, data: data.subarray(position + 2, position + 2 + length) });
    position += 2 + length;
  }
  return { subOptions, endSeen: false };
}

function joinPieces(list: readonly SubOption[]): Uint8Array {
  const out = new Uint8Array(list.reduce((total, sub) => total + sub.data.length, 0));
  let position = 0;
  for (const sub of list) {
    out.set(sub.data, position);
    position += sub.data.length;
  }
  return out;
}

function isPrintableText(data: Uint8Array): boolean {
  if (data.length === 0) return false;
  for (const byte of data) if (!((byte >= 0x20 && byte < 0x7f) || byte === 0x09 || byte === 0x0a || byte === 0x0d)) return false;
  return true;
}

function asciiText(data: Uint8Array): string {
  let text = '';
  for (const byte of data) text += String.fromCharCode(byte);
  return text;
}

/** Show bytes as text with anything unprintable escaped, for messages. */
export function quoteBytes(data: Uint8Array, max = 80): string {
  let text = '';
  for (const byte of data.subarray(0, max)) {
    if (byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c) text += String.fromCharCode(byte);
    else text += '\\x' + byte.toString(16).padStart(2, '0');
  }
  return `"${text}${data.length > max ? '…' : ''}"`;
}

/**
 * Decode option 43 as MS-UC-Client sub-options. `data` is the reassembled option value.
 * Problem offsets count from the first byte of that value.
 */
export function decodeMsUcVendorInfo(data: Uint8Array): MsUcVendorInfo {
  const problems: Problem[] = [];
  const problem = (severity: Problem['severity'], code: string, message: string, offset?: number, subOption?: number): void => {
    problems.push({
      severity,
      code,
      option: 43,
      ...(subOption !== undefined ? { subOption } : {}),
      ...(offset !== undefined ? { offset, offsetIn: 'option' as const } : {}),
      message,
    });
  };
  const info: MsUcVendorInfo = { subOptions: [], endSeen: false, problems };

  if (data.length === 0) {
    problem('error', 'msuc-empty', 'option 43 is empty: no MS-UC-Client sub-options');
    return info;
  }

  const walk = walkSubOptions(data);
  const knownFound = walk.subOptions.some((sub) => sub.code >= 1 && sub.code <= 5);
  // A valid list starts with a code and a length; text typed into option 43 (a URL, a name) does not
  // walk cleanly and contains no sub-option 1..5.
  if (isPrintableText(data) && (walk.overrunAt !== undefined || !knownFound)) {
    problem('error', 'msuc-not-suboptions', `option 43 is not MS-UC-Client sub-options; as text it reads ${quoteBytes(data, 200)}`, 0);
    return info;
  }
  if (walk.overrunAt === 0) {
    problem('error', 'msuc-not-suboptions', `option 43 is not MS-UC-Client sub-options (first sub-option overruns at offset 0): ${formatHex(data.subarray(0, 32), { separator: ' ' })}`, 0);
    return info;
  }

  info.subOptions = walk.subOptions;
  info.endSeen = walk.endSeen;
  if (walk.overrunAt !== undefined) {
    const code = data[walk.overrunAt] as number;
    problem('error', 'msuc-damaged', `option 43 damaged at offset ${walk.overrunAt}: sub-option ${code} runs past the end of the option`, walk.overrunAt, code);
  }
  if (walk.trailingAfterEnd !== undefined) {
    problem('warn', 'msuc-data-after-end', `option 43 has data after its END sub-option (offset ${walk.trailingAfterEnd}); ignored`, walk.trailingAfterEnd);
  }

  // RFC 3396 applied to the encapsulated space: a repeated code is one value split in pieces. Pieces
  // are joined once per code, so a value made of thousands of repeats costs linear work.
  const pieces = new Map<number, SubOption[]>();
  for (const sub of walk.subOptions) {
    const list = pieces.get(sub.code);
    if (list) list.push(sub);
    else pieces.set(sub.code, [sub]);
  }
  const joined = new Map<number, { offset: number; data: Uint8Array }>();
  for (const [code, list] of pieces) {
    const first = list[0] as SubOption;
    joined.set(code, { offset: first.offset, data: list.length === 1 ? first.data : joinPieces(list) });
    if (list.length > 1) {
      problem('warn', 'msuc-repeated-suboption', `option 43: sub-option ${code} (${subOptionName(code)}) appears ${list.length} times; values joined`, (list[1] as SubOption).offset, code);
    }
  }

  if (!knownFound) {
    const codes = walk.subOptions.map((sub) => sub.code).join(', ');
    problem(
      'error',
      'msuc-no-known-suboptions',
      `option 43 holds none of the MS-UC-Client sub-options 1-5${codes ? ` (only ${codes})` : ''}; ${OPTION_57_HINT}`,
      0,
    );
    return info;
  }

  const text = (code: number): string | undefined => {
    const entry = joined.get(code);
    if (!entry || entry.data.length === 0) return undefined;
    return subOptionText(entry.data, entry.offset, code, problem);
  };

  const identifier = text(MSUC_SUBOPTION.ucIdentifier);
  if (identifier !== undefined) {
    info.ucIdentifier = identifier;
    if (identifier !== MSUC_VENDOR_CLASS) {
      problem('warn', 'msuc-identifier-mismatch', `option 43 sub-option 1 is "${identifier}", not "${MSUC_VENDOR_CLASS}": the server may have answered with another vendor's data`, joined.get(1)?.offset, 1);
    }
  } else if (!joined.get(MSUC_SUBOPTION.ucIdentifier)?.data.length) {
    problem('warn', 'msuc-identifier-missing', `option 43 has no sub-option 1 (UCIdentifier)`, undefined, 1);
  }

  const scheme = text(MSUC_SUBOPTION.urlScheme);
  if (scheme !== undefined) {
    info.urlScheme = scheme;
    if (scheme !== MSUC_DEFAULT_SCHEME) {
      problem('warn', 'msuc-scheme-not-https', `option 43 sub-option 2 (URLScheme) is "${scheme}", not "https"`, joined.get(2)?.offset, 2);
    }
  }

  const fqdn = text(MSUC_SUBOPTION.webServerFqdn);
  if (fqdn !== undefined) {
    info.webServerFqdn = fqdn;
    if (!/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?$/.test(fqdn)) {
      problem('warn', 'msuc-fqdn-not-host-name', `option 43 sub-option 3 (WebServerFqdn) "${fqdn}" is not a valid host name`, joined.get(3)?.offset, 3);
    }
  }

  const portEntry = joined.get(MSUC_SUBOPTION.webServerPort);
  if (portEntry && portEntry.data.length > 0) {
    const port = decodePort(portEntry.data, portEntry.offset, problem);
    if (port !== undefined) info.webServerPort = port;
  }

  const path = text(MSUC_SUBOPTION.certProvRelPath);
  let pathUsable = false;
  if (path !== undefined) {
    info.certProvRelPath = path;
    if (!path.startsWith('/')) {
      problem('error', 'msuc-path-not-absolute', `option 43 sub-option 5 (CertProvRelPath) "${path}" does not start with "/"`, joined.get(5)?.offset, 5);
    } else {
      pathUsable = true;
    }
  }

  // dnsmasq without option 57 silently drops the sub-options that do not fit (dhcp.md a.6): an absent
  // sub-option next to present ones is the fingerprint of that, so say how to tell.
  const absentCodes = [1, 2, 3, 4, 5].filter((code) => !joined.has(code));
  const cutHint =
    absentCodes.length > 0 && absentCodes.length < 5
      ? '; if the server has it configured, the server ran out of room and dropped it: retry with --max-message-size 1500 (option 57) or shorten the values'
      : '';
  for (const code of [2, 3, 4, 5]) {
    const entry = joined.get(code);
    if (!entry || entry.data.length === 0) {
      problem(
        'error',
        'msuc-missing-suboption',
        `option 43 has no sub-option ${code} (${subOptionName(code)})${entry ? ': it is empty' : ''}; no certificate-provisioning URL (a phone falls back to DNS)${entry ? '' : cutHint}`,
        entry?.offset,
        code,
      );
    }
  }

  if (info.urlScheme !== undefined && info.webServerFqdn !== undefined && info.webServerPort !== undefined && pathUsable) {
    info.certProvisioningUrl = `${info.urlScheme}://${info.webServerFqdn}:${info.webServerPort}${info.certProvRelPath}`;
  }
  return info;
}

type ProblemSink = (severity: Problem['severity'], code: string, message: string, offset?: number, subOption?: number) => void;

/** A text sub-option: trailing NULs are stripped with a warning; other control or non-ASCII bytes are an error. */
function subOptionText(data: Uint8Array, offset: number, code: number, problem: ProblemSink): string | undefined {
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end -= 1;
  if (end < data.length) {
    problem('warn', 'msuc-trailing-nul', `option 43 sub-option ${code} (${subOptionName(code)}) ends with NUL bytes; stripped`, offset, code);
  }
  const value = data.subarray(0, end);
  for (let i = 0; i < value.length; i++) {
    const byte = value[i] as number;
    if (byte < 0x20 || byte >= 0x7f) {
      problem(
        'error',
        'msuc-not-text',
        `option 43 sub-option ${code} (${subOptionName(code)}) has byte 0x${byte.toString(16).padStart(2, '0')} at position ${i}: not ASCII text (${quoteBytes(data)})`,
        offset,
        code,
      );
      return undefined;
    }
  }
  if (value.length === 0) return undefined;
  return asciiText(value);
}

function decodePort(data: Uint8Array, offset: number, problem: ProblemSink): number | undefined {
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end -= 1;
  let nonText = false;
  for (let i = 0; i < end; i++) if ((data[i] as number) < 0x20 || (data[i] as number) >= 0x7f) nonText = true;
  if (nonText && data.length <= 4) {
    let binary = 0;
    for (const byte of data) binary = binary * 256 + byte;
    problem(
      'error',
      'msuc-port-binary',
      `option 43 sub-option 4 (WebServerPort): port is binary, not text (${formatHex(data, { separator: ' ' })} = ${binary}); an unquoted port number in a dnsmasq dhcp-option line produces exactly this: quote it ("443")`,
      offset,
      4,
    );
    return undefined;
  }
  const text = subOptionText(data, offset, 4, problem);
  if (text === undefined) return undefined;
  if (!/^[0-9]+$/.test(text)) {
    problem('error', 'msuc-port-invalid', `option 43 sub-option 4 (WebServerPort) "${text}" is not a plain decimal port number`, offset, 4);
    return undefined;
  }
  const port = Number.parseInt(text, 10);
  if (port < 1 || port > 65535) {
    problem('error', 'msuc-port-range', `option 43 sub-option 4 (WebServerPort) "${text}" is outside 1-65535`, offset, 4);
    return undefined;
  }
  if (text.length > 1 && text.startsWith('0')) {
    problem('warn', 'msuc-port-leading-zero', `option 43 sub-option 4 (WebServerPort) "${text}" has leading zeros; read as ${port}`, offset, 4);
  }
  return port;
}

export interface MsUcValues {
  ucIdentifier?: string;
  urlScheme?: string;
  webServerFqdn: string;
  webServerPort?: number | string;
  certProvRelPath?: string;
  /** Further sub-options appended after 1..5, e.g. { code: 220, data: "NAP" }. */
  extra?: readonly { code: number; data: Uint8Array | string }[];
}

export interface EncodedSubOption {
  code: number;
  data: Uint8Array;
}

function textBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) throw new RangeError(`"${text}" is not 8-bit text`);
    bytes[i] = code;
  }
  return bytes;
}

/** The sub-options in the order DHCPUtil writes them: 1..5, then any extras. */
export function msUcSubOptions(values: MsUcValues): EncodedSubOption[] {
  const list: EncodedSubOption[] = [
    { code: 1, data: textBytes(values.ucIdentifier ?? MSUC_VENDOR_CLASS) },
    { code: 2, data: textBytes(values.urlScheme ?? MSUC_DEFAULT_SCHEME) },
    { code: 3, data: textBytes(values.webServerFqdn) },
    { code: 4, data: textBytes(String(values.webServerPort ?? MSUC_DEFAULT_PORT)) },
    { code: 5, data: textBytes(values.certProvRelPath ?? MSUC_DEFAULT_PATH) },
  ];
  for (const extra of values.extra ?? []) {
    list.push({ code: extra.code, data: typeof extra.data === 'string' ? textBytes(extra.data) : extra.data });
  }
  return list;
}

/** Encode a sub-option list (code, length, value each). Throws RangeError for a value over 255 bytes. */
export function encodeSubOptions(subOptions: readonly EncodedSubOption[], buffer?: Uint8Array, offset = 0): Uint8Array {
  const length = subOptionsEncodingLength(subOptions);
  const out = buffer ?? new Uint8Array(length);
  if (out.length < offset + length) throw new RangeError('buffer too small for the sub-options');
  let position = offset;
  for (const sub of subOptions) {
    if (sub.code < 1 || sub.code > 254) throw new RangeError(`sub-option code ${sub.code} is not in 1..254`);
    if (sub.data.length > 255) throw new RangeError(`sub-option ${sub.code} is ${sub.data.length} bytes; at most 255 fit`);
    out[position] = sub.code;
    out[position + 1] = sub.data.length;
    out.set(sub.data, position + 2);
    position += 2 + sub.data.length;
  }
  return out;
}

export function subOptionsEncodingLength(subOptions: readonly EncodedSubOption[]): number {
  return subOptions.reduce((total, sub) => total + 2 + sub.data.length, 0);
}

/** Option 43's value for MS-UC-Client. */
export function encodeMsUcVendorInfo(values: MsUcValues): Uint8Array {
  return encodeSubOptions(msUcSubOptions(values));
}
