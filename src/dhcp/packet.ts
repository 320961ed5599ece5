// BOOTP/DHCP messages: decode (never throws, never reads outside the buffer, collects problems with
// offsets, dhcp.md sections b and c) and encode (header + ordered options, RFC 3396 splitting, padding).

import { formatHex } from './hex.js';
import { decodeMsUcVendorInfo, MSUC_VENDOR_CLASS } from './msuc.js';
import { decodeSipServers } from './option120.js';
import { formatIpv4, requireIpv4 } from '../net/ipv4.js';
import { describeOption, MESSAGE_TYPE_NAMES, optionName, vendorInfoToJSON } from './options.js';
import type { BootpHeader, DhcpPacket, OptionArea, OptionInstance, Problem, ReassembledOption } from './types.js';

export const MAGIC_COOKIE = Uint8Array.of(0x63, 0x82, 0x53, 0x63);
export const BOOTP_HEADER_LENGTH = 236;
export const OPTIONS_START = 240;
/** BOOTP-era relays expect at least this many bytes (dhcp.md a.7). */
export const BOOTP_MIN_LENGTH = 300;

const SNAME = { start: 44, end: 108 } as const;
const FILE = { start: 108, end: 236 } as const;

export const OPTION_PAD = 0;
export const OPTION_END = 255;
export const OPTION_OVERLOAD = 52;
export const OPTION_MESSAGE_TYPE = 53;
export const OPTION_WINDOWS_CONTINUATION = 250;

/**
 * Option instances read from one datagram. A real reply has a few dozen; even a 64 KiB value split
 * in 255-byte pieces needs under 300. The cap bounds the work a hostile 64 KiB datagram can cause.
 */
export const MAX_OPTION_INSTANCES = 1024;
/** Problems kept per packet; the rest are counted in one closing problem. */
export const MAX_PROBLEMS = 200;

export const DHCP_MESSAGE_TYPE = {
  discover: 1,
  offer: 2,
  request: 3,
  decline: 4,
  ack: 5,
  nak: 6,
  release: 7,
  inform: 8,
} as const;

export interface DecodePacketOptions {
  /**
   * Read the packet as the answer to a DHCPINFORM: warn about a lease time or a non-zero yiaddr, and
   * expect option 43 when option 120 came back. Default: assumed for an ACK whose yiaddr is 0.0.0.0.
   */
  informReply?: boolean;
}

function u8(bytes: Uint8Array, offset: number): number {
  return bytes[offset] ?? 0;
}

function u16(bytes: Uint8Array, offset: number): number {
  return u8(bytes, offset) * 256 + u8(bytes, offset + 1);
}

function u32(bytes: Uint8Array, offset: number): number {
  return u16(bytes, offset) * 65536 + u16(bytes, offset + 2);
}

function fieldText(bytes: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let i = start; i < Math.min(end, bytes.length); i++) {
    const byte = bytes[i] as number;
    if (byte === 0) break;
    text += byte >= 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : '\\x' + byte.toString(16).padStart(2, '0');
  }
  return text;
}

function hardwareAddress(bytes: Uint8Array, length: number): string {
  const parts: string[] = [];
  for (let i = 0; i < length; i++) parts.push(u8(bytes, 28 + i).toString(16).padStart(2, '0'));
  return parts.join(':');
}

interface AreaWalk {
  instances: OptionInstance[];
  endOffset?: number;
}

/** Walk one option area (dhcp.md b.2), reading at most `budget` instances. Offsets are datagram offsets. */
function walkArea(bytes: Uint8Array, start: number, end: number, area: OptionArea, problems: Problem[], budget: number): AreaWalk {
  const instances: OptionInstance[] = [];
  let position = start;
  while (position < end) {
    if (instances.length >= budget) {
      problems.push({
        severity: 'error',
        code: 'too-many-options',
        offset: position,
        offsetIn: 'packet',
        message: `more than ${MAX_OPTION_INSTANCES} option instances; the ${area} area is not read past offset ${position}`,
      });
      return { instances };
    }
    const code = bytes[position] as number;
    if (code === OPTION_PAD) {
      position += 1;
      continue;
    }
    if (code === OPTION_END) return { instances, endOffset: position };
    const length = position + 1 < end ? (bytes[position + 1] as number) : undefined;
    if (length === undefined || position + 2 + length > end) {
      const why = length === undefined ? 'no length byte' : `length ${length}, ${end - position - 2} bytes left`;
      problems.push({
        severity: 'error',
        code: 'option-overrun',
        option: code,
        offset: position,
        offsetIn: 'packet',
        message: `option ${code} at offset ${position} overruns the ${area} area (${why})`,
      });
      return { instances };
    }
    instances.push({ code, offset: position, area, data: bytes.subarray(position + 2, position + 2 + length) });
    position += 2 + length;
  }
  problems.push({
    severity: 'warn',
    code: area === 'options' ? 'no-end-option' : 'overload-no-end',
    offset: end,
    offsetIn: 'packet',
    message: `the ${area} area ends without an END option; options read so far are used`,
  });
  return { instances };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let position = 0;
  for (const part of parts) {
    out.set(part, position);
    position += part.length;
  }
  return out;
}

