// The options of the DHCP answer the sign-in stages need besides 43/120: NTP servers (42), RFC 868
// time servers (4), DNS servers (6), the domain name (15) and the domain search list (119). Decoded
// with the DHCP layer's own codecs; an option that does not decode counts as absent (discover has
// already reported the packet's problems).

import { CODECS } from '../dhcp/options.js';
import type { DhcpPacket } from '../dhcp/types.js';
import type { DhcpNetworkOptions } from '../model.js';

function decoded<C extends 4 | 6 | 15 | 42 | 119>(packet: DhcpPacket, code: C): ReturnType<(typeof CODECS)[C]['decode']>['value'] | undefined {
  const option = packet.options.get(code);
  if (!option) return undefined;
  const result = CODECS[code].decode(option.data);
  return result.problems.some((problem) => problem.severity === 'error') ? undefined : result.value;
}

export function networkOptionsOf(packet: DhcpPacket): DhcpNetworkOptions {
  const domainName = decoded(packet, 15);
  return {
    ntpServers: decoded(packet, 42) ?? [],
    timeServers: decoded(packet, 4) ?? [],
    dnsServers: decoded(packet, 6) ?? [],
    ...(typeof domainName === 'string' && domainName !== '' ? { domainName: domainName.replace(/\0+$/, '') } : {}),
    domainSearch: decoded(packet, 119) ?? [],
  };
}

/** Asked for after 120 and 43 in option 55 by a sign-in run, as a phone does. */
export const SIGN_IN_DHCP_OPTIONS: readonly number[] = [42, 4, 6, 15, 119];
