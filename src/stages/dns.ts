// Sign-in stage dns: where a phone finds its registrar. SRV records and the option-120 host in Lync
// Phone Edition's order (TLS candidates only: the sign-in is on TLS), the strict-naming rule (an SRV
// target inside the SIP domain), the option-120 host against the SIP domain and options 15/119, and
// the A records. The first candidate with an address becomes the registrar the next stages use.

import { CONTENT, DNS, observe } from '../diagnosis/observation.js';
import { containingDomains, isInsideDomain, normaliseName, orderSrvTargets, registrarCandidates, type RegistrarCandidate } from '../dns/registrar-lookup.js';
import type { StageError } from '../model.js';
import { nameLookup, type LookupOutcome, type NameLookup } from './name-lookup.js';
import { sipDomainOf } from './sip-domain.js';
import { StageFailure, type RegistrarTarget, type StageContext, type StageOutcome } from './types.js';

/** Outcomes that say the resolver, not the zone, failed. */
const RESOLVER_FAILURES: ReadonlySet<LookupOutcome> = new Set(['no-reply', 'servfail', 'refused', 'error']);

interface Finding {
  line: string;
  outcome: LookupOutcome;
}

/** SRV candidate → its targets in RFC 2782 order, each with the first IPv4 address it has. */
async function srvTargets(lookup: NameLookup, name: string, findings: Finding[]): Promise<Array<{ host: string; port: number; address?: string }>> {
  const answer = await lookup.srv(name);
  findings.push({ line: `SRV ${name}: ${answer.outcome === 'answer' ? answer.records.map((r) => `${r.target}:${r.port}`).join(', ') : answer.outcome}`, outcome: answer.outcome });
  const targets = [];
  for (const record of orderSrvTargets(answer.records)) {
    const host = normaliseName(record.target);
    const addresses = await lookup.ipv4(host);
    findings.push({ line: `A ${host}: ${addresses.records.join(', ') || addresses.outcome}`, outcome: addresses.outcome });
    targets.push({ host, port: record.port, ...(addresses.records[0] ? { address: addresses.records[0] } : {}) });
  }
  return targets;
}

export async function dns(context: StageContext): Promise<StageOutcome> {
  const { state, options, log } = context;
  const sipDomain = sipDomainOf(context);
  if (!sipDomain) throw new Error('dns needs the SIP domain (--sip-domain or ResolveUser)');
  const lookup = nameLookup(context);
  if (!lookup) {
    throw new StageFailure({ observation: observe.dns(DNS.resolverFailure), message: '--dns-from-dhcp: the DHCP answer named no DNS server (option 6)' });
  }
  log.step(`SIP domain ${sipDomain}; asking ${lookup.resolver}`);
  const option120 = state.registrarFqdn ? normaliseName(state.registrarFqdn) : undefined;
  const findings: Finding[] = [];
  const evidence = { sipDomain, resolver: lookup.resolver, ...(option120 ? { option120 } : {}) };

  let chosen: RegistrarTarget | undefined;
  let internalSrvTarget: string | undefined;
  let internalSrvMissing = false;
  for (const candidate of registrarCandidates(sipDomain, option120).filter((c: RegistrarCandidate) => c.kind === 'host' || c.transport === 'tls')) {
    if (candidate.kind === 'srv') {
      const targets = await srvTargets(lookup, candidate.name, findings);
      if (candidate.scope === 'internal') internalSrvMissing = targets.length === 0;
      const first = targets[0];
      if (!first) continue;
      // Strict naming (LPE CU7+): a target outside the SIP domain is refused, not skipped.
      if (!isInsideDomain(first.host, sipDomain)) {
        throw new StageFailure(
          { observation: observe.dns(DNS.srvOutsideDomain), message: `${candidate.name} points at ${first.host}, outside the SIP domain ${sipDomain}` },
          { ...evidence, lookups: findings.map((f) => f.line) },
        );
      }
      if (candidate.scope === 'internal') internalSrvTarget = first.host;
      if (!first.address) {
        throw new StageFailure(
          { observation: observe.dns(DNS.srvTargetUnresolvable), message: `${candidate.name} points at ${first.host}, which has no address` },
          { ...evidence, lookups: findings.map((f) => f.line) },
        );
      }
      chosen = { host: first.host, address: first.address, port: first.port, source: 'srv' };
      break;
    }
    const addresses = await lookup.ipv4(candidate.host);
    findings.push({ line: `A ${candidate.host}: ${addresses.records.join(', ') || addresses.outcome}`, outcome: addresses.outcome });
    const address = addresses.records[0];
    if (candidate.kind === 'option120' && !address) {
      throw new StageFailure(
        { observation: observe.dns(DNS.registrarNxdomain), message: `the option-120 host ${candidate.host} does not resolve (${addresses.outcome})` },
        { ...evidence, lookups: findings.map((f) => f.line) },
      );
    }
    if (address) {
      chosen = { host: candidate.host, address, port: candidate.kind === 'option120' ? options.registrarPort : candidate.port, source: 'option120' };
      break;
    }
  }
  for (const finding of findings) log.detail(finding.line);
  const lookups = findings.map((finding) => finding.line);
  if (!chosen) {
    const resolverFailed = findings.every((finding) => RESOLVER_FAILURES.has(finding.outcome));
    throw new StageFailure(
      resolverFailed
        ? { observation: observe.dns(DNS.resolverFailure), message: `${lookup.resolver} answered none of ${findings.length} questions` }
        : { observation: observe.dns(DNS.noSipInternalTls), message: `no SRV record and no option 120 name a registrar for ${sipDomain}` },
      { ...evidence, lookups },
    );
  }
  state.registrarTarget = chosen;
  log.step(`Registrar ${chosen.host} (${chosen.address}:${chosen.port}) from ${chosen.source === 'srv' ? 'DNS SRV' : 'option 120'}`);

  const network = state.discovered.dhcpNetwork;
  const dhcpDomains = [...(network?.domainName ? [network.domainName] : []), ...(network?.domainSearch ?? [])];
  let warning: StageError | undefined;
  if (internalSrvTarget && option120 && internalSrvTarget !== option120) {
    warning = { observation: observe.dns(DNS.srvDhcpDisagree), message: `SRV names ${internalSrvTarget}, option 120 names ${option120}; phones try SRV first` };
  } else if (option120 && containingDomains(option120, [sipDomain, ...dhcpDomains]).length === 0) {
    warning = { observation: observe.content(CONTENT.option120OutsideDomains), message: `option 120 host ${option120} is outside ${[sipDomain, ...dhcpDomains].join(', ')}` };
  } else if (internalSrvMissing) {
    warning = { observation: observe.dns(DNS.noSipInternalTls), message: `no _sipinternaltls._tcp.${sipDomain} SRV record; phones depend on option 120` };
  }
  const summary = `${chosen.host} ${chosen.address}:${chosen.port} (${chosen.source === 'srv' ? 'SRV' : 'option 120'})`;
  const result = { ...evidence, registrar: chosen.host, address: chosen.address, port: chosen.port, source: chosen.source, lookups };
  return warning ? { status: 'warn', summary, evidence: result, warning } : { status: 'pass', summary, evidence: result };
}