/**
 * RFC 3396 reassembly plus Windows' option-250 continuation: a 250 directly after a 255-byte instance
 * (or after a 250 that was itself a 255-byte continuation) extends that instance (dhcp.md b.4).
 */
function reassemble(instances: readonly OptionInstance[]): Map<number, ReassembledOption> {
  interface Logical {
    code: number;
    pieces: OptionInstance[];
  }
  const logical: Logical[] = [];
  let previous: { logical: Logical; instance: OptionInstance } | undefined;
  for (const instance of instances) {
    if (
      instance.code === OPTION_WINDOWS_CONTINUATION &&
      previous &&
      previous.instance.area === instance.area &&
      previous.instance.data.length === 255 &&
      previous.instance.offset + 257 === instance.offset
    ) {
      previous.logical.pieces.push(instance);
      previous = { logical: previous.logical, instance };
      continue;
    }
    const entry: Logical = { code: instance.code, pieces: [instance] };
    logical.push(entry);
    previous = { logical: entry, instance };
  }
  const byCode = new Map<number, OptionInstance[]>();
  for (const entry of logical) {
    const list = byCode.get(entry.code);
    if (list) for (const piece of entry.pieces) list.push(piece);
    else byCode.set(entry.code, entry.pieces);
  }
  const options = new Map<number, ReassembledOption>();
  for (const [code, pieces] of byCode) {
    options.set(code, { code, data: concat(pieces.map((piece) => piece.data)), instances: pieces });
  }
  return options;
}

/**
 * Maps offsets inside a reassembled value back to the datagram. The value offset where each piece
 * starts is computed once, so each lookup is a binary search instead of a walk over every piece.
 */
export function valueOffsetMapper(option: ReassembledOption): (valueOffset: number) => number | undefined {
  const pieceStarts: number[] = [];
  let consumed = 0;
  for (const piece of option.instances) {
    pieceStarts.push(consumed);
    consumed += piece.data.length;
  }
  return (valueOffset) => {
    if (valueOffset < 0 || valueOffset >= consumed) return undefined;
    let low = 0;
    let high = pieceStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((pieceStarts[middle] as number) <= valueOffset) low = middle;
      else high = middle - 1;
    }
    // Zero-length pieces share a start with the next piece; the search lands on the last of them.
    return (option.instances[low] as OptionInstance).offset + 2 + (valueOffset - (pieceStarts[low] as number));
  };
}

function withPacketOffsets(problems: readonly Problem[], option: ReassembledOption): Problem[] {
  const toPacket = valueOffsetMapper(option);
  return problems.map((problem) => {
    if (problem.offsetIn !== 'option' || problem.offset === undefined) return problem;
    const packetOffset = toPacket(problem.offset);
    return packetOffset === undefined ? problem : { ...problem, packetOffset };
  });
}

/** Keeps the first MAX_PROBLEMS problems and says how many more there were. */
function capProblems(problems: Problem[]): void {
  if (problems.length <= MAX_PROBLEMS) return;
  const omitted = problems.length - MAX_PROBLEMS;
  const worst = worstSeverity(problems.slice(MAX_PROBLEMS)) ?? 'warn';
  problems.length = MAX_PROBLEMS;
  problems.push({ severity: worst, code: 'problems-omitted', message: `${omitted} more problems in this packet not listed` });
}

