// The lab's DNS server for the lab SIP domain: SRV records for the registrar and NTP, and A records
// for the hosts; everything else in the domain is NXDOMAIN, names outside it are REFUSED (as dnsmasq
// with --local does). Faults: NXDOMAIN for the registrar SRV, an SRV target outside the SIP domain,
// and NODATA (the name exists, the record type does not).

import { DNS_TYPES, decodeDnsMessage, encodeDnsResponse, sameName, type DnsAnswerRecord, type DnsResponse } from '../dns/message.js';
import { isInsideDomain } from '../dns/registrar-lookup.js';
import { startUdpResponder, type UdpResponder } from './udp-responder.js';

export type DnsLabFault = 'nxdomain' | 'target-outside-domain' | 'nodata';

export interface LabZone {
  sipDomain: string;
  registrarHost: string;
  registrarPort: number;
  ntpHost?: string;
  ntpPort?: number;
  /** Host name → IPv4 address (the pool, the NTP host …). */
  addresses: Record<string, string>;
  /** The target the `target-outside-domain` fault publishes instead of the registrar host. */
  outsideTarget: string;
}

const TTL = 300;
const RCODE_NXDOMAIN = 3;
const RCODE_REFUSED = 5;

/** The zone's records as the fault shapes them. */
export function zoneRecords(zone: LabZone, fault: DnsLabFault | undefined): DnsAnswerRecord[] {
  const records: DnsAnswerRecord[] = [];
  if (fault !== 'nxdomain') {
    const target = fault === 'target-outside-domain' ? zone.outsideTarget : zone.registrarHost;
    records.push({ name: `_sipinternaltls._tcp.${zone.sipDomain}`, ttl: TTL, data: { type: 'SRV', priority: 0, weight: 0, port: zone.registrarPort, target } });
  }
  if (zone.ntpHost) records.push({ name: `_ntp._udp.${zone.sipDomain}`, ttl: TTL, data: { type: 'SRV', priority: 0, weight: 0, port: zone.ntpPort ?? 123, target: zone.ntpHost } });
  for (const [host, address] of Object.entries(zone.addresses)) {
    // NODATA: the registrar host keeps existing (it has an SRV-side presence) but loses its A record.
    const kept = fault === 'nodata' && sameName(host, zone.registrarHost) ? [] : [{ name: host, ttl: TTL, data: { type: 'A', address } as const }];
    records.push(...kept);
  }
  return records;
}

/** The answer to one query. Names that exist with no record of the asked type get NODATA with the SOA. */
export function dnsReply(query: DnsResponse, zone: LabZone, fault: DnsLabFault | undefined): Buffer {
  const question = query.questions[0];
  if (!question || !isInsideDomain(question.name, zone.sipDomain)) return encodeDnsResponse(query, RCODE_REFUSED, []);
  const records = zoneRecords(zone, fault);
  const soa: DnsAnswerRecord = {
    name: zone.sipDomain,
    ttl: TTL,
    data: { type: 'SOA', primary: `ns.${zone.sipDomain}`, mailbox: `hostmaster.${zone.sipDomain}`, serial: 1, minimum: TTL },
  };
  const owned = records.filter((record) => sameName(record.name, question.name));
  const exists = owned.length > 0 || sameName(question.name, zone.sipDomain) || (fault === 'nodata' && sameName(question.name, zone.registrarHost));
  if (!exists) return encodeDnsResponse(query, RCODE_NXDOMAIN, [], [soa]);
  const answers = owned.filter((record) => DNS_TYPES[record.data.type as keyof typeof DNS_TYPES] === question.typeCode);
  return encodeDnsResponse(query, 0, answers, answers.length > 0 ? [] : [soa]);
}

export interface DnsResponderOptions {
  host: string;
  port: number;
  zone: LabZone;
  currentFault: () => DnsLabFault | undefined;
}

export function startDnsResponder(options: DnsResponderOptions): Promise<UdpResponder> {
  return startUdpResponder(options.host, options.port, (request) => {
    let query: DnsResponse;
    try {
      query = decodeDnsMessage(request);
    } catch {
      return undefined; // not a DNS message: a real server drops it too
    }
    return query.isResponse ? undefined : dnsReply(query, options.zone, options.currentFault());
  });
}
