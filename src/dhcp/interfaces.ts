// Which interface the DHCPINFORM speaks for: its IPv4 address becomes ciaddr, its MAC chaddr.
// The pure functions below take what the host reported; readHostNetwork() is the only I/O.

import { readFile } from 'node:fs/promises';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { LocalEnvironmentError, UsageError } from '../errors.js';
import { formatIpv4, ipv4ToNumber, isLoopbackIpv4 } from '../net/ipv4.js';

/** The interface an INFORM is sent for. */
export interface ClientInterface {
  name: string;
  /** IPv4 address, sent as ciaddr. */
  address: string;
  /** Colon-separated lower-case MAC, sent as chaddr and in option 61. */
  mac: string;
  /** How the interface was chosen, for --verbose. */
  reason: 'requested' | 'default-route' | 'loopback-server' | 'only-candidate';
}

/** One row of the kernel's IPv4 routing table (/proc/net/route). */
export interface RouteEntry {
  iface: string;
  destination: string;
  gateway: string;
  mask: string;
  flags: number;
  metric: number;
}

/** What the host says about its network, gathered once so the choice itself stays pure. */
export interface HostNetwork {
  interfaces: Record<string, NetworkInterfaceInfo[] | undefined>;
  /** Parsed /proc/net/route, or undefined where the platform has none. */
  routes?: RouteEntry[];
}

const RTF_UP = 0x1;

/** /proc/net/route stores addresses as little-endian hex words. */
function procHexToIpv4(hex: string): string | undefined {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) return undefined;
  const littleEndian = Number.parseInt(hex, 16);
  return formatIpv4(Uint8Array.of(littleEndian & 0xff, (littleEndian >>> 8) & 0xff, (littleEndian >>> 16) & 0xff, (littleEndian >>> 24) & 0xff));
}

/** Parses the text of /proc/net/route; malformed lines are skipped. */
export function parseProcNetRoute(text: string): RouteEntry[] {
  const lines = text.split('\n');
  const header = (lines[0] ?? '').trim().split(/\s+/);
  const column = (name: string): number => header.indexOf(name);
  const at = {
    iface: column('Iface'),
    destination: column('Destination'),
    gateway: column('Gateway'),
    flags: column('Flags'),
    metric: column('Metric'),
    mask: column('Mask'),
  };
  if (Object.values(at).some((index) => index < 0)) return [];
  const routes: RouteEntry[] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < header.length) continue;
    const destination = procHexToIpv4(fields[at.destination] ?? '');
    const gateway = procHexToIpv4(fields[at.gateway] ?? '');
    const mask = procHexToIpv4(fields[at.mask] ?? '');
    const flags = Number.parseInt(fields[at.flags] ?? '', 16);
    const metric = Number.parseInt(fields[at.metric] ?? '', 10);
    const iface = fields[at.iface];
    if (!iface || !destination || !gateway || !mask || Number.isNaN(flags) || Number.isNaN(metric)) continue;
    routes.push({ iface, destination, gateway, mask, flags, metric });
  }
  return routes;
}

/** The interface of the default route (lowest metric wins), or undefined when there is none. */
export function defaultRouteInterface(routes: RouteEntry[]): RouteEntry | undefined {
  return routes
    .filter((r) => r.destination === '0.0.0.0' && r.mask === '0.0.0.0' && (r.flags & RTF_UP) !== 0)
    .sort((a, b) => a.metric - b.metric)[0];
}

function sameSubnet(address: string, other: string, netmask: string): boolean {
  const mask = ipv4ToNumber(netmask) ?? 0;
  return (((ipv4ToNumber(address) ?? 0) & mask) >>> 0) === (((ipv4ToNumber(other) ?? 0) & mask) >>> 0);
}

function ipv4Entries(infos: NetworkInterfaceInfo[] | undefined): NetworkInterfaceInfo[] {
  return (infos ?? []).filter((info) => info.family === 'IPv4');
}

/** "eth0 192.0.2.2, wlan0 10.1.2.3": what the user can pass to --interface. */
export function describeCandidates(host: HostNetwork): string {
  const rows = Object.entries(host.interfaces)
    .map(([name, infos]) => {
      const addresses = ipv4Entries(infos).map((info) => info.address);
      return addresses.length > 0 ? `${name} ${addresses.join('/')}` : undefined;
    })
    .filter((row): row is string => row !== undefined);
  return rows.length > 0 ? rows.join(', ') : 'none with an IPv4 address';
}