function readHeader(bytes: Uint8Array, problems: Problem[]): BootpHeader {
  let hlen = u8(bytes, 2);
  if (hlen > 16) {
    problems.push({ severity: 'warn', code: 'hlen-too-large', offset: 2, offsetIn: 'packet', message: `hlen is ${hlen}, more than the 16 bytes of chaddr; using 16` });
    hlen = 16;
  }
  return {
    op: u8(bytes, 0),
    htype: u8(bytes, 1),
    hlen: u8(bytes, 2),
    hops: u8(bytes, 3),
    xid: u32(bytes, 4),
    secs: u16(bytes, 8),
    flags: u16(bytes, 10),
    ciaddr: formatIpv4(bytes, 12),
    yiaddr: formatIpv4(bytes, 16),
    siaddr: formatIpv4(bytes, 20),
    giaddr: formatIpv4(bytes, 24),
    chaddr: hardwareAddress(bytes, hlen),
    sname: '',
    file: '',
  };
}

/** Decode a BOOTP/DHCP message (the UDP payload). Never throws; see `problems`. */
export function decodePacket(bytes: Uint8Array, options: DecodePacketOptions = {}): DhcpPacket {
  const problems: Problem[] = [];
  const packet: DhcpPacket = {
    header: readHeader(bytes, problems),
    options: new Map(),
    instances: [],
    problems,
    byteLength: bytes.length,
  };
  if (bytes.length < OPTIONS_START) {
    problems.unshift({ severity: 'reject', code: 'truncated', offset: bytes.length, offsetIn: 'packet', message: `truncated DHCP message, ${bytes.length} bytes (at least ${OPTIONS_START} needed)` });
    return packet;
  }
  packet.magicCookie = formatHex(bytes.subarray(BOOTP_HEADER_LENGTH, OPTIONS_START));
  if (packet.magicCookie !== '63825363') {
    problems.push({ severity: 'reject', code: 'bad-magic-cookie', offset: BOOTP_HEADER_LENGTH, offsetIn: 'packet', message: `magic cookie is ${packet.magicCookie}, not 63825363: not a DHCP message` });
    packet.header.sname = fieldText(bytes, SNAME.start, SNAME.end);
    packet.header.file = fieldText(bytes, FILE.start, FILE.end);
    return packet;
  }

  const main = walkArea(bytes, OPTIONS_START, bytes.length, 'options', problems, MAX_OPTION_INSTANCES);
  const instances = [...main.instances];
  if (main.endOffset !== undefined) {
    packet.endOffset = main.endOffset;
    packet.bytesAfterEnd = bytes.length - main.endOffset - 1;
  }

  const overload = readOverload(main.instances, problems);
  if (overload !== undefined) packet.overload = overload;
  const overloadAreas: { area: OptionArea; start: number; end: number }[] = [];
  if (overload !== undefined && overload & 1) overloadAreas.push({ area: 'file', ...FILE });
  if (overload !== undefined && overload & 2) overloadAreas.push({ area: 'sname', ...SNAME });
  for (const field of overloadAreas) {
    for (const instance of walkArea(bytes, field.start, field.end, field.area, problems, MAX_OPTION_INSTANCES - instances.length).instances) {
      if (instance.code === OPTION_OVERLOAD) {
        problems.push({ severity: 'warn', code: 'overload-nested', option: 52, offset: instance.offset, offsetIn: 'packet', message: `option 52 inside the ${field.area} field at offset ${instance.offset} ignored` });
        continue;
      }
      instances.push(instance);
    }
  }
  if (!(overload !== undefined && overload & 2)) packet.header.sname = fieldText(bytes, SNAME.start, SNAME.end);
  if (!(overload !== undefined && overload & 1)) packet.header.file = fieldText(bytes, FILE.start, FILE.end);
  packet.instances = instances;
  packet.options = reassemble(instances.filter((instance) => !(instance.code === OPTION_OVERLOAD && instance.area !== 'options')));

  interpretOptions(packet, options);
  capProblems(problems);
  return packet;
}

function readOverload(instances: readonly OptionInstance[], problems: Problem[]): number | undefined {
  const found = instances.filter((instance) => instance.code === OPTION_OVERLOAD);
  const first = found[0];
  if (!first) return undefined;
  const value = first.data[0];
  if (found.length > 1 || first.data.length !== 1 || value === undefined || value < 1 || value > 3) {
    const shown = found.length > 1 ? `${found.length} instances` : `length ${first.data.length}${value !== undefined ? `, value ${value}` : ''}`;
    problems.push({ severity: 'warn', code: 'overload-invalid', option: 52, offset: first.offset, offsetIn: 'packet', message: `option 52 (overload) at offset ${first.offset} is invalid (${shown}); sname and file not read as options` });
    return undefined;
  }
  return value;
}

