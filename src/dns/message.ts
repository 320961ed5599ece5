import { BootstrapTestError } from '../errors.js';
// DNS messages (RFC 1035 §4) for the dns and time stages: one-question queries, and responses with
// the record types those stages read (SRV, A, AAAA, CNAME; SOA only to tell NODATA's authority).
// Decoding is bounded: a compression pointer must aim before the segment it sits in, so no name can
// loop and each is read in time linear in the message.

export const DNS_TYPES = { A: 1, NS: 2, CNAME: 5, SOA: 6, AAAA: 28, SRV: 33 } as const;
export type DnsTypeName = keyof typeof DNS_TYPES;
const CLASS_IN = 1;
const HEADER_LENGTH = 12;
const MAX_NAME_WIRE_LENGTH = 255;
const MAX_LABEL_LENGTH = 63;

export const RCODE_NAMES: Readonly<Record<number, string>> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
};

export class DnsFormatError extends BootstrapTestError {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super('BT_DNS_FORMAT', message);
  }
}

export type DnsRecordData =
  | { type: 'A' | 'AAAA'; address: string }
  | { type: 'CNAME' | 'NS'; target: string }
  | { type: 'SRV'; priority: number; weight: number; port: number; target: string }
  | { type: 'SOA'; primary: string; mailbox: string; serial: number; minimum: number }
  | { type: 'other'; typeCode: number; rdataHex: string };

export interface DnsRecord {
  name: string;
  ttl: number;
  classCode: number;
  data: DnsRecordData;
}

export interface DnsQuestion {
  name: string;
  typeCode: number;
  classCode: number;
}

export interface DnsResponse {
  id: number;
  isResponse: boolean;
  opcode: number;
  authoritative: boolean;
  truncated: boolean;
  recursionAvailable: boolean;
  rcode: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

/** `_sipinternaltls._tcp.lab.test.` → wire labels; refuses labels RFC 1035 cannot carry. */
export function encodeName(name: string): Buffer {
  const trimmed = name.replace(/\.$/, '');
  const labels = trimmed === '' ? [] : trimmed.split('.');
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'ascii');
    if (bytes.length === 0 || bytes.length > MAX_LABEL_LENGTH) throw new RangeError(`DNS name "${name}" has a label of ${bytes.length} bytes (1..63 allowed)`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  const wire = Buffer.concat(parts);
  if (wire.length > MAX_NAME_WIRE_LENGTH) throw new RangeError(`DNS name "${name}" is longer than ${MAX_NAME_WIRE_LENGTH} bytes`);
  return wire;
}

/** A standard query with one question, recursion desired (phones ask their resolver, not the zone). */
export function encodeDnsQuery(id: number, name: string, type: DnsTypeName): Buffer {
  const header = Buffer.alloc(HEADER_LENGTH);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4);
  const question = Buffer.alloc(4);
  question.writeUInt16BE(DNS_TYPES[type], 0);
  question.writeUInt16BE(CLASS_IN, 2);
  return Buffer.concat([header, encodeName(name), question]);
}

/** Read a possibly compressed name at `start`; `next` is where the record continues. */
export function readName(message: Buffer, start: number): { name: string; next: number } {
  const labels: string[] = [];
  let position = start;
  let segmentStart = start;
  let next: number | undefined;
  let wireLength = 0;
  for (;;) {
    if (position >= message.length) throw new DnsFormatError(`name at offset ${start} runs past the end of the message`, start);
    const length = message[position] as number;
    if ((length & 0xc0) === 0xc0) {
      if (position + 1 >= message.length) throw new DnsFormatError(`compression pointer at offset ${position} is cut`, position);
      const target = ((length & 0x3f) << 8) | (message[position + 1] as number);
      // Strictly backwards from the current segment: no loop is possible and every byte is read once.
      if (target >= segmentStart) throw new DnsFormatError(`compression pointer at offset ${position} does not point backwards (to ${target})`, position);
      next ??= position + 2;
      position = target;
      segmentStart = target;
      continue;
    }
    if ((length & 0xc0) !== 0) throw new DnsFormatError(`label type 0x${(length & 0xc0).toString(16)} at offset ${position} is not supported`, position);
    wireLength += length + 1;
    if (wireLength > MAX_NAME_WIRE_LENGTH) throw new DnsFormatError(`name at offset ${start} is longer than ${MAX_NAME_WIRE_LENGTH} bytes`, start);
    if (length === 0) return { name: labels.join('.'), next: next ?? position + 1 };
    if (position + 1 + length > message.length) throw new DnsFormatError(`label at offset ${position} runs past the end of the message`, position);
    labels.push(escapeLabel(message.subarray(position + 1, position + 1 + length)));
    position += 1 + length;
  }
}

/** Dots and bytes outside printable ASCII inside a label are escaped as \DDD (RFC 4343 §2.1). */
function escapeLabel(bytes: Buffer): string {
  let text = '';
  for (const byte of bytes) text += byte > 0x20 && byte < 0x7f && byte !== 0x2e && byte !== 0x5c ? String.fromCharCode(byte) : `\\${String(byte).padStart(3, '0')}`;
  return text;
}

