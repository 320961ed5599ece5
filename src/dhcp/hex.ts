// Hex text in and out. Administrators paste whatever their tool shows: Wireshark's "copy as hex",
// a hex dump with offsets and an ASCII column, xxd output, colon- or space-separated bytes, 0x prefixes.

import { BootstrapTestError } from '../errors.js';

export class HexParseError extends BootstrapTestError {
  constructor(message: string) {
    super('BT_HEX_PARSE', message);
  }
}

const HEX_DIGIT = /^[0-9a-fA-F]$/;

/** One line of a hex dump: an offset (hex, at least 4 digits) then the bytes, optionally an ASCII column. */
const DUMP_LINE = /^\s*(?:0x)?([0-9a-fA-F]{4,8}):?(\s+)(.*)$/;

/**
 * Parse hex text leniently. Accepts whitespace, `:` `-` `.` `,` separators, `0x` prefixes, `\x`
 * escapes, and hex dumps whose lines start with an offset (Wireshark, xxd, hexdump -C).
 * Throws HexParseError naming the first bad character (line and column) or an odd digit count.
 */
export function parseHex(text: string): Uint8Array {
  let dumpError: HexParseError | undefined;
  try {
    const dump = parseHexDump(text);
    if (dump) return dump;
  } catch (error) {
    if (!(error instanceof HexParseError)) throw error;
    dumpError = error;
  }
  try {
    return digitsToBytes(stripSeparators(text), text);
  } catch (error) {
    throw dumpError ?? error;
  }
}

export interface FormatHexOptions {
  upper?: boolean;
  /** Put between bytes, e.g. ' ' or ':'. Default: nothing. */
  separator?: string;
}

const HEX_PAIRS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function formatHex(bytes: Uint8Array, options: FormatHexOptions = {}): string {
  const separator = options.separator ?? '';
  let text = '';
  for (let i = 0; i < bytes.length; i++) text += (i === 0 ? '' : separator) + (HEX_PAIRS[bytes[i] as number] as string);
  return options.upper ? text.toUpperCase() : text;
}

/** Upper-case hex without separators, as DHCPUtil and netsh write option values. */
export function toUpperHex(bytes: Uint8Array): string {
  return formatHex(bytes, { upper: true });
}

function stripSeparators(text: string): { digits: string; positions: number[] } {
  let digits = '';
  const positions: number[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    const next = text[i + 1];
    if ((ch === '0' || ch === '\\') && (next === 'x' || next === 'X') && isTokenStart(text, i)) {
      i += 2;
      continue;
    }
    if (HEX_DIGIT.test(ch)) {
      digits += ch;
      positions.push(i);
      i += 1;
      continue;
    }
    if (/\s/.test(ch) || ch === ':' || ch === '-' || ch === '.' || ch === ',') {
      i += 1;
      continue;
    }
    throw new HexParseError(`not hex: ${JSON.stringify(ch)} at ${describePosition(text, i)}`);
  }
  return { digits, positions };
}

/** A `0x` prefix counts only at the start of a token, so "00x" is not mistaken for "0" + prefix. */
function isTokenStart(text: string, index: number): boolean {
  if (text[index] === '\\') return true;
  const before = text[index - 1];
  const after = text[index + 2];
  return (before === undefined || !HEX_DIGIT.test(before)) && after !== undefined && HEX_DIGIT.test(after);
}

function digitsToBytes({ digits, positions }: { digits: string; positions: number[] }, source?: string): Uint8Array {
  if (digits.length % 2 !== 0) {
    const where = source !== undefined && positions.length > 0 ? ` (last digit at ${describePosition(source, positions[positions.length - 1] as number)})` : '';
    throw new HexParseError(`odd number of hex digits (${digits.length})${where}: a byte needs two`);
  }
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

function describePosition(text: string, index: number): string {
  const before = text.slice(0, index);
  const line = before.split('\n').length;
  const column = index - before.lastIndexOf('\n');
  return line > 1 || text.includes('\n') ? `line ${line}, column ${column}` : `character ${index + 1}`;
}

/**
 * A hex dump is recognised when every non-empty line starts with an offset and the offsets increase.
 * The difference between consecutive offsets says how many bytes each line holds, which separates
 * the bytes from an ASCII column even when that column happens to look like hex.
 */
function parseHexDump(text: string): Uint8Array | undefined {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines.length < 2) return undefined;
  const parsed: { offset: number; rest: string }[] = [];
  for (const line of lines) {
    const match = DUMP_LINE.exec(line);
    if (!match) return undefined;
    parsed.push({ offset: parseInt(match[1] as string, 16), rest: match[3] as string });
  }
  if ((parsed[0] as { offset: number }).offset !== 0) return undefined;
  for (let i = 1; i < parsed.length; i++) {
    if ((parsed[i] as { offset: number }).offset <= (parsed[i - 1] as { offset: number }).offset) return undefined;
  }
  const out: number[] = [];
  let widest = 0;
  for (let i = 1; i < parsed.length; i++) {
    widest = Math.max(widest, (parsed[i] as { offset: number }).offset - (parsed[i - 1] as { offset: number }).offset);
  }
  for (let i = 0; i < parsed.length; i++) {
    const entry = parsed[i] as { offset: number; rest: string };
    const next = parsed[i + 1];
    const wanted = next ? next.offset - entry.offset : widest;
    const bytes = leadingHexBytes(entry.rest, wanted);
    if (next && bytes.length !== wanted) {
      throw new HexParseError(
        `hex dump line at offset ${entry.offset.toString(16).padStart(4, '0')} holds ${bytes.length} bytes, the next offset says ${wanted}`,
      );
    }
    out.push(...bytes);
    // The final line of a dump (e.g. hexdump -C) may be only the total length.
    if (!next && bytes.length === 0 && entry.rest.trim() !== '') {
      throw new HexParseError(`hex dump line at offset ${entry.offset.toString(16)} has no bytes`);
    }
  }
  return Uint8Array.from(out);
}

/** Read up to `limit` bytes from the start of a dump line, in 2-digit or 4-digit (xxd) groups. */
function leadingHexBytes(rest: string, limit: number): number[] {
  const bytes: number[] = [];
  const tokens = rest.replace(/\|.*$/, '').split(/\s+/).filter((token) => token !== '');
  for (const token of tokens) {
    if (bytes.length >= limit) break;
    if (!/^([0-9a-fA-F]{2})+$/.test(token) || token.length > 8) break;
    for (let i = 0; i < token.length && bytes.length < limit; i += 2) bytes.push(parseInt(token.slice(i, i + 2), 16));
  }
  return bytes;
}