function interpretOptions(packet: DhcpPacket, options: DecodePacketOptions): void {
  const problems = packet.problems;
  const messageType = packet.options.get(OPTION_MESSAGE_TYPE);
  if (!messageType) {
    problems.push({ severity: 'reject', code: 'no-message-type', option: 53, message: 'no option 53 (DHCP message type): a BOOTP reply, not DHCP' });
  } else if (messageType.instances.length > 1) {
    problems.push({ severity: 'reject', code: 'message-type-repeated', option: 53, offset: messageType.instances[1]?.offset, offsetIn: 'packet', message: `option 53 (DHCP message type) appears ${messageType.instances.length} times (${messageType.data.length} bytes after concatenation)` });
  } else if (messageType.data.length !== 1) {
    problems.push({ severity: 'reject', code: 'message-type-length', option: 53, offset: messageType.instances[0]?.offset, offsetIn: 'packet', message: `option 53 (DHCP message type) is ${messageType.data.length} bytes, not 1` });
  } else {
    packet.messageType = messageType.data[0] as number;
  }

  const serverId = packet.options.get(54);
  if (serverId) {
    if (serverId.data.length === 4) {
      packet.serverIdentifier = formatIpv4(serverId.data);
    } else {
      const why = serverId.instances.length > 1 ? `appears ${serverId.instances.length} times` : `is ${serverId.data.length} bytes, not 4`;
      problems.push({ severity: 'warn', code: 'server-id-invalid', option: 54, offset: serverId.instances[0]?.offset, offsetIn: 'packet', message: `option 54 (server identifier) ${why}; the IP source address identifies the server instead` });
    }
  }

  const vendorClass = packet.options.get(60);
  if (vendorClass) packet.vendorClass = describeOption(60, vendorClass.data).value as string;

  const informReply = options.informReply ?? (packet.messageType === DHCP_MESSAGE_TYPE.ack && packet.header.yiaddr === '0.0.0.0');
  if (informReply) {
    if (packet.options.has(51)) {
      problems.push({ severity: 'warn', code: 'inform-lease-time', option: 51, offset: packet.options.get(51)?.instances[0]?.offset, offsetIn: 'packet', message: 'the answer to a DHCPINFORM carries a lease time (option 51); a server must not send one' });
    }
    if (packet.header.yiaddr !== '0.0.0.0') {
      problems.push({ severity: 'warn', code: 'inform-yiaddr', offset: 16, offsetIn: 'packet', message: `the answer to a DHCPINFORM has yiaddr ${packet.header.yiaddr}; a server must not allocate an address` });
    }
  }

  const vendorInfo = packet.options.get(43);
  if (vendorInfo) {
    packet.msuc = decodeMsUcVendorInfo(vendorInfo.data);
    packet.msuc.problems = withPacketOffsets(packet.msuc.problems, vendorInfo);
    problems.push(...packet.msuc.problems);
  }
  const sipServers = packet.options.get(120);
  if (sipServers) {
    packet.sipServers = decodeSipServers(sipServers.data);
    packet.sipServers.problems = withPacketOffsets(packet.sipServers.problems, sipServers);
    problems.push(...packet.sipServers.problems);
  }
  if (informReply && sipServers && !vendorInfo && packet.messageType === DHCP_MESSAGE_TYPE.ack) {
    problems.push({
      severity: 'error',
      code: 'msuc-absent',
      option: 43,
      message: `no option 43 for vendor class ${MSUC_VENDOR_CLASS} although option 120 came back (wrong class name or case on the server, or 43 not configured)`,
    });
  }
}

/** The worst severity among the problems, or undefined when there are none. */
export function worstSeverity(problems: readonly Problem[]): Problem['severity'] | undefined {
  if (problems.some((p) => p.severity === 'reject')) return 'reject';
  if (problems.some((p) => p.severity === 'error')) return 'error';
  if (problems.some((p) => p.severity === 'warn')) return 'warn';
  return undefined;
}

// ----------------------------------------------------------------------------------------------
// Encoding

export interface PacketHeaderInput {
  op?: number;
  htype?: number;
  /** Default: the length of chaddr. */
  hlen?: number;
  hops?: number;
  xid?: number;
  secs?: number;
  flags?: number;
  ciaddr?: string;
  yiaddr?: string;
  siaddr?: string;
  giaddr?: string;
  /** Colon/dash separated hex ("02:00:00:00:99:02") or bytes; at most 16. */
  chaddr?: string | Uint8Array;
  /** Text for the sname field (ignored when `snameOptions` are given). */
  sname?: string;
  /** Text for the file field (ignored when `fileOptions` are given). */
  file?: string;
}

