// What `dhcp decode` does with whatever an administrator pastes or saves: work out whether it is a
// DHCP message, a frame around one, a capture file, or a single option 43/119/120 value; decode it;
// render it for people or as JSON. Pure: bytes in, strings out.

import { formatHex } from './hex.js';
import { decodeMsUcVendorInfo, subOptionName } from './msuc.js';
import { decodeSipServers } from './option120.js';
import { describeOption, MESSAGE_TYPE_NAMES, optionName, vendorInfoToJSON } from './options.js';
import { decodePacket, packetToJSON, worstSeverity, MAGIC_COOKIE, OPTIONS_START } from './packet.js';
import { datagramFromFrame, isCapture, LINKTYPE, readCapture, type CaptureReadResult, type CapturedDatagram } from './pcap.js';
import { decodeNameList } from './names.js';
import type { DhcpPacket, MsUcVendorInfo, Problem, SipServersOption } from './types.js';
import { BootstrapTestError } from '../errors.js';

export type SingleOption = 43 | 119 | 120;

export interface OptionInspection {
  kind: 'option';
  option: SingleOption;
  /** Set when the option was guessed rather than given; says why. */
  guessed?: string;
  data: Uint8Array;
  msuc?: MsUcVendorInfo;
  sipServers?: SipServersOption;
  domainSearch?: string[];
  problems: Problem[];
}

export interface PacketInspection {
  kind: 'packet';
  /** Set when the DHCP message was found inside a frame; says which. */
  guessed?: string;
  packet: DhcpPacket;
}

export interface CaptureInspection {
  kind: 'capture';
  capture: Omit<CaptureReadResult, 'datagrams'>;
  datagrams: { datagram: CapturedDatagram; packet: DhcpPacket }[];
}

export type Inspection = OptionInspection | PacketInspection | CaptureInspection;

/** Input we cannot work with at all; the CLI turns it into a usage error. */
export class UnusableInputError extends BootstrapTestError {
  constructor(message: string) {
    super('BT_UNUSABLE_INPUT', message);
  }
}

function hasCookie(bytes: Uint8Array, at = 236): boolean {
  return bytes.length >= at + 4 && MAGIC_COOKIE.every((byte, i) => bytes[at + i] === byte);
}

export function inspectOption(option: SingleOption, data: Uint8Array, guessed?: string): OptionInspection {
  const base = { kind: 'option' as const, option, data, ...(guessed ? { guessed } : {}) };
  if (option === 43) {
    const msuc = decodeMsUcVendorInfo(data);
    return { ...base, msuc, problems: msuc.problems };
  }
  if (option === 120) {
    const sipServers = decodeSipServers(data);
    return { ...base, sipServers, problems: sipServers.problems };
  }
  const decoded = decodeNameList(data, { start: 0, origin: 0, option: 119 });
  if (data.length === 0) decoded.problems.push({ severity: 'error', code: 'option-empty', option: 119, message: 'option 119 empty' });
  return { ...base, domainSearch: decoded.names, problems: decoded.problems };
}

/** A value given with its code and length bytes ("2b 55 ...") loses them; the guess says so. */
function stripTlv(bytes: Uint8Array, code: number): Uint8Array | undefined {
  return bytes.length >= 2 && bytes[0] === code && bytes[1] === bytes.length - 2 ? bytes.subarray(2) : undefined;
}

function looksLikeSubOptions(bytes: Uint8Array): boolean {
  const msuc = decodeMsUcVendorInfo(bytes);
  return msuc.subOptions.some((sub) => sub.code >= 1 && sub.code <= 5) && !msuc.problems.some((p) => p.code === 'msuc-damaged' || p.code === 'msuc-not-suboptions');
}

function looksLikeSipServers(bytes: Uint8Array): boolean {
  const sip = decodeSipServers(bytes);
  return (sip.names.length > 0 || sip.addresses.length > 0) && !sip.problems.some((p) => p.severity === 'error');
}

