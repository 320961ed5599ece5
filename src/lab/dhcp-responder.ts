// The lab's DHCP responder, modelled on the Registrar's built-in DHCP component (EnableDHCPServer):
// it answers only DHCPINFORM from vendor class MS-UC-Client that asks for options 43 and 120, with
// options 53, 54, 43 and 120, to ciaddr at the request's source port (as dnsmasq does), so that an
// unprivileged client on an ephemeral port hears it. Everything else is counted and ignored.

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { MSUC_DEFAULT_PATH, MSUC_VENDOR_CLASS, encodeSubOptions, msUcSubOptions } from '../dhcp/msuc.js';
import { isLoopbackIpv4, requireIpv4 } from '../net/ipv4.js';
import { encodeSipServers } from '../dhcp/option120.js';
import { DHCP_MESSAGE_TYPE, decodePacket, encodePacket, type PacketOption } from '../dhcp/packet.js';
import type { FaultSet } from './faults.js';

export interface DhcpAdvertisement {
  /** Option 43 sub-option 3. */
  webServerFqdn: string;
  /** Option 43 sub-option 4 (the HTTPS port, as text on the wire). */
  webServerPort: number;
  /** Option 120. */
  registrarFqdn: string;
  /** Option 54. */
  serverIdentifier: string;
}

export interface DhcpResponderOptions {
  host: string;
  port: number;
  advertisement: () => DhcpAdvertisement;
  /** What the second responder of `dhcp-two-servers` says instead. */
  rogueAdvertisement: () => DhcpAdvertisement;
  currentFaults: () => FaultSet;
  onPacket: (entry: DhcpLogEntry) => void;
  signal: AbortSignal;
}

export type DhcpOutcome =
  | 'answered'
  | 'not-dhcp'
  | 'not-inform'
  | 'other-vendor-class'
  | 'no-ciaddr'
  | 'options-not-requested'
  | 'silenced';

export interface DhcpLogEntry {
  from: string;
  xid?: number;
  vendorClass?: string;
  outcome: DhcpOutcome;
  /** Options carried in the answer (43, 120, ...), when one was sent. */
  options?: number[];
  /** Where the answer went. */
  to?: string;
  /** Answers sent for this request (2 with dhcp-two-servers). */
  answers: number;
  /** Why a request could not be answered, when the codec refused it. */
  detail?: string;
  ms: number;
}

export interface DhcpStats {
  received: number;
  answered: number;
  ignored: Record<Exclude<DhcpOutcome, 'answered'>, number>;
}

/**
 * The web-services host option 43 names under `web-fqdn-nxdomain`: under RFC 6761's `.invalid`, which
 * resolvers answer NXDOMAIN without asking anyone, so even a real lookup stays on this host.
 */
export const NXDOMAIN_WEB_FQDN = 'retired-pool.bootstrap-test.invalid';

const OPTION_VENDOR_INFO = 43;
const OPTION_SIP_SERVERS = 120;
const OPTION_SERVER_ID = 54;
const OPTION_VENDOR_CLASS = 60;
const OPTION_PARAMETER_LIST = 55;

function latin1(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : Buffer.from(bytes).toString('latin1');
}

/** The options of an ACK for one vendor class under the current faults. */
export function answerOptions(advertisement: DhcpAdvertisement, vendorClass: string, faults: FaultSet): PacketOption[] {
  // The class the option 43 definition was configured for; the fault spells it in lower case.
  const configuredClass = faults.has('dhcp-vendor-class-case') ? MSUC_VENDOR_CLASS.toLowerCase() : MSUC_VENDOR_CLASS;
  const options: PacketOption[] = [
    { code: 53, data: Uint8Array.of(DHCP_MESSAGE_TYPE.ack) },
    { code: OPTION_SERVER_ID, data: requireIpv4(advertisement.serverIdentifier, 'server identifier') },
  ];
  if (vendorClass === configuredClass && !faults.has('dhcp-no-option-43')) {
    const subOptions = msUcSubOptions({
      webServerFqdn: faults.has('web-fqdn-nxdomain') ? NXDOMAIN_WEB_FQDN : advertisement.webServerFqdn,
      webServerPort: advertisement.webServerPort,
      certProvRelPath: MSUC_DEFAULT_PATH,
    });
    if (faults.has('dhcp-option-43-bad-port')) {
      const port = subOptions.find((sub) => sub.code === 4);
      if (port) port.data = Uint8Array.of(advertisement.webServerPort >> 8, advertisement.webServerPort & 0xff);
    }
    options.push({ code: OPTION_VENDOR_INFO, data: encodeSubOptions(subOptions) });
  }
  if (!faults.has('dhcp-no-option-120')) {
    options.push({ code: OPTION_SIP_SERVERS, data: encodeSipServers({ names: [advertisement.registrarFqdn] }) });
  }
  return options;
}

export class DhcpResponder {
  private socket: Socket | undefined;
  /** The second server of `dhcp-two-servers`, opened on first use. */
  private rogueSocket: Socket | undefined;
  private boundPort: number;
  readonly stats: DhcpStats = {
    received: 0,
    answered: 0,
    ignored: {
      'not-dhcp': 0,
      'not-inform': 0,
      'other-vendor-class': 0,
      'no-ciaddr': 0,
      'options-not-requested': 0,
      silenced: 0,
    },
  };