export interface PacketOption {
  code: number;
  data: Uint8Array;
}

export interface EncodePacketInput {
  header?: PacketHeaderInput;
  /** Options in the order they go on the wire, without PAD/END. Values over 255 bytes are split. */
  options: readonly PacketOption[];
  /** Options carried in `file` (sets option 52). */
  fileOptions?: readonly PacketOption[];
  /** Options carried in `sname` (sets option 52). */
  snameOptions?: readonly PacketOption[];
  /** Pad with zeros after END up to this size. Default 300 (dhcp.md a.7); 0 for no padding. */
  minLength?: number;
  /** How to carry values over 255 bytes: consecutive instances (RFC 3396) or Windows' option 250. */
  longOptions?: 'rfc3396' | 'windows-250';
}

export function parseMac(text: string): Uint8Array {
  const parts = text.split(/[:-]/);
  if (parts.length < 1 || parts.length > 16 || parts.some((part) => !/^[0-9a-fA-F]{2}$/.test(part))) {
    throw new RangeError(`chaddr: "${text}" is not a hardware address like 02:00:00:00:99:02`);
  }
  return Uint8Array.from(parts, (part) => parseInt(part, 16));
}

/** The bytes of one option split into instances of at most 255 bytes (code, length, data each). */
function optionWireLength(option: PacketOption): number {
  const pieces = Math.max(1, Math.ceil(option.data.length / 255));
  return option.data.length + 2 * pieces;
}

function writeOptions(out: Uint8Array, position: number, list: readonly PacketOption[], longOptions: 'rfc3396' | 'windows-250'): number {
  for (const option of list) {
    if (!Number.isInteger(option.code) || option.code < 1 || option.code > 254) throw new RangeError(`option code ${option.code} is not in 1..254`);
    let offset = 0;
    let first = true;
    do {
      const chunk = option.data.subarray(offset, offset + 255);
      out[position] = first || longOptions === 'rfc3396' ? option.code : OPTION_WINDOWS_CONTINUATION;
      out[position + 1] = chunk.length;
      out.set(chunk, position + 2);
      position += 2 + chunk.length;
      offset += chunk.length;
      first = false;
    } while (offset < option.data.length);
  }
  return position;
}

function areaLength(list: readonly PacketOption[]): number {
  return list.reduce((total, option) => total + optionWireLength(option), 0) + 1;
}

function withOverload(input: EncodePacketInput): readonly PacketOption[] {
  const overload = (input.fileOptions ? 1 : 0) | (input.snameOptions ? 2 : 0);
  if (!overload) return input.options;
  const list = input.options.filter((option) => option.code !== OPTION_OVERLOAD);
  const at = list.findIndex((option) => option.code === OPTION_MESSAGE_TYPE);
  list.splice(at + 1, 0, { code: OPTION_OVERLOAD, data: Uint8Array.of(overload) });
  return list;
}

export function packetEncodingLength(input: EncodePacketInput): number {
  const unpadded = OPTIONS_START + areaLength(withOverload(input));
  return Math.max(unpadded, input.minLength ?? BOOTP_MIN_LENGTH);
}

/** Build a BOOTP/DHCP message. Throws RangeError for a value that cannot be encoded. */
export function encodePacket(input: EncodePacketInput): Uint8Array {
  const header = input.header ?? {};
  const longOptions = input.longOptions ?? 'rfc3396';
  const out = new Uint8Array(packetEncodingLength(input));
  const chaddr = typeof header.chaddr === 'string' ? parseMac(header.chaddr) : (header.chaddr ?? new Uint8Array(0));
  if (chaddr.length > 16) throw new RangeError(`chaddr is ${chaddr.length} bytes; at most 16`);
  out[0] = header.op ?? 1;
  out[1] = header.htype ?? 1;
  out[2] = header.hlen ?? chaddr.length;
  out[3] = header.hops ?? 0;
  const xid = header.xid ?? 0;
  out[4] = (xid >>> 24) & 0xff;
  out[5] = (xid >>> 16) & 0xff;
  out[6] = (xid >>> 8) & 0xff;
  out[7] = xid & 0xff;
  out[8] = ((header.secs ?? 0) >> 8) & 0xff;
  out[9] = (header.secs ?? 0) & 0xff;
  out[10] = ((header.flags ?? 0) >> 8) & 0xff;
  out[11] = (header.flags ?? 0) & 0xff;
  out.set(requireIpv4(header.ciaddr ?? '0.0.0.0', 'ciaddr'), 12);
  out.set(requireIpv4(header.yiaddr ?? '0.0.0.0', 'yiaddr'), 16);
  out.set(requireIpv4(header.siaddr ?? '0.0.0.0', 'siaddr'), 20);
  out.set(requireIpv4(header.giaddr ?? '0.0.0.0', 'giaddr'), 24);
  out.set(chaddr, 28);
  writeField(out, SNAME, 'sname', input.snameOptions, header.sname, longOptions);
  writeField(out, FILE, 'file', input.fileOptions, header.file, longOptions);
  out.set(MAGIC_COOKIE, BOOTP_HEADER_LENGTH);
  const end = writeOptions(out, OPTIONS_START, withOverload(input), longOptions);
  out[end] = OPTION_END;
  return out;
}