/**
 * Longest input guessed to be a bare option 43/120 value. Pasted values are a few hundred bytes at
 * most; anything longer is a file, and a guess would dump it as hundreds of KB of "sub-options".
 */
const MAX_GUESSED_VALUE_BYTES = 1024;

/** A BOOTP message without the DHCP cookie still has op 1 or 2 and a hardware address of at most 16 bytes. */
function looksLikeBootpHeader(bytes: Uint8Array): boolean {
  return (bytes[0] === 1 || bytes[0] === 2) && (bytes[2] as number) <= 16;
}

const FILE_SIGNATURES: ReadonlyArray<{ magic: readonly number[]; name: string }> = [
  { magic: [0x89, 0x50, 0x4e, 0x47], name: 'a PNG image' },
  { magic: [0x7f, 0x45, 0x4c, 0x46], name: 'an ELF executable' },
  { magic: [0x25, 0x50, 0x44, 0x46], name: 'a PDF document' },
  { magic: [0x50, 0x4b, 0x03, 0x04], name: 'a ZIP archive' },
  { magic: [0x1f, 0x8b], name: 'gzip data' },
  { magic: [0xff, 0xd8, 0xff], name: 'a JPEG image' },
];

/** What a file that is not ours looks like, when its first bytes say so. */
function knownFileType(bytes: Uint8Array): string | undefined {
  return FILE_SIGNATURES.find((signature) => signature.magic.every((byte, i) => bytes[i] === byte))?.name;
}

/**
 * Decode bytes given as hex or read from a file. `option` forces a single-option decode; otherwise a
 * DHCP message, an Ethernet/IPv4 frame holding one, or an obvious option 43/120 value is recognised.
 */
export function inspectBytes(bytes: Uint8Array, option?: SingleOption): Inspection {
  if (option !== undefined) {
    const stripped = stripTlv(bytes, option);
    if (stripped && !(option === 120 && looksLikeSipServers(bytes)) && !(option === 43 && looksLikeSubOptions(bytes))) {
      return inspectOption(option, stripped, `the input starts with code ${option} and a matching length byte; decoded the ${stripped.length}-byte value after them`);
    }
    return inspectOption(option, bytes);
  }
  if (isCapture(bytes)) return inspectCapture(bytes);
  if (hasCookie(bytes)) return { kind: 'packet', packet: decodePacket(bytes) };

  for (const [linkType, name] of [
    [LINKTYPE.ethernet, 'an Ethernet frame'],
    [LINKTYPE.raw, 'an IPv4 packet'],
    [LINKTYPE.linuxSll2, 'a Linux cooked (SLL2) frame'],
    [LINKTYPE.linuxSll, 'a Linux cooked (SLL) frame'],
  ] as const) {
    const datagram = datagramFromFrame(bytes, linkType);
    if (datagram && hasCookie(datagram.payload)) {
      return {
        kind: 'packet',
        guessed: `${name} from ${datagram.source}:${datagram.sourcePort} to ${datagram.destination}:${datagram.destinationPort}; decoded the DHCP message inside`,
        packet: decodePacket(datagram.payload),
      };
    }
  }

  if (bytes.length <= MAX_GUESSED_VALUE_BYTES) {
    const tlv120 = stripTlv(bytes, 120);
    if (tlv120 && looksLikeSipServers(tlv120)) return inspectOption(120, tlv120, 'option 120 with its code and length bytes (78 ..)');
    const tlv43 = stripTlv(bytes, 43);
    if (tlv43 && looksLikeSubOptions(tlv43)) return inspectOption(43, tlv43, 'option 43 with its code and length bytes (2b ..)');
    if (looksLikeSubOptions(bytes)) return inspectOption(43, bytes, 'an option 43 value: it reads as MS-UC-Client sub-options');
    if (looksLikeSipServers(bytes)) return inspectOption(120, bytes, 'an option 120 value: an encoding byte followed by names or addresses');
  }

  if (bytes.length >= OPTIONS_START && looksLikeBootpHeader(bytes)) return { kind: 'packet', packet: decodePacket(bytes) };
  if (bytes.length >= OPTIONS_START) {
    const known = knownFileType(bytes);
    throw new UnusableInputError(
      `${bytes.length} bytes${known ? ` of ${known}` : ''}: not a DHCP message (no magic cookie at offset 236, and bytes 0-2 are not a BOOTP op, htype and hlen), not a pcap/pcapng capture and not hex; it starts ${formatHex(bytes.subarray(0, 8), { separator: ' ' })}`,
    );
  }
  throw new UnusableInputError(
    `${bytes.length} bytes: too short for a DHCP message (at least ${OPTIONS_START}) and not recognisable as an option 43 or 120 value; say which with --option 43|119|120`,
  );
}

