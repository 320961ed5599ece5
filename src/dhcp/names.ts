// RFC 1035 domain names in DHCP options 119 and 120, with compression.
// Where compression offset 0 lies depends on the option (RFC 3397 vs RFC 3361 as implemented), so the
// origin is a parameter. Decoding never throws: every failure becomes a Problem with an offset.

import type { Problem } from './types.js';

/** Pointers followed per name before giving up; a damaged packet can cost only bounded work. */
export const MAX_POINTER_HOPS = 32;
/** RFC 1035 §3.1: a name in wire form is at most 255 bytes. */
export const MAX_NAME_WIRE_LENGTH = 255;
export const MAX_LABEL_LENGTH = 63;
/**
 * Names (and empty names) read from one list. A registrar or search list has a handful; the cap keeps
 * a 64 KiB value of zero bytes from turning into tens of thousands of names and problems.
 */
export const MAX_NAMES_IN_LIST = 64;

export interface NameListDecodeOptions {
  /** Index in `data` of the first byte of the first name. */
  start: number;
  /** Index in `data` that compression offset 0 refers to. */
  origin: number;
  /** Option code used in problems (119, 120 ...). */
  option?: number;
  /** After a structural failure, try this origin; a clean decode is returned with a warning. */
  fallbackOrigin?: number;
  /** Names the encoder convention the fallback origin stands for, for that warning. */
  fallbackConvention?: string;
}

export interface NameListDecode {
  /** Names in order, labels joined by dots; bytes outside printable ASCII escaped as \DDD. */
  names: string[];
  problems: Problem[];
  /** The origin the returned names were decoded with. */
  originUsed: number;
}

interface NameRead {
  name?: string;
  /** Where the next name starts (after the terminator or the first pointer). */
  next: number;
  problem?: { code: string; offset: number; message: string };
}

/** Decode a list of names filling data[start..end). Names before the first damaged one are kept. */
export function decodeNameList(data: Uint8Array, options: NameListDecodeOptions): NameListDecode {
  const first = decodeWithOrigin(data, options.start, options.origin, options.option);
  const failed = first.problems.some((problem) => problem.severity === 'error' && problem.code !== 'name-empty');
  if (!failed || options.fallbackOrigin === undefined || !hasPointer(data, options.start)) return first;

  const retry = decodeWithOrigin(data, options.start, options.fallbackOrigin, options.option);
  const retryClean = retry.names.length > 0 && !retry.problems.some((problem) => problem.severity === 'error');
  if (!retryClean) return first;
  const original = first.problems.find((problem) => problem.severity === 'error');
  const convention = options.fallbackConvention ?? `compression offsets counted from byte ${options.fallbackOrigin}`;
  retry.problems.unshift({
    severity: 'warn',
    code: 'name-wrong-compression-origin',
    ...(options.option !== undefined ? { option: options.option } : {}),
    ...(original?.offset !== undefined ? { offset: original.offset, offsetIn: 'option' as const } : {}),
    message:
      `${optionLabel(options.option)}names decode only with ${convention}` +
      (original ? ` (the standard reading fails: ${original.message})` : '') +
      '; a client that follows the standard cannot read them',
  });
  return retry;
}