function writeField(
  out: Uint8Array,
  field: { start: number; end: number },
  name: string,
  list: readonly PacketOption[] | undefined,
  text: string | undefined,
  longOptions: 'rfc3396' | 'windows-250',
): void {
  const size = field.end - field.start;
  if (list) {
    if (areaLength(list) > size) throw new RangeError(`the options for ${name} need ${areaLength(list)} bytes; the field holds ${size}`);
    const end = writeOptions(out, field.start, list, longOptions);
    out[end] = OPTION_END;
    return;
  }
  if (text === undefined) return;
  if (text.length >= size || /[^\x01-\xff]/.test(text)) throw new RangeError(`${name}: text must be under ${size} 8-bit characters without NUL`);
  for (let i = 0; i < text.length; i++) out[field.start + i] = text.charCodeAt(i);
}

// ----------------------------------------------------------------------------------------------
// JSON view (the shape of vectors/ack-kea.json), for --json and for tests

export function packetToJSON(packet: DhcpPacket): Record<string, unknown> {
  const header = packet.header;
  const decoded: Record<string, unknown> = {};
  if (packet.messageType !== undefined) {
    decoded.messageType = { value: packet.messageType, name: MESSAGE_TYPE_NAMES[packet.messageType] ?? `type ${packet.messageType}` };
  }
  if (packet.serverIdentifier !== undefined) decoded.serverIdentifier = packet.serverIdentifier;
  if (packet.vendorClass !== undefined) decoded.vendorClass = packet.vendorClass;
  const others: Record<string, unknown> = {};
  for (const [code, option] of packet.options) {
    if (code === 43 || code === 120 || code === 53 || code === 54 || code === 60) continue;
    const described = describeOption(code, option.data);
    if (code === 61) decoded.clientIdentifier = described.value;
    else others[String(code)] = { name: described.name, value: described.value };
  }
  if (packet.sipServers) {
    decoded.option120 = {
      encoding: packet.sipServers.encoding,
      names: packet.sipServers.names,
      ...(packet.sipServers.addresses.length > 0 ? { addresses: packet.sipServers.addresses } : {}),
      ...(packet.sipServers.compressionOrigin ? { compressionOrigin: packet.sipServers.compressionOrigin } : {}),
    };
  }
  if (packet.msuc) decoded.option43 = vendorInfoToJSON(packet.msuc);
  if (packet.msuc?.certProvisioningUrl) decoded.certProvisioningUrl = packet.msuc.certProvisioningUrl;
  if (Object.keys(others).length > 0) decoded.otherOptions = others;
  return {
    bytes: packet.byteLength,
    header: {
      ...header,
      xidHex: '0x' + header.xid.toString(16).padStart(8, '0'),
      broadcastFlag: (header.flags & 0x8000) !== 0,
      ...(packet.magicCookie !== undefined ? { magicCookie: packet.magicCookie } : {}),
    },
    ...(packet.overload !== undefined ? { overload: packet.overload } : {}),
    options: packet.instances.map((instance) => ({
      offset: instance.offset,
      ...(instance.area !== 'options' ? { area: instance.area } : {}),
      code: instance.code,
      name: optionName(instance.code),
      length: instance.data.length,
      hex: formatHex(instance.data),
    })),
    ...(packet.endOffset !== undefined ? { endOptionOffset: packet.endOffset, bytesAfterEnd: packet.bytesAfterEnd } : {}),
    decoded,
    problems: packet.problems,
  };
}