export function inspectCapture(bytes: Uint8Array): CaptureInspection {
  const capture = readCapture(bytes);
  const { datagrams, ...summary } = capture;
  if (datagrams.length === 0) {
    const s = capture.skipped;
    throw new UnusableInputError(
      `the ${capture.format} capture holds no DHCP datagrams (${capture.frames} frames; skipped: ${s.notIpv4} not IPv4, ${s.notUdp} not UDP, ${s.fragments} IP fragments, ${s.otherPorts} other ports, ${s.unsupportedLink} unsupported link type, ${s.malformed} malformed)`,
    );
  }
  return { kind: 'capture', capture: summary, datagrams: datagrams.map((datagram) => ({ datagram, packet: decodePacket(datagram.payload) })) };
}

/** Every problem in the inspection. */
export function inspectionProblems(inspection: Inspection): Problem[] {
  if (inspection.kind === 'option') return inspection.problems;
  if (inspection.kind === 'packet') return inspection.packet.problems;
  return inspection.datagrams.flatMap((entry) => entry.packet.problems);
}

/** True when what was decoded has errors or rejects (exit status 1). */
export function inspectionFailed(inspection: Inspection): boolean {
  const worst = worstSeverity(inspectionProblems(inspection));
  return worst === 'reject' || worst === 'error';
}

// ----------------------------------------------------------------------------------------------
// JSON

export function inspectionToJSON(inspection: Inspection): Record<string, unknown> {
  if (inspection.kind === 'packet') {
    return { kind: 'packet', ...(inspection.guessed ? { guessed: inspection.guessed } : {}), ...packetToJSON(inspection.packet) };
  }
  if (inspection.kind === 'capture') {
    return {
      kind: 'capture',
      ...inspection.capture,
      datagrams: inspection.datagrams.map(({ datagram, packet }) => ({
        frame: datagram.frame,
        time: isoTime(datagram.time),
        source: `${datagram.source}:${datagram.sourcePort}`,
        destination: `${datagram.destination}:${datagram.destinationPort}`,
        truncated: datagram.truncated,
        packet: packetToJSON(packet),
      })),
    };
  }
  return {
    kind: 'option',
    option: inspection.option,
    ...(inspection.guessed ? { guessed: inspection.guessed } : {}),
    length: inspection.data.length,
    hex: formatHex(inspection.data),
    ...(inspection.msuc ? { option43: vendorInfoToJSON(inspection.msuc) } : {}),
    ...(inspection.msuc?.certProvisioningUrl ? { certProvisioningUrl: inspection.msuc.certProvisioningUrl } : {}),
    ...(inspection.sipServers
      ? {
          option120: {
            encoding: inspection.sipServers.encoding,
            names: inspection.sipServers.names,
            ...(inspection.sipServers.addresses.length ? { addresses: inspection.sipServers.addresses } : {}),
          },
        }
      : {}),
    ...(inspection.domainSearch ? { option119: inspection.domainSearch } : {}),
    problems: inspection.problems,
  };
}

function isoTime(time: { seconds: number; nanoseconds: number }): string {
  const date = new Date(time.seconds * 1000);
  if (Number.isNaN(date.getTime())) return String(time.seconds);
  return date.toISOString().replace(/\.\d+Z$/, `.${String(time.nanoseconds).padStart(9, '0')}Z`);
}

// ----------------------------------------------------------------------------------------------
// Text for people

