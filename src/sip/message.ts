import { BootstrapTestError } from '../errors.js';
// SIP messages (RFC 3261 §7): tolerant reading (LF-only line ends, folded header lines, compact
// header names, any header case) and exact writing (CRLF, headers in the order given, a
// Content-Length that always matches the body). Signatures cover header values "with the same syntax
// and case as they appear in the message" ([MS-SIPAE] 3.2.5.2), so values are kept verbatim.

export interface SipHeader {
  name: string;
  value: string;
}

interface SipMessageBase {
  headers: SipHeader[];
  body: Buffer;
}

export interface SipRequest extends SipMessageBase {
  kind: 'request';
  method: string;
  uri: string;
}

export interface SipResponse extends SipMessageBase {
  kind: 'response';
  status: number;
  reason: string;
}

export type SipMessage = SipRequest | SipResponse;

/** A stream message whose head grows past this without a blank line is refused (bounded memory). */
export const MAX_SIP_HEAD_BYTES = 64 * 1024;
/** Bodies larger than this are refused; REGISTER traffic carries none or small XML. */
export const MAX_SIP_BODY_BYTES = 1024 * 1024;

export class SipFormatError extends BootstrapTestError {
  constructor(message: string) {
    super('BT_SIP_FORMAT', message);
  }
}

/** RFC 3261 §7.3.3 compact forms, and the ones Lync servers use. */
const COMPACT_NAMES: Readonly<Record<string, string>> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
};

function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  return COMPACT_NAMES[lower] ?? lower;
}

/** Every value of header `name` (any case, compact form included), in message order. */
export function headerValues(message: SipMessageBase, name: string): string[] {
  const wanted = canonicalName(name);
  return message.headers.filter((header) => canonicalName(header.name) === wanted).map((header) => header.value);
}

/** The first value of header `name`, or undefined. */
export function headerValue(message: SipMessageBase, name: string): string | undefined {
  return headerValues(message, name)[0];
}

/** Parse one complete message (head and body) from `bytes`. */
export function parseSipMessage(bytes: Buffer): SipMessage {
  const split = findHeadEnd(bytes);
  if (!split) throw new SipFormatError('SIP message has no blank line after its headers');
  return parseHead(bytes.subarray(0, split.headEnd).toString('utf8'), bytes.subarray(split.bodyStart));
}

function findHeadEnd(bytes: Buffer): { headEnd: number; bodyStart: number } | undefined {
  const crlf = bytes.indexOf('\r\n\r\n');
  const lf = bytes.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { headEnd: crlf, bodyStart: crlf + 4 };
  if (lf >= 0) return { headEnd: lf, bodyStart: lf + 2 };
  return undefined;
}

