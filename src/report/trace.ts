// --trace DIR: every DHCP packet and every HTTP exchange of a run, as numbered files in the order they
// happened, for a ticket or for turning a run against a real pool into fixtures. Everything written
// passes through the run's redactor (PIN, entropy, proof key, assertion, private keys).
//
// Files: NNN-dhcp-<type>-<in|out>.hex (hex, 16 bytes a line), NNN-http-<METHOD>-<label>.request.txt and
// .response.txt, and index.txt with one line per file (elapsed ms, direction, peer, size).
// Writes are synchronous so the files are complete and in order even if the run dies mid-way.
//
// Traces hold tickets' metadata and server answers: directories the writer creates are 0700 and
// files 0600. A directory that already holds something is never emptied or mixed with a new run;
// the run goes into a new timestamped subdirectory instead, and the writer says so.

import { accessSync, constants, mkdirSync, readdirSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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
  /** Where the files go: DIR itself, or a new subdirectory of it when DIR was not empty. */
  readonly dir: string;
  /** Set when the files go somewhere other than the DIR asked for, to tell the user where. */
  readonly notice: string | undefined;
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
  /** Wall-clock start, names the subdirectory used when DIR is not empty; defaults to now. */
  startedAt?: Date;
}

const PRIVATE_DIR_MODE = 0o700;
const PRIVATE_FILE_MODE = 0o600;

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

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

/**
 * mkdir -p with private modes, one level at a time: Node's recursive mkdir never returns for a path
 * under /proc (it retries the parent forever at full CPU), so it is not used.
 */
function makePrivateDirectories(dir: string): void {
  const missing: string[] = [];
  let existing = dir;
  for (;;) {
    try {
      statSync(existing);
      break;
    } catch {
      missing.unshift(existing);
      const parent = dirname(existing);
      if (parent === existing) break;
      existing = parent;
    }
  }
  for (const path of missing) {
    try {
      mkdirSync(path, { mode: PRIVATE_DIR_MODE });
    } catch (error) {
      throw new UsageError(`--trace: cannot create directory "${dir}": ${errorCode(error)} at "${path}"`);
    }
  }
}

function checkWritableDirectory(dir: string): void {
  if (!statSync(dir).isDirectory()) throw new UsageError(`--trace: "${dir}" is not a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`--trace: directory "${dir}" is not writable`);
  }
}

/** trace-20250101-100000 (UTC), with -2, -3 ... when a run in the same second got there first. */
function makeTimestampedSubdirectory(parent: string, at: Date): string {
  const stamp = at.toISOString().replace(/\.\d+Z$/, '').replace(/[-:]/g, '').replace('T', '-');
  for (let attempt = 1; ; attempt += 1) {
    const path = join(parent, `trace-${stamp}${attempt === 1 ? '' : `-${attempt}`}`);
    try {
      mkdirSync(path, { mode: PRIVATE_DIR_MODE });
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new UsageError(`--trace: cannot create directory "${path}": ${errorCode(error)}`);
      }
    }
  }
}

/** The --trace value as typed: a usable name, checked before the PIN is read or anything is sent. */
export function checkTraceDirectoryName(asked: string): void {
  if (asked.trim() === '') throw new UsageError('--trace: needs a directory name (got an empty value)');
  // `--trace --json` makes "--json" the directory: almost certainly a forgotten value.
  if (asked.startsWith('-')) throw new UsageError(`--trace: "${asked}" looks like an option, not a directory name`);
}

/** The directory this run writes to: DIR (created if needed) when empty, else a new subdirectory. */
function chooseTraceDirectory(asked: string, at: Date): { dir: string; notice: string | undefined } {
  checkTraceDirectoryName(asked);
  const root = resolve(asked);
  makePrivateDirectories(root);
  checkWritableDirectory(root);
  if (readdirSync(root).length === 0) return { dir: root, notice: undefined };
  const dir = makeTimestampedSubdirectory(root, at);
  return { dir, notice: `trace: "${root}" is not empty; this run's trace goes into "${dir}"` };
}

/**
 * Creates the trace directory (or a new subdirectory of a non-empty one) and checks it can be
 * written; throws UsageError (exit 2) when it cannot, before anything is sent.
 */
export function createTraceWriter(asked: string, options: TraceOptions): TraceWriter {
  const { dir: root, notice } = chooseTraceDirectory(asked, options.startedAt ?? new Date());
  const now = options.now ?? (() => performance.now());
  const startedAt = now();
  const files: string[] = [];
  let sequence = 0;

  const write = (name: string, content: string, indexLine: string) => {
    try {
      // 'wx': a trace file never replaces one that is already there.
      writeFileSync(join(root, name), content, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
      appendFileSync(join(root, 'index.txt'), `${indexLine}\n`, { mode: PRIVATE_FILE_MODE });
    } catch (error) {
      throw new UsageError(`--trace: cannot write "${join(root, name)}": ${errorCode(error)}`);
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
    notice,
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