export function renderInspection(inspection: Inspection): string {
  const out: string[] = [];
  if (inspection.kind === 'option') {
    renderOption(inspection, out);
  } else if (inspection.kind === 'packet') {
    if (inspection.guessed) out.push(`Input: ${inspection.guessed}.`);
    renderPacket(inspection.packet, out);
  } else {
    const c = inspection.capture;
    const s = c.skipped;
    out.push(
      `Capture: ${c.format}, ${c.frames} frame(s), ${inspection.datagrams.length} DHCP datagram(s)` +
        ` (skipped: ${s.notIpv4} not IPv4, ${s.notUdp} not UDP, ${s.fragments} IP fragments, ${s.otherPorts} other ports, ${s.unsupportedLink} unsupported link, ${s.malformed} malformed)`,
    );
    for (const note of c.notes) out.push(`Note: ${note}`);
    for (const { datagram, packet } of inspection.datagrams) {
      out.push('');
      out.push(
        `=== frame ${datagram.frame}  ${isoTime(datagram.time)}  ${datagram.source}:${datagram.sourcePort} -> ${datagram.destination}:${datagram.destinationPort}${datagram.truncated ? '  (cut short by the capture)' : ''}`,
      );
      renderPacket(packet, out);
    }
  }
  return out.join('\n') + '\n';
}

function renderOption(inspection: OptionInspection, out: string[]): void {
  out.push(`Option ${inspection.option} (${optionName(inspection.option)}), ${inspection.data.length} bytes${inspection.guessed ? ` — guessed: ${inspection.guessed}` : ''}`);
  out.push(`  hex: ${formatHex(inspection.data, { separator: ' ' })}`);
  if (inspection.msuc) renderVendorInfo(inspection.msuc, out, '  ');
  if (inspection.sipServers) renderSipServers(inspection.sipServers, out, '  ');
  if (inspection.domainSearch) out.push(`  domain search: ${inspection.domainSearch.join(', ') || '(none)'}`);
  renderProblems(inspection.problems, out);
}

function renderVendorInfo(msuc: MsUcVendorInfo, out: string[], indent: string): void {
  for (const sub of msuc.subOptions) {
    out.push(`${indent}sub-option ${String(sub.code).padStart(3)} ${subOptionName(sub.code).padEnd(16)} @${String(sub.offset).padStart(3)} len ${String(sub.data.length).padStart(3)}  ${textOrHex(sub.data)}`);
  }
  if (msuc.endSeen) out.push(`${indent}(END sub-option inside option 43)`);
  if (msuc.certProvisioningUrl) out.push(`${indent}Certificate Provisioning Service URL: ${msuc.certProvisioningUrl}`);
}

function renderSipServers(sip: SipServersOption, out: string[], indent: string): void {
  const encoding = sip.encoding === 0 ? '0 (names)' : sip.encoding === 1 ? '1 (IPv4 addresses)' : String(sip.encoding);
  out.push(`${indent}encoding ${encoding}`);
  if (sip.names.length) out.push(`${indent}SIP servers: ${sip.names.join(', ')}`);
  if (sip.addresses.length) out.push(`${indent}SIP server addresses: ${sip.addresses.join(', ')}`);
}

function textOrHex(data: Uint8Array): string {
  const printable = data.every((byte) => byte >= 0x20 && byte < 0x7f);
  return printable && data.length > 0 ? `"${String.fromCharCode(...data)}"` : `hex ${formatHex(data, { separator: ' ' }) || '(empty)'}`;
}

