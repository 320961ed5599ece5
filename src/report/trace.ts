// --trace DIR: every DHCP packet and every HTTP exchange of a run, as numbered files in the order they
// happened, for a ticket or for turning a run against a real pool into fixtures. Everything written
// passes through the run's redactor (PIN, entropy, proof key, assertion, private keys).
//
// Files: NNN-dhcp-<type>-<in|out>.hex (hex, 16 bytes a line), NNN-http-<METHOD>-<label>.request.txt and
// .response.txt, and index.txt with one line per file (elapsed ms, direction, peer, size).
// Writes are synchronous so the files are complete and in order even if the run dies mid-way.

import { accessSync, constants, mkdirSync, readdirSync, statSync, unlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { redactHeaderValue } from './redact.js';

export type TraceDirection = 'in' | 'out';

export type HeaderBag = Record<string, string | string[] | number | undefined> | Iterable<readonly [string, string]>;

export interface HttpExchange {
  method: string;
  url: string;
  requestHeaders?: HeaderBag;
  requestBody?: string | Uint8Array;
  /** Absent when no response came (then `error` says why). */
  status?: number;
  responseHeaders?: HeaderBag;
  responseBody?: string | Uint8Array;
  /** What went wrong instead of a response (timeout, reset ...). */
  error?: string;
}

export interface TraceWriter {
  readonly dir: string;
  /** Names of the files written so far, in order. */
  readonly files: readonly string[];
  dhcp(direction: TraceDirection, bytes: Uint8Array, peer: string): void;
  http(exchange: HttpExchange): void;
  /** One SIP message of the sign-in as it went over the wire (gssapi-data and signatures kept: not secret). */
  sip(direction: TraceDirection, message: Uint8Array, label: string, peer: string): void;
}

export interface TraceOptions {
  redact: (text: string) => string;
  /** Monotonic clock in ms for the index; defaults to performance.now(). */
  now?: () => number;
}

/** Files a previous run left in DIR; removed at start so one directory never mixes two runs. */
const OWN_FILE = /^(?:\d{3,}-(?:dhcp|http|sip)-[\w.-]+\.(?:hex|txt)|index\.txt)$/;

const DHCP_MESSAGE_TYPES = ['', 'discover', 'offer', 'request', 'decline', 'ack', 'nak', 'release', 'inform'];
const DHCP_MAGIC_COOKIE = 0x63825363;

/** Option 53 of a BOOTP/DHCP packet, by name; 'packet' when the bytes are not a readable DHCP message. */
export function dhcpMessageTypeName(bytes: Uint8Array): string {
  if (bytes.length < 240) return 'packet';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(236) !== DHCP_MAGIC_COOKIE) return 'packet';
  let offset = 240;
  while (offset < bytes.length) {
    const code = bytes[offset]!;
    if (code === 255) break;
    if (code === 0) {
      offset += 1;
      continue;
    }
    const length = bytes[offset + 1];
    if (length === undefined || offset + 2 + length > bytes.length) break;
    if (code === 53 && length >= 1) return DHCP_MESSAGE_TYPES[bytes[offset + 2]!] || `type${bytes[offset + 2]}`;
    offset += 2 + length;
  }
  return 'packet';
}

/** Hex, 32 digits a line. Takes the hex text so a caller can redact it before it is wrapped. */
export function wrapHex(hex: string): string {
  const lines: string[] = [];
  for (let index = 0; index < hex.length; index += 32) lines.push(hex.slice(index, index + 32));
  return lines.join('\n') + '\n';
}

/** A short file-name label for an HTTP exchange: the SOAP action's last part, else the URL's last path segment. */
export function httpLabel(url: string, headers?: HeaderBag): string {
  const action = headerEntries(headers).find(([name]) => name.toLowerCase() === 'soapaction')?.[1];
  let label = '';
  if (action) label = action.replace(/["']/g, '').split(/[/#]/).filter(Boolean).pop() ?? '';
  if (!label) {
    try {
      label = new URL(url).pathname.split('/').filter(Boolean).pop() ?? '';
    } catch {
      label = '';
    }
  }
  return label.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60) || 'root';
}

function headerEntries(headers: HeaderBag | undefined): Array<[string, string]> {
  if (!headers) return [];
  const entries: Array<[string, string]> = [];
  const iterable = headers as Iterable<readonly [string, string]>;
  if (typeof iterable[Symbol.iterator] === 'function') {
    for (const [name, value] of iterable) entries.push([name, value]);
    return entries;
  }
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) entries.push([name, String(item)]);
  }
  return entries;
}