function need(message: Buffer, offset: number, length: number, what: string): void {
  if (offset + length > message.length) throw new DnsFormatError(`${what} at offset ${offset} runs past the end of the message`, offset);
}

function readRecordData(message: Buffer, typeCode: number, start: number, length: number): DnsRecordData {
  const end = start + length;
  const nameWithin = (offset: number): string => {
    const read = readName(message, offset);
    if (read.next > end) throw new DnsFormatError(`name in record data at offset ${offset} runs past its record`, offset);
    return read.name;
  };
  switch (typeCode) {
    case DNS_TYPES.A:
      if (length !== 4) throw new DnsFormatError(`A record at offset ${start} has ${length} bytes, not 4`, start);
      return { type: 'A', address: [...message.subarray(start, end)].join('.') };
    case DNS_TYPES.AAAA: {
      if (length !== 16) throw new DnsFormatError(`AAAA record at offset ${start} has ${length} bytes, not 16`, start);
      const groups: number[] = [];
      for (let offset = start; offset < end; offset += 2) groups.push(message.readUInt16BE(offset));
      return { type: 'AAAA', address: formatIpv6(groups) };
    }
    case DNS_TYPES.CNAME:
    case DNS_TYPES.NS:
      return { type: typeCode === DNS_TYPES.CNAME ? 'CNAME' : 'NS', target: nameWithin(start) };
    case DNS_TYPES.SRV:
      if (length < 7) throw new DnsFormatError(`SRV record at offset ${start} is ${length} bytes`, start);
      return { type: 'SRV', priority: message.readUInt16BE(start), weight: message.readUInt16BE(start + 2), port: message.readUInt16BE(start + 4), target: nameWithin(start + 6) };
    case DNS_TYPES.SOA: {
      const primary = readName(message, start);
      const mailbox = readName(message, primary.next);
      if (mailbox.next + 20 > end) throw new DnsFormatError(`SOA record at offset ${start} runs past its record`, start);
      return { type: 'SOA', primary: primary.name, mailbox: mailbox.name, serial: message.readUInt32BE(mailbox.next), minimum: message.readUInt32BE(mailbox.next + 16) };
    }
    default:
      return { type: 'other', typeCode, rdataHex: message.subarray(start, end).toString('hex') };
  }
}

/** RFC 5952 text: lower-case hex, the longest run of two or more zero groups as `::`. */
function formatIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let index = 0; index < groups.length; ) {
    let run = 0;
    while (groups[index + run] === 0) run++;
    if (run > bestLength) [bestStart, bestLength] = [index, run];
    index += run + 1;
  }
  const text = (part: number[]): string => part.map((group) => group.toString(16)).join(':');
  if (bestStart < 0) return text(groups);
  return `${text(groups.slice(0, bestStart))}::${text(groups.slice(bestStart + bestLength))}`;
}

function readRecords(message: Buffer, offset: number, count: number): { records: DnsRecord[]; next: number } {
  const records: DnsRecord[] = [];
  let position = offset;
  for (let index = 0; index < count; index++) {
    const owner = readName(message, position);
    need(message, owner.next, 10, 'record header');
    const typeCode = message.readUInt16BE(owner.next);
    const classCode = message.readUInt16BE(owner.next + 2);
    const ttl = message.readUInt32BE(owner.next + 4);
    const length = message.readUInt16BE(owner.next + 8);
    const dataStart = owner.next + 10;
    need(message, dataStart, length, 'record data');
    records.push({ name: owner.name, ttl, classCode, data: readRecordData(message, typeCode, dataStart, length) });
    position = dataStart + length;
  }
  return { records, next: position };
}

export function decodeDnsMessage(message: Buffer): DnsResponse {
  need(message, 0, HEADER_LENGTH, 'DNS header');
  const flags = message.readUInt16BE(2);
  const questions: DnsQuestion[] = [];
  let position = HEADER_LENGTH;
  for (let index = 0; index < message.readUInt16BE(4); index++) {
    const read = readName(message, position);
    need(message, read.next, 4, 'question');
    questions.push({ name: read.name, typeCode: message.readUInt16BE(read.next), classCode: message.readUInt16BE(read.next + 2) });
    position = read.next + 4;
  }
  const answers = readRecords(message, position, message.readUInt16BE(6));
  const authorities = readRecords(message, answers.next, message.readUInt16BE(8));
  const additionals = readRecords(message, authorities.next, message.readUInt16BE(10));
  return {
    id: message.readUInt16BE(0),
    isResponse: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0x0f,
    authoritative: (flags & 0x0400) !== 0,
    truncated: (flags & 0x0200) !== 0,
    recursionAvailable: (flags & 0x0080) !== 0,
    rcode: flags & 0x000f,
    questions,
    answers: answers.records,
    authorities: authorities.records,
    additionals: additionals.records,
  };
}

export function sameName(left: string, right: string): boolean {
  return left.replace(/\.$/, '').toLowerCase() === right.replace(/\.$/, '').toLowerCase();
}