function decodeWithOrigin(data: Uint8Array, start: number, origin: number, option: number | undefined): NameListDecode {
  const names: string[] = [];
  const problems: Problem[] = [];
  let position = start;
  let entries = 0;
  while (position < data.length) {
    if (entries === MAX_NAMES_IN_LIST) {
      problems.push({
        severity: 'warn',
        code: 'name-list-too-long',
        ...(option !== undefined ? { option } : {}),
        offset: position,
        offsetIn: 'option',
        message: `${optionLabel(option)}more than ${MAX_NAMES_IN_LIST} names; the rest from offset ${position} is not read`,
      });
      break;
    }
    entries += 1;
    const read = readName(data, position, origin, start);
    if (read.problem) {
      problems.push({
        severity: 'error',
        code: read.problem.code,
        ...(option !== undefined ? { option } : {}),
        offset: read.problem.offset,
        offsetIn: 'option',
        message: `${optionLabel(option)}${read.problem.message}`,
      });
      if (read.problem.code !== 'name-empty') break;
    } else if (read.name !== undefined) {
      names.push(read.name);
      const warning = hostNameProblem(read.name);
      if (warning) {
        problems.push({
          severity: 'warn',
          code: 'name-not-host-name',
          ...(option !== undefined ? { option } : {}),
          offset: position,
          offsetIn: 'option',
          message: `${optionLabel(option)}name "${read.name}" at offset ${position} ${warning}`,
        });
      }
    }
    position = read.next;
  }
  return { names, problems, originUsed: origin };
}

function optionLabel(option: number | undefined): string {
  return option === undefined ? '' : `option ${option}: `;
}

function hasPointer(data: Uint8Array, start: number): boolean {
  for (let i = start; i < data.length; i++) if (((data[i] as number) & 0xc0) === 0xc0) return true;
  return false;
}

/**
 * Read one name starting at `start`. A pointer must aim before the segment it sits in (the name's
 * start, or the target of the previous pointer): that rules out loops, and the hop cap bounds work.
 */
function readName(data: Uint8Array, start: number, origin: number, listStart: number): NameRead {
  const labels: string[] = [];
  let position = start;
  let segmentStart = start;
  let next: number | undefined;
  let hops = 0;
  let wireLength = 0;
  const fail = (code: string, offset: number, message: string): NameRead => ({
    next: next ?? data.length,
    problem: { code, offset, message },
  });

  for (;;) {
    if (position >= data.length) {
      return fail('name-missing-terminator', start, `name at offset ${start} has no terminating zero byte`);
    }
    const length = data[position] as number;
    if (length === 0) {
      wireLength += 1;
      if (next === undefined) next = position + 1;
      break;
    }
    const kind = length & 0xc0;
    if (kind === 0xc0) {
      if (position + 1 >= data.length) {
        return fail('name-pointer-truncated', position, `compression pointer at offset ${position} is missing its second byte`);
      }
      const relative = ((length & 0x3f) << 8) | (data[position + 1] as number);
      const target = origin + relative;
      if (next === undefined) next = position + 2;
      if (target >= data.length) {
        return fail('name-pointer-beyond-end', position, `compression pointer at offset ${position} aims at ${relative}, beyond the end of the data`);
      }
      if (target === position) {
        return fail('name-pointer-self', position, `compression pointer at offset ${position} points to itself`);
      }
      if (target > position) {
        return fail('name-pointer-forward', position, `compression pointer at offset ${position} aims forward (to ${relative}); only backward pointers are allowed`);
      }
      if (target < listStart) {
        return fail('name-pointer-before-list', position, `compression pointer at offset ${position} aims before the start of the name list`);
      }
      if (target >= segmentStart) {
        return fail('name-pointer-loop', position, `compression pointer at offset ${position} aims back into the name it belongs to (a loop)`);
      }
      hops += 1;
      if (hops > MAX_POINTER_HOPS) {
        return fail('name-pointer-hops', position, `name at offset ${start} follows more than ${MAX_POINTER_HOPS} compression pointers`);
      }
      position = target;
      segmentStart = target;
      continue;
    }
    if (kind !== 0) {
      return fail(
        'name-reserved-label-type',
        position,
        `byte 0x${length.toString(16).padStart(2, '0')} at offset ${position} is a reserved label type (neither a label length nor a pointer)`,
      );
    }
    if (position + 1 + length > data.length) {
      return fail('name-label-overrun', position, `label at offset ${position} (length ${length}) runs past the end of the data`);
    }
    wireLength += 1 + length;
    if (wireLength + 1 > MAX_NAME_WIRE_LENGTH) {
      return fail('name-too-long', start, `name at offset ${start} is longer than ${MAX_NAME_WIRE_LENGTH} bytes`);
    }
    labels.push(labelText(data, position + 1, position + 1 + length));
    position += 1 + length;
  }

  if (labels.length === 0) {
    return { next, problem: { code: 'name-empty', offset: start, message: `empty name (the root) at offset ${start}` } };
  }
  return { name: labels.join('.'), next };
}