/**
 * Picks the address of an interface: with a gateway, the one in the gateway's subnet; otherwise
 * the first that is not link-local (169.254/16), else the first at all.
 */
function pickAddress(infos: NetworkInterfaceInfo[], gateway?: string): NetworkInterfaceInfo | undefined {
  if (gateway && gateway !== '0.0.0.0') {
    const onLink = infos.find((info) => sameSubnet(info.address, gateway, info.netmask));
    if (onLink) return onLink;
  }
  return infos.find((info) => !info.address.startsWith('169.254.')) ?? infos[0];
}

function toClientInterface(
  name: string,
  info: NetworkInterfaceInfo,
  reason: ClientInterface['reason'],
): ClientInterface {
  return { name, address: info.address, mac: info.mac.toLowerCase(), reason };
}

export interface InterfaceChoiceInput {
  /** --interface NAME */
  requested?: string;
  /** Host part of --dhcp-server, when given. */
  serverAddress?: string;
}

/**
 * Chooses the client interface: the one asked for; for a loopback server the loopback interface;
 * else the default route's; else the only non-loopback IPv4 interface. Throws a LocalEnvironmentError naming
 * the candidates when none of that works.
 */
export function chooseInterface(input: InterfaceChoiceInput, host: HostNetwork): ClientInterface {
  if (input.requested !== undefined) {
    const infos = host.interfaces[input.requested];
    if (!infos) {
      throw new LocalEnvironmentError(
        `--interface: no interface named "${input.requested}" (candidates: ${describeCandidates(host)})`,
        { code: 'BT_INTERFACE_UNKNOWN' },
      );
    }
    const info = pickAddress(ipv4Entries(infos));
    if (!info) {
      throw new LocalEnvironmentError(
        `--interface: ${input.requested} has no IPv4 address, and a DHCPINFORM must carry one as ciaddr ` +
          `(candidates: ${describeCandidates(host)})`,
        { code: 'BT_INTERFACE_UNKNOWN' },
      );
    }
    return toClientInterface(input.requested, info, 'requested');
  }

  if (input.serverAddress !== undefined && isLoopbackIpv4(input.serverAddress)) {
    for (const [name, infos] of Object.entries(host.interfaces)) {
      const info = ipv4Entries(infos).find((entry) => entry.internal && isLoopbackIpv4(entry.address));
      if (info) return toClientInterface(name, info, 'loopback-server');
    }
  }

  const viaDefault = host.routes ? defaultRouteInterface(host.routes) : undefined;
  if (viaDefault) {
    const info = pickAddress(ipv4Entries(host.interfaces[viaDefault.iface]), viaDefault.gateway);
    if (info) return toClientInterface(viaDefault.iface, info, 'default-route');
  }

  const external = Object.entries(host.interfaces)
    .map(([name, infos]) => ({ name, info: pickAddress(ipv4Entries(infos).filter((entry) => !entry.internal)) }))
    .filter((candidate): candidate is { name: string; info: NetworkInterfaceInfo } => candidate.info !== undefined);
  const only = external.length === 1 ? external[0] : undefined;
  if (only) return toClientInterface(only.name, only.info, 'only-candidate');

  const why = host.routes
    ? 'there is no default route'
    : 'this platform gives no routing table to read';
  throw new LocalEnvironmentError(
    `cannot tell which interface the phone would use (${why}); choose one with --interface NAME ` +
      `(candidates: ${describeCandidates(host)})`,
    { code: 'BT_INTERFACE_UNDETERMINED' },
  );
}

/**
 * The interface an INFORM speaks for, from the settings a person chose (--interface, --dhcp-server):
 * the one choice the `dhcp inform` command and the discover stage share.
 */
export async function chooseInformClient(
  settings: { interfaceName?: string; server?: { address: string } },
  host?: HostNetwork,
): Promise<ClientInterface> {
  return chooseInterface(
    {
      ...(settings.interfaceName !== undefined ? { requested: settings.interfaceName } : {}),
      ...(settings.server ? { serverAddress: settings.server.address } : {}),
    },
    host ?? (await readHostNetwork()),
  );
}

/** Reads the interface list and, on Linux, /proc/net/route. */
export async function readHostNetwork(): Promise<HostNetwork> {
  const interfaces = networkInterfaces();
  let routes: RouteEntry[] | undefined;
  try {
    routes = parseProcNetRoute(await readFile('/proc/net/route', 'utf8'));
  } catch {
    routes = undefined;
  }
  return { interfaces, ...(routes ? { routes } : {}) };
}
