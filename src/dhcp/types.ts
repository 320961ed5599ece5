// The data model shared by the DHCP codec, the INFORM client, the lab responder and the reports.
// Every decoder collects problems instead of throwing, so a damaged packet still tells what it can.

/** How bad a problem is: the whole packet, one option, or only a remark. (dhcp.md section c) */
export type ProblemSeverity = 'reject' | 'error' | 'warn';

export interface Problem {
  severity: ProblemSeverity;
  /** Stable machine-readable code, e.g. 'option-overrun', 'name-forward-pointer'. */
  code: string;
  /** The option the problem belongs to, when there is one (43, 120, ...). */
  option?: number;
  /** Sub-option code inside option 43, when there is one. */
  subOption?: number;
  /** Byte offset in the datagram (or in the option value, see `offsetIn`). */
  offset?: number;
  /** What `offset` counts from: the whole packet, or the reassembled option value. */
  offsetIn?: 'packet' | 'option';
  /** When `offsetIn` is 'option': the same byte's offset in the datagram, if it maps to one. */
  packetOffset?: number;
  /** One line that an administrator can read. */
  message: string;
}

/** Where an option instance was found (RFC 2131 overload). */
export type OptionArea = 'options' | 'file' | 'sname';

/** One instance of an option as it stood on the wire. */
export interface OptionInstance {
  code: number;
  /** Offset of the code byte within the datagram. */
  offset: number;
  area: OptionArea;
  data: Uint8Array;
}

/** An option after RFC 3396 reassembly (and Windows option-250 continuation). */
export interface ReassembledOption {
  code: number;
  /** All instances joined in wire order: options area, then file, then sname. */
  data: Uint8Array;
  instances: OptionInstance[];
}

export interface BootpHeader {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** Hardware address, colon-separated lower-case hex, `hlen` bytes (at most 16). */
  chaddr: string;
  /** Text of sname/file when they are not overloaded with options. */
  sname: string;
  file: string;
}

/** MS-UC-Client option 43 sub-option codes (protocol.md section 1). */
export const MSUC_SUBOPTION = {
  ucIdentifier: 1,
  urlScheme: 2,
  webServerFqdn: 3,
  webServerPort: 4,
  certProvRelPath: 5,
} as const;

export interface SubOption {
  code: number;
  /** Offset of the sub-option's code byte within the reassembled option 43 value. */
  offset: number;
  data: Uint8Array;
}

export interface MsUcVendorInfo {
  /** Every sub-option in wire order, known and unknown (220 "NAP", vendor codes ...). */
  subOptions: SubOption[];
  ucIdentifier?: string;
  urlScheme?: string;
  webServerFqdn?: string;
  /** Port as a number when sub-option 4 is valid ASCII digits in 1..65535. */
  webServerPort?: number;
  certProvRelPath?: string;
  /** `scheme://fqdn:port/path` when sub-options 2..5 are all usable. */
  certProvisioningUrl?: string;
  endSeen: boolean;
  problems: Problem[];
}

export interface SipServersOption {
  /** 0 = domain names, 1 = IPv4 addresses (RFC 3361). */
  encoding: number;
  names: string[];
  addresses: string[];
  /**
   * Where compression pointers were counted from: 'after-enc' (RFC 3361 as dnsmasq, ISC dhcpd and
   * Wireshark read it) or 'enc-byte' (accepted only as a fallback, with a warning).
   */
  compressionOrigin?: 'after-enc' | 'enc-byte';
  problems: Problem[];
}

/** A decoded DHCP message. Typed values exist only for options that were present and decoded. */
export interface DhcpPacket {
  header: BootpHeader;
  /** The reassembled options, keyed by code, in first-seen order. */
  options: Map<number, ReassembledOption>;
  /** Every instance in wire order, including PAD-free END positions are not listed. */
  instances: OptionInstance[];
  /** Offset of the END option in the options area, or undefined when there was none. */
  endOffset?: number;
  /** Bytes in the options area after END (servers may pad); ignored. */
  bytesAfterEnd?: number;
  /** Size of the decoded datagram in bytes. */
  byteLength?: number;
  /** Bytes 236-239 as hex, when present (`63825363` for DHCP). */
  magicCookie?: string;
  overload?: number;
  messageType?: number;
  serverIdentifier?: string;
  vendorClass?: string;
  msuc?: MsUcVendorInfo;
  sipServers?: SipServersOption;
  /** Every problem found, in the order found. A 'reject' means the packet is not usable as a reply. */
  problems: Problem[];
}