/** Label bytes as text; a dot, a backslash or a byte outside printable ASCII is escaped as \DDD. */
function labelText(data: Uint8Array, from: number, to: number): string {
  let text = '';
  for (let i = from; i < to; i++) {
    const byte = data[i] as number;
    if (byte > 0x20 && byte < 0x7f && byte !== 0x2e && byte !== 0x5c) text += String.fromCharCode(byte);
    else text += '\\' + byte.toString().padStart(3, '0');
  }
  return text;
}

/** Why a decoded name cannot be a usable host name, or undefined when it can. */
export function hostNameProblem(name: string): string | undefined {
  if (name.includes('\\')) return 'contains a dot inside a label or a byte that is not printable ASCII';
  for (const label of name.split('.')) {
    if (!/^[A-Za-z0-9-]+$/.test(label)) return `has a label ("${label}") with characters other than letters, digits and hyphen`;
  }
  return undefined;
}

export interface NameListEncodeOptions {
  /** Reuse suffixes already written (RFC 1035 §4.1.4). Default true. */
  compress?: boolean;
  /**
   * Added to every pointer offset. 0 counts from the first byte of the list (RFC 3397, and RFC 3361 as
   * deployed); 1 imitates encoders that count option 120 offsets from the encoding byte.
   */
  pointerBias?: number;
}

/** Split a dotted name into labels, checking RFC 1035 limits. Throws RangeError for a bad name. */
export function nameToLabels(name: string): string[] {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed === '') throw new RangeError('empty domain name');
  const labels = trimmed.split('.');
  let wire = 1;
  for (const label of labels) {
    if (label.length === 0) throw new RangeError(`"${name}" has an empty label`);
    if (Buffer.byteLength(label, 'latin1') > MAX_LABEL_LENGTH || /[^\x00-\xff]/.test(label)) {
      throw new RangeError(`label "${label}" of "${name}" is longer than ${MAX_LABEL_LENGTH} bytes or not 8-bit text`);
    }
    wire += 1 + label.length;
  }
  if (wire > MAX_NAME_WIRE_LENGTH) throw new RangeError(`"${name}" is longer than ${MAX_NAME_WIRE_LENGTH} bytes in wire form`);
  return labels;
}

/** Encode names in DNS wire format, one after the other. Throws RangeError for an invalid name. */
export function encodeNameList(names: readonly string[], options: NameListEncodeOptions = {}): Uint8Array {
  const compress = options.compress ?? true;
  const bias = options.pointerBias ?? 0;
  const out: number[] = [];
  const suffixOffsets = new Map<string, number>();
  for (const name of names) {
    const labels = nameToLabels(name);
    let pointer: number | undefined;
    let firstCompressed = labels.length;
    if (compress) {
      for (let i = 0; i < labels.length; i++) {
        const known = suffixOffsets.get(labels.slice(i).join('.'));
        if (known !== undefined) {
          pointer = known;
          firstCompressed = i;
          break;
        }
      }
    }
    for (let i = 0; i < firstCompressed; i++) {
      const offset = out.length + bias;
      const suffix = labels.slice(i).join('.');
      if (offset <= 0x3fff && !suffixOffsets.has(suffix)) suffixOffsets.set(suffix, offset);
      const label = labels[i] as string;
      out.push(label.length);
      for (let c = 0; c < label.length; c++) out.push(label.charCodeAt(c));
    }
    if (pointer !== undefined) out.push(0xc0 | (pointer >> 8), pointer & 0xff);
    else out.push(0);
  }
  return Uint8Array.from(out);
}