  constructor(private readonly options: DhcpResponderOptions) {
    this.boundPort = options.port;
  }

  get port(): number {
    return this.boundPort;
  }

  async listen(): Promise<number> {
    this.socket = await this.bind(this.options.port);
    this.socket.on('message', (message, remote) => {
      const started = performance.now();
      this.handle(message, remote, started).catch((error: unknown) => {
        // A request the codec cannot answer (e.g. an unusable chaddr) is dropped, never fatal.
        this.ignore({ from: `${remote.address}:${remote.port}`, outcome: 'not-dhcp', detail: (error as Error).message }, started, 'not-dhcp');
      });
    });
    this.boundPort = this.socket.address().port;
    return this.boundPort;
  }

  private bind(port: number): Promise<Socket> {
    const socket = createSocket({ type: 'udp4', reuseAddr: false });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: this.options.host, port, exclusive: true }, () => {
        socket.off('error', reject);
        // Later send errors (e.g. an unreachable ciaddr) must not take the lab down.
        socket.on('error', () => undefined);
        resolve(socket);
      });
    });
  }

  async close(): Promise<void> {
    const sockets = [this.socket, this.rogueSocket].filter((socket): socket is Socket => socket !== undefined);
    this.socket = undefined;
    this.rogueSocket = undefined;
    await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
  }

  private ignore(entry: Omit<DhcpLogEntry, 'answers' | 'ms'>, started: number, outcome: Exclude<DhcpOutcome, 'answered'>): void {
    this.stats.ignored[outcome] += 1;
    this.options.onPacket({ ...entry, outcome, answers: 0, ms: performance.now() - started });
  }

  private async handle(message: Buffer, remote: RemoteInfo, started: number): Promise<void> {
    this.stats.received += 1;
    const from = `${remote.address}:${remote.port}`;
    const packet = decodePacket(message);
    if (packet.problems.some((problem) => problem.severity === 'reject') || packet.header.op !== 1) {
      this.ignore({ from, outcome: 'not-dhcp' }, started, 'not-dhcp');
      return;
    }
    const xid = packet.header.xid;
    const vendorClass = latin1(packet.options.get(OPTION_VENDOR_CLASS)?.data);
    const base = { from, xid, ...(vendorClass !== undefined ? { vendorClass } : {}) };
    if (packet.messageType !== DHCP_MESSAGE_TYPE.inform) {
      this.ignore({ ...base, outcome: 'not-inform' }, started, 'not-inform');
      return;
    }
    const faults = this.options.currentFaults();
    const servedClasses = [MSUC_VENDOR_CLASS, MSUC_VENDOR_CLASS.toLowerCase()];
    if (vendorClass === undefined || !servedClasses.includes(vendorClass)) {
      this.ignore({ ...base, outcome: 'other-vendor-class' }, started, 'other-vendor-class');
      return;
    }
    const requested = packet.options.get(OPTION_PARAMETER_LIST)?.data ?? new Uint8Array(0);
    if (!requested.includes(OPTION_VENDOR_INFO) || !requested.includes(OPTION_SIP_SERVERS)) {
      this.ignore({ ...base, outcome: 'options-not-requested' }, started, 'options-not-requested');
      return;
    }
    const ciaddr = packet.header.ciaddr;
    if (ciaddr === '0.0.0.0') {
      this.ignore({ ...base, outcome: 'no-ciaddr' }, started, 'no-ciaddr');
      return;
    }
    if (faults.has('dhcp-silent') || faults.has('blackhole', 'dhcp')) {
      this.ignore({ ...base, outcome: 'silenced' }, started, 'silenced');
      return;
    }
    if (!(await faults.slowDown(this.options.signal))) return;
    // The lab never sends off the loopback: a ciaddr elsewhere gets the answer at the request's source.
    const destination = isLoopbackIpv4(ciaddr) ? ciaddr : remote.address;
    const header = {
      op: 2,
      htype: packet.header.htype,
      hlen: packet.header.hlen,
      xid,
      flags: packet.header.flags,
      ciaddr,
      giaddr: packet.header.giaddr,
      chaddr: packet.header.chaddr,
    };
    const answer = (advertisement: DhcpAdvertisement): { bytes: Uint8Array; codes: number[] } => {
      const options = answerOptions(advertisement, vendorClass, faults);
      return { bytes: encodePacket({ header, options }), codes: options.map((option) => option.code) };
    };
    const primary = answer(this.options.advertisement());
    let answers = 0;
    if (this.socket && (await send(this.socket, primary.bytes, remote.port, destination))) answers += 1;
    if (faults.has('dhcp-two-servers')) {
      this.rogueSocket ??= await this.bind(0);
      const rogue = answer(this.options.rogueAdvertisement());
      if (await send(this.rogueSocket, rogue.bytes, remote.port, destination)) answers += 1;
    }
    if (answers > 0) this.stats.answered += 1;
    this.options.onPacket({
      ...base,
      outcome: 'answered',
      options: primary.codes.filter((code) => code !== 53 && code !== OPTION_SERVER_ID),
      to: `${destination}:${remote.port}`,
      answers,
      ms: performance.now() - started,
    });
  }
}

function send(socket: Socket, bytes: Uint8Array, port: number, address: string): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      socket.send(bytes, port, address, (error) => resolve(!error));
    } catch {
      // The socket was closed by stop() while this answer was being prepared.
      resolve(false);
    }
  });
}
