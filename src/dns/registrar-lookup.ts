// Where a phone looks for its registrar, and the naming rules that break sign-in. Pure functions:
// the dns stage runs the plan and judges the answers with them.

import type { DnsRecordData } from './message.js';

export type SipTransport = 'tls' | 'tcp';

export type RegistrarCandidate =
  | { kind: 'srv'; name: string; transport: SipTransport; scope: 'internal' | 'external' }
  | { kind: 'option120'; host: string; port: number; transport: SipTransport }
  | { kind: 'host'; host: string; port: number };

/**
 * Lync Phone Edition's order (internal SRV TLS → option-120 TLS → internal SRV TCP → option-120 TCP →
 * external TLS → external TCP), then Communicator Phone Edition's host fallbacks
 * (sipinternal, sip, sipexternal on 5061 and 443). Merging the two lists is our reading [inferred].
 */
export function registrarCandidates(sipDomain: string, option120Host?: string): RegistrarCandidate[] {
  const domain = normaliseName(sipDomain);
  const option120 = (transport: SipTransport, port: number): RegistrarCandidate[] =>
    option120Host ? [{ kind: 'option120', host: normaliseName(option120Host), port, transport }] : [];
  return [
    { kind: 'srv', name: `_sipinternaltls._tcp.${domain}`, transport: 'tls', scope: 'internal' },
    ...option120('tls', 5061),
    { kind: 'srv', name: `_sipinternal._tcp.${domain}`, transport: 'tcp', scope: 'internal' },
    ...option120('tcp', 5060),
    { kind: 'srv', name: `_sip._tls.${domain}`, transport: 'tls', scope: 'external' },
    { kind: 'srv', name: `_sip._tcp.${domain}`, transport: 'tcp', scope: 'external' },
    ...['sipinternal', 'sip', 'sipexternal'].flatMap((prefix) => [5061, 443].map((port): RegistrarCandidate => ({ kind: 'host', host: `${prefix}.${domain}`, port }))),
  ];
}

/** Lower case, no trailing dot. */
export function normaliseName(name: string): string {
  return name.trim().replace(/\.$/, '').toLowerCase();
}

/** `sip:jeff@Lab.Test;user=phone` → `lab.test`; undefined when the URI names no domain. */
export function sipDomainFromUri(uri: string): string | undefined {
  const match = /^sips?:(?:[^@;>]*@)?([^;:>?]+)/i.exec(uri.trim().replace(/^<|>$/g, ''));
  return match ? normaliseName(match[1] as string) : undefined;
}

/**
 * The strict-naming rule of LPE CU7 and later: an SRV target must be the SIP domain itself or a name
 * under it (case-insensitive, trailing dot ignored). `pool.lab.test.evil` or `lab.test-x` are outside.
 */
export function isInsideDomain(name: string, domain: string): boolean {
  const host = normaliseName(name);
  const suffix = normaliseName(domain);
  return host === suffix || host.endsWith(`.${suffix}`);
}

/** The domains from option 119/15 that contain `host` (empty: the option-120 host is outside all of them). */
export function containingDomains(host: string, domains: readonly string[]): string[] {
  return domains.filter((domain) => isInsideDomain(host, domain));
}

export type SrvRecord = Extract<DnsRecordData, { type: 'SRV' }>;

/**
 * RFC 2782 order: lowest priority first; inside one priority, weighted random (zero weights get a
 * small chance). A single target of `.` means "service not offered" and yields no target.
 * `random` returns [0, 1); injected so the order is testable.
 */
export function orderSrvTargets(records: readonly SrvRecord[], random: () => number = Math.random): SrvRecord[] {
  if (records.length === 1 && normaliseName(records[0]!.target) === '') return [];
  const priorities = [...new Set(records.map((record) => record.priority))].sort((a, b) => a - b);
  const ordered: SrvRecord[] = [];
  for (const priority of priorities) {
    // RFC 2782: zero-weight records first in the running sum, so they are picked rarely but can be.
    const remaining = records.filter((record) => record.priority === priority).sort((a, b) => a.weight - b.weight);
    while (remaining.length > 0) {
      const total = remaining.reduce((sum, record) => sum + record.weight, 0);
      const pick = Math.floor(random() * (total + 1));
      let running = 0;
      const index = remaining.findIndex((record) => (running += record.weight) >= pick);
      ordered.push(...remaining.splice(index < 0 ? 0 : index, 1));
    }
  }
  return ordered;
}