function renderPacket(packet: DhcpPacket, out: string[]): void {
  const h = packet.header;
  const type = packet.messageType !== undefined ? `, ${MESSAGE_TYPE_NAMES[packet.messageType] ?? `message type ${packet.messageType}`}` : '';
  out.push(`DHCP message, ${packet.byteLength ?? '?'} bytes${type}`);
  out.push(
    `  op ${h.op} (${h.op === 1 ? 'BOOTREQUEST' : h.op === 2 ? 'BOOTREPLY' : 'unknown'})  htype ${h.htype}  hlen ${h.hlen}  hops ${h.hops}  xid 0x${h.xid.toString(16).padStart(8, '0')}  secs ${h.secs}  flags 0x${h.flags.toString(16).padStart(4, '0')}${h.flags & 0x8000 ? ' (broadcast)' : ''}`,
  );
  out.push(`  ciaddr ${h.ciaddr}  yiaddr ${h.yiaddr}  siaddr ${h.siaddr}  giaddr ${h.giaddr}`);
  out.push(`  chaddr ${h.chaddr || '(none)'}`);
  if (h.sname) out.push(`  sname "${h.sname}"`);
  if (h.file) out.push(`  file "${h.file}"`);
  if (packet.magicCookie !== undefined && packet.magicCookie !== '63825363') out.push(`  magic cookie ${packet.magicCookie}`);
  if (packet.overload !== undefined) out.push(`  option overload 52 = ${packet.overload}: options also in ${packet.overload === 1 ? 'file' : packet.overload === 2 ? 'sname' : 'file and sname'}`);

  if (packet.instances.length > 0) {
    out.push('Options:');
    out.push('  offset  code  name                            len  value');
    const described = new Set<number>();
    for (const instance of packet.instances) {
      const reassembled = [...packet.options.values()].find((option) => option.instances.includes(instance));
      const owner = reassembled?.code ?? instance.code;
      const area = instance.area === 'options' ? '' : ` [${instance.area}]`;
      let value = '';
      if (reassembled && !described.has(owner)) {
        described.add(owner);
        const joined = reassembled.instances.length > 1 ? ` (${reassembled.instances.length} instances joined, ${reassembled.data.length} bytes)` : '';
        value = owner === 43 || owner === 120 ? `(decoded below)${joined}` : describeOption(owner, reassembled.data).text + joined;
      } else if (reassembled) {
        value = instance.code === owner ? `(continues option ${owner})` : `(option ${owner} continued in option 250)`;
      }
      out.push(`  ${String(instance.offset).padStart(6)}  ${String(instance.code).padStart(4)}  ${(optionName(instance.code) + area).padEnd(30)} ${String(instance.data.length).padStart(4)}  ${value}`);
      out.push(`${' '.repeat(14)}hex ${formatHex(instance.data) || '(empty)'}`);
    }
    if (packet.endOffset !== undefined) {
      out.push(`  ${String(packet.endOffset).padStart(6)}   255  end${packet.bytesAfterEnd ? ` (${packet.bytesAfterEnd} bytes after it ignored)` : ''}`);
    }
  }
  if (packet.msuc) {
    out.push('Option 43 (MS-UC-Client sub-options):');
    renderVendorInfo(packet.msuc, out, '  ');
  }
  if (packet.sipServers) {
    out.push('Option 120 (SIP servers):');
    renderSipServers(packet.sipServers, out, '  ');
  }
  renderProblems(packet.problems, out);
}

function renderProblems(problems: readonly Problem[], out: string[]): void {
  if (problems.length === 0) {
    out.push('Problems: none');
    return;
  }
  out.push('Problems:');
  for (const problem of problems) {
    const where: string[] = [];
    if (problem.option !== undefined) where.push(`option ${problem.option}${problem.subOption !== undefined ? `.${problem.subOption}` : ''}`);
    if (problem.offset !== undefined) {
      if (problem.offsetIn === 'option') where.push(`value offset ${problem.offset}${problem.packetOffset !== undefined ? ` (packet offset ${problem.packetOffset})` : ''}`);
      else where.push(`offset ${problem.offset}`);
    }
    out.push(`  ${problem.severity.padEnd(6)} ${where.length ? `[${where.join(', ')}] ` : ''}${problem.message}`);
  }
}

/** A file's bytes are used as they are (capture or raw message) rather than read as hex text. */
export function isBinaryInput(bytes: Uint8Array): boolean {
  if (isCapture(bytes)) return true;
  if (hasCookie(bytes)) return true;
  return bytes.some((byte) => byte === 0 || byte > 0x7e || (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d));
}
