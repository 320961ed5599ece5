// Socket failures of the INFORM client as one line each that names the fix on the host (privilege,
// a DHCP client daemon holding port 68, a missing route). Diagnosis dhcp-local-socket-error.

import { LocalEnvironmentError } from '../errors.js';

/** A socket error that means this host cannot run the test; carries the errno for the diagnosis. */
export class InformSocketError extends LocalEnvironmentError {
  constructor(
    message: string,
    systemCode: string,
    readonly phase: 'bind' | 'send',
  ) {
    super(message, { code: 'BT_DHCP_SOCKET', systemCode });
  }
}

/** The one-line explanation of a socket failure, naming the fix (diagnosis dhcp-local-socket-error). */
export function describeSocketError(
  error: NodeJS.ErrnoException,
  phase: 'bind' | 'send',
  context: { port: number; bindAddress: string; to: string },
): InformSocketError {
  const code = error.code ?? 'UNKNOWN';
  if (phase === 'bind' && (code === 'EACCES' || code === 'EPERM')) {
    return new InformSocketError(
      `cannot bind UDP port ${context.port} (${code}): a DHCP client port needs root or CAP_NET_BIND_SERVICE; ` +
        'run with sudo, or grant it once with "sudo setcap cap_net_bind_service=+ep $(which node)", ' +
        'or use --client-port 0 (an ephemeral port, which only dnsmasq-like servers answer)',
      code,
      phase,
    );
  }
  if (phase === 'bind' && code === 'EADDRINUSE') {
    return new InformSocketError(
      `cannot bind UDP port ${context.port} on ${context.bindAddress} (EADDRINUSE): another process holds it, ` +
        'usually a DHCP client daemon (dhclient, dhcpcd, systemd-networkd, NetworkManager); ' +
        `find it with "ss -lunp 'sport = :${context.port}'", run the test where none holds the port, ` +
        'or use --client-port 0 (only dnsmasq-like servers answer that)',
      code,
      phase,
    );
  }
  if (phase === 'send' && code === 'ENETUNREACH') {
    return new InformSocketError(
      `cannot send to ${context.to} (ENETUNREACH): no route names an outgoing interface for it; ` +
        'a host without a default route needs "ip route add 255.255.255.255/32 dev IFACE" for the broadcast, ' +
        'or name the server with --dhcp-server HOST',
      code,
      phase,
    );
  }
  if (phase === 'send' && (code === 'EACCES' || code === 'EPERM')) {
    return new InformSocketError(
      `cannot send to ${context.to} (${code}): broadcasting was refused (a firewall rule, or SO_BROADCAST denied); ` +
        'name the server with --dhcp-server HOST to unicast instead',
      code,
      phase,
    );
  }
  return new InformSocketError(
    `cannot ${phase === 'bind' ? `bind UDP port ${context.port}` : `send to ${context.to}`} (${code}): ${error.message}`,
    code,
    phase,
  );
}