export type DnsOutcome = 'answer' | 'nxdomain' | 'nodata' | 'servfail' | 'refused' | 'error';

export interface DnsAnswer {
  outcome: DnsOutcome;
  rcode: string;
  /** Records of the asked type for the name, after following the CNAME chain inside the answer. */
  records: DnsRecordData[];
  /** The CNAME chain from the asked name, when there was one. */
  aliases: string[];
  truncated: boolean;
}

/**
 * What a response says about (name, type): NXDOMAIN, NODATA (NOERROR without a record of that
 * type, RFC 2308 §2.2), or the records, with CNAMEs followed (bounded by the answer's size).
 */
export function interpretResponse(response: DnsResponse, name: string, type: DnsTypeName): DnsAnswer {
  const rcode = RCODE_NAMES[response.rcode] ?? `RCODE${response.rcode}`;
  const base = { rcode, aliases: [] as string[], truncated: response.truncated, records: [] as DnsRecordData[] };
  if (response.rcode === 3) return { ...base, outcome: 'nxdomain' };
  if (response.rcode === 2) return { ...base, outcome: 'servfail' };
  if (response.rcode === 5) return { ...base, outcome: 'refused' };
  if (response.rcode !== 0) return { ...base, outcome: 'error' };
  let owner = name;
  const aliases: string[] = [];
  // Each hop consumes one answer record, so a CNAME loop ends after answers.length hops.
  for (let hop = 0; type !== 'CNAME' && hop < response.answers.length; hop++) {
    const alias = response.answers.find((record) => sameName(record.name, owner) && record.data.type === 'CNAME')?.data;
    if (alias?.type !== 'CNAME') break;
    owner = alias.target;
    aliases.push(owner);
  }
  const records = response.answers.filter((record) => sameName(record.name, owner) && record.data.type === type).map((record) => record.data);
  return { ...base, aliases, records, outcome: records.length > 0 ? 'answer' : 'nodata' };
}

export type DnsAnswerRecord = { name: string; ttl: number; data: Exclude<DnsRecordData, { type: 'other' }> };

const TYPE_CODES: Readonly<Record<Exclude<DnsRecordData['type'], 'other'>, number>> = DNS_TYPES;

function encodeRecordData(data: DnsAnswerRecord['data']): Buffer {
  switch (data.type) {
    case 'A':
      return Buffer.from(data.address.split('.').map(Number));
    case 'AAAA': {
      const [head = '', tail = ''] = data.address.split('::');
      const groups = (text: string): number[] => (text === '' ? [] : text.split(':').map((group) => parseInt(group, 16)));
      const left = groups(head);
      const right = groups(tail);
      const all = data.address.includes('::') ? [...left, ...new Array(8 - left.length - right.length).fill(0), ...right] : left;
      const bytes = Buffer.alloc(16);
      all.forEach((group, index) => bytes.writeUInt16BE(group, index * 2));
      return bytes;
    }
    case 'CNAME':
    case 'NS':
      return encodeName(data.target);
    case 'SRV': {
      const fixed = Buffer.alloc(6);
      fixed.writeUInt16BE(data.priority, 0);
      fixed.writeUInt16BE(data.weight, 2);
      fixed.writeUInt16BE(data.port, 4);
      return Buffer.concat([fixed, encodeName(data.target)]);
    }
    case 'SOA': {
      const numbers = Buffer.alloc(20);
      numbers.writeUInt32BE(data.serial, 0);
      numbers.writeUInt32BE(data.minimum, 16);
      return Buffer.concat([encodeName(data.primary), encodeName(data.mailbox), numbers]);
    }
  }
}

/**
 * A response to `query` (its id, RD and question echoed), uncompressed: servers written for tests
 * and the lab need no compression, and the decoder reads both forms.
 */
export function encodeDnsResponse(query: DnsResponse, rcode: number, answers: readonly DnsAnswerRecord[], authorities: readonly DnsAnswerRecord[] = []): Buffer {
  const header = Buffer.alloc(HEADER_LENGTH);
  header.writeUInt16BE(query.id, 0);
  header.writeUInt16BE(0x8000 | 0x0400 | 0x0100 | 0x0080 | (rcode & 0x0f), 2); // QR AA RD RA
  header.writeUInt16BE(query.questions.length, 4);
  header.writeUInt16BE(answers.length, 6);
  header.writeUInt16BE(authorities.length, 8);
  const questions = query.questions.map((question) => {
    const tail = Buffer.alloc(4);
    tail.writeUInt16BE(question.typeCode, 0);
    tail.writeUInt16BE(question.classCode, 2);
    return Buffer.concat([encodeName(question.name), tail]);
  });
  const records = [...answers, ...authorities].map((record) => {
    const rdata = encodeRecordData(record.data);
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(TYPE_CODES[record.data.type], 0);
    fixed.writeUInt16BE(CLASS_IN, 2);
    fixed.writeUInt32BE(record.ttl, 4);
    fixed.writeUInt16BE(rdata.length, 8);
    return Buffer.concat([encodeName(record.name), fixed, rdata]);
  });
  return Buffer.concat([header, ...questions, ...records]);
}