function parseHead(head: string, body: Buffer): SipMessage {
  const lines = head.split(/\r?\n/);
  const startLine = lines.shift() ?? '';
  const headers: SipHeader[] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line)) {
      const previous = headers[headers.length - 1];
      if (!previous) throw new SipFormatError(`SIP header continuation "${line.trim()}" has no header to continue`);
      previous.value = `${previous.value} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new SipFormatError(`SIP header line "${line}" has no name`);
    headers.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  const response = /^SIP\/2\.0 (\d{3}) ?(.*)$/.exec(startLine);
  if (response) return { kind: 'response', status: Number(response[1]), reason: response[2] ?? '', headers, body };
  const request = /^([A-Za-z]+) (\S+) SIP\/2\.0$/.exec(startLine);
  if (request) return { kind: 'request', method: request[1] as string, uri: request[2] as string, headers, body };
  throw new SipFormatError(`"${startLine.slice(0, 80)}" is not a SIP request or status line`);
}

/**
 * Take the first whole message off a stream buffer (RFC 3261 §18.3: Content-Length frames it).
 * Undefined while more bytes are needed; CRLF keep-alives between messages are skipped.
 */
export function takeSipMessage(buffer: Buffer): { message: SipMessage; rest: Buffer } | undefined {
  let start = 0;
  while (start < buffer.length && (buffer[start] === 0x0d || buffer[start] === 0x0a)) start++;
  const stream = buffer.subarray(start);
  const split = findHeadEnd(stream);
  if (!split) {
    if (stream.length > MAX_SIP_HEAD_BYTES) throw new SipFormatError(`SIP headers exceed ${MAX_SIP_HEAD_BYTES} bytes without an end`);
    return undefined;
  }
  const headOnly = parseHead(stream.subarray(0, split.headEnd).toString('utf8'), Buffer.alloc(0));
  const lengthText = headerValue(headOnly, 'content-length');
  if (lengthText === undefined) throw new SipFormatError('SIP message on a stream has no Content-Length');
  if (!/^\d+$/.test(lengthText)) throw new SipFormatError(`Content-Length "${lengthText}" is not a number`);
  const length = Number(lengthText);
  if (length > MAX_SIP_BODY_BYTES) throw new SipFormatError(`Content-Length ${length} exceeds ${MAX_SIP_BODY_BYTES} bytes`);
  const end = split.bodyStart + length;
  if (stream.length < end) return undefined;
  return { message: { ...headOnly, body: Buffer.from(stream.subarray(split.bodyStart, end)) }, rest: Buffer.from(stream.subarray(end)) };
}

/** Write a message exactly: CRLF line ends, headers in order, Content-Length set from the body. */
export function serializeSipMessage(message: SipMessage): Buffer {
  const startLine = message.kind === 'request' ? `${message.method} ${message.uri} SIP/2.0` : `SIP/2.0 ${message.status} ${message.reason}`;
  const lines = [startLine];
  for (const header of message.headers) {
    if (canonicalName(header.name) === 'content-length') continue;
    if (/[\r\n]/.test(header.name + header.value)) throw new SipFormatError(`SIP header ${header.name} contains a line break`);
    lines.push(`${header.name}: ${header.value}`);
  }
  lines.push(`Content-Length: ${message.body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), message.body]);
}

/** A copy of `message` with header `name` set to `value` (replacing every instance, or appended). */
export function withHeader<T extends SipMessage>(message: T, name: string, value: string): T {
  const wanted = canonicalName(name);
  const first = message.headers.findIndex((header) => canonicalName(header.name) === wanted);
  const headers = message.headers.filter((header) => canonicalName(header.name) !== wanted);
  // `first` counts no other instance before it, so it is also its position among the rest.
  headers.splice(first < 0 ? headers.length : first, 0, { name, value });
  return { ...message, headers };
}

/** The parts of a From/To/P-Asserted-Identity name-addr the signature needs. */
export interface NameAddr {
  uri: string;
  tag: string;
}

/** `"Jeff" <sip:jeff@lab.test>;tag=1a2b` → uri `sip:jeff@lab.test`, tag `1a2b`; a bare URI ends at `;`. */
export function parseNameAddr(value: string): NameAddr {
  const open = value.indexOf('<');
  const close = open >= 0 ? value.indexOf('>', open) : -1;
  const bracketed = open >= 0 && close > open;
  const semicolon = value.indexOf(';');
  const uri = bracketed ? value.slice(open + 1, close) : (semicolon >= 0 ? value.slice(0, semicolon) : value).trim();
  const params = bracketed ? value.slice(close + 1) : semicolon >= 0 ? value.slice(semicolon) : '';
  const tag = /;\s*tag=([^;,\s]+)/i.exec(params)?.[1] ?? '';
  return { uri, tag };
}

/** Every URI in a comma-separated identity header (P-Asserted-Identity may hold a sip: and a tel: URI). */
export function identityUris(value: string): string[] {
  const bracketed = [...value.matchAll(/<([^>]*)>/g)].map((match) => match[1] as string);
  if (bracketed.length > 0) return bracketed;
  return value
    .split(',')
    .map((part) => (part.split(';')[0] ?? '').trim())
    .filter((part) => part.length > 0);
}