function looksTextual(bytes: Uint8Array): boolean {
  const text = Buffer.from(bytes).toString('utf8');
  // U+FFFD appears where the bytes were not UTF-8; control characters other than whitespace mean binary.
  return !text.includes('\uFFFD') && !/[\u0000-\u0008\u000E-\u001F]/.test(text);
}

function bodyText(body: string | Uint8Array | undefined): string {
  if (body === undefined) return '';
  if (typeof body === 'string') return body;
  if (body.length === 0) return '';
  if (looksTextual(body)) return Buffer.from(body).toString('utf8');
  return `[binary body, ${body.length} bytes, base64]\n${Buffer.from(body).toString('base64').replace(/.{76}/g, '$&\n')}`;
}

function checkWritable(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new UsageError(`--trace: cannot create directory "${dir}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (!statSync(dir).isDirectory()) throw new UsageError(`--trace: "${dir}" is not a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`--trace: directory "${dir}" is not writable`);
  }
}

/** Creates DIR if needed and checks it can be written; throws UsageError (exit 2) when it cannot. */
export function createTraceWriter(dir: string, options: TraceOptions): TraceWriter {
  const root = resolve(dir);
  checkWritable(root);
  for (const name of readdirSync(root)) {
    if (OWN_FILE.test(name)) unlinkSync(join(root, name));
  }
  const now = options.now ?? (() => performance.now());
  const startedAt = now();
  const files: string[] = [];
  let sequence = 0;

  const write = (name: string, content: string, indexLine: string) => {
    try {
      writeFileSync(join(root, name), content);
      appendFileSync(join(root, 'index.txt'), `${indexLine}\n`);
    } catch (error) {
      throw new UsageError(`--trace: cannot write "${join(root, name)}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    files.push(name);
  };
  const elapsed = () => `+${Math.round(now() - startedAt)}ms`;
  const number = () => String(++sequence).padStart(3, '0');

  const renderHeaders = (headers: HeaderBag | undefined) =>
    headerEntries(headers)
      .map(([name, value]) => `${name}: ${redactHeaderValue(name, value, options.redact)}\n`)
      .join('');

  return {
    dir: root,
    files,
    dhcp(direction, bytes, peer) {
      const type = dhcpMessageTypeName(bytes);
      const name = `${number()}-dhcp-${type}-${direction}.hex`;
      // Redacted before wrapping, so a secret's hex form cannot hide across a line break.
      write(name, wrapHex(options.redact(Buffer.from(bytes).toString('hex'))), options.redact(`${name} ${elapsed()} dhcp ${direction} ${direction === 'out' ? 'to' : 'from'} ${peer} ${bytes.length} bytes`));
    },
    http(exchange) {
      // The label comes from the URL, which could carry a secret: redact it before it names a file.
      const label = options.redact(httpLabel(exchange.url, exchange.requestHeaders)).replace(/[^A-Za-z0-9._-]+/g, '_');
      const base = `${number()}-http-${exchange.method.toUpperCase().replace(/[^A-Z]+/g, '')}-${label}`;
      const url = options.redact(exchange.url);
      const request =
        `${exchange.method.toUpperCase()} ${url}\n` +
        renderHeaders(exchange.requestHeaders) +
        `\n${options.redact(bodyText(exchange.requestBody))}`;
      write(`${base}.request.txt`, request, options.redact(`${base}.request.txt ${elapsed()} http out ${exchange.method.toUpperCase()} ${url}`));
      const response =
        exchange.status === undefined
          ? `no response: ${options.redact(exchange.error ?? 'unknown')}\n`
          : `HTTP ${exchange.status}\n${renderHeaders(exchange.responseHeaders)}\n${options.redact(bodyText(exchange.responseBody))}`;
      const outcome = exchange.status === undefined ? `error ${exchange.error ?? ''}`.trim() : `status ${exchange.status}`;
      write(`${base}.response.txt`, response, options.redact(`${base}.response.txt ${elapsed()} http in ${outcome}`));
    },
    sip(direction, message, label, peer) {
      const name = `${number()}-sip-${label.replace(/[^A-Za-z0-9]+/g, '_')}-${direction}.txt`;
      write(name, options.redact(Buffer.from(message).toString('utf8')), options.redact(`${name} ${elapsed()} sip ${direction} ${direction === 'out' ? 'to' : 'from'} ${peer} ${message.length} bytes`));
    },
  };
}
