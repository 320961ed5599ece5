// Sign-in stage time: the clock a phone would set, from the sources it would use in its order
// (option 42, option 4, SRV _ntp._udp.<SIP domain>, time.windows.com), one SNTP exchange per server,
// the first usable answer wins. Fails on an unsynchronised or refusing server and on a skew that
// breaks certificates and tickets; earlier candidates that stayed silent make it a warning.

import { CONTENT, DNS, observe } from '../diagnosis/observation.js';
import { orderSrvTargets } from '../dns/registrar-lookup.js';
import { UdpNoReplyError, type UdpEndpoint } from '../net/udp-exchange.js';
import type { StageError } from '../model.js';
import { NTP_PORT, querySntp, type SntpResult } from '../time/sntp.js';
import { judgeClockOffset, timeSourcePlan, type TimeSource } from '../time/sources.js';
import { nameLookup, type NameLookup } from './name-lookup.js';
import { sipDomainOf } from './sip-domain.js';
import { StageFailure, type StageContext, type StageOutcome } from './types.js';

/** One exchange may take this much; a phone retries later, a check moves on to the next server. */
const SNTP_EXCHANGE_LIMIT_MS = 1500;

function describeSource(source: TimeSource): string {
  switch (source.kind) {
    case 'option42':
      return `option 42 ${source.address}`;
    case 'option4':
      return `option 4 ${source.address} (an RFC 868 time server by the standard, probed with NTP)`;
    case 'srv':
      return `SRV ${source.name}`;
    case 'fallback-host':
      return `fallback ${source.host}`;
  }
}

/** The NTP endpoints of one source; a name that does not resolve yields none (and a note). */
async function endpointsOf(source: TimeSource, lookup: NameLookup | null, notes: string[]): Promise<UdpEndpoint[]> {
  if (source.kind === 'option42' || source.kind === 'option4') return [{ host: source.address, port: NTP_PORT }];
  if (!lookup) {
    notes.push(`${describeSource(source)}: no resolver (--dns-from-dhcp and no option 6)`);
    return [];
  }
  const targets =
    source.kind === 'srv'
      ? await lookup.srv(source.name).then((answer) => {
          if (answer.outcome !== 'answer') notes.push(`${describeSource(source)}: ${answer.outcome}`);
          return orderSrvTargets(answer.records).map((record) => ({ host: record.target, port: record.port }));
        })
      : [{ host: source.host, port: NTP_PORT }];
  const endpoints: UdpEndpoint[] = [];
  for (const target of targets) {
    const addresses = await lookup.ipv4(target.host);
    if (addresses.records.length === 0) notes.push(`${target.host}: ${addresses.outcome} for its address`);
    endpoints.push(...addresses.records.map((address) => ({ host: address, port: target.port })));
  }
  return endpoints;
}

function describeReply(result: SntpResult): string {
  const { packet } = result;
  const reference = packet.referenceIdAscii ?? packet.referenceIdHex;
  return `stratum ${packet.stratum}, leap ${packet.leap}, reference ${reference}, offset ${Math.round(result.offsetMs)} ms, round trip ${Math.round(result.roundTripMs)} ms`;
}

export async function time(context: StageContext): Promise<StageOutcome> {
  const { state, log } = context;
  const network = state.discovered.dhcpNetwork;
  const sipDomain = sipDomainOf(context);
  const plan = timeSourcePlan({
    ...(network ? { option42: network.ntpServers, option4: network.timeServers } : {}),
    ...(sipDomain ? { sipDomain } : {}),
  });
  const lookup = nameLookup(context);
  if (!lookup && plan.every((source) => source.kind === 'srv' || source.kind === 'fallback-host')) {
    throw new StageFailure({ observation: observe.dns(DNS.resolverFailure), message: '--dns-from-dhcp: the DHCP answer named no DNS server (option 6) and no NTP server (option 42/4)' });
  }
  const tried: string[] = [];
  let refusal: { error: StageError; tried: string[] } | undefined;
  let advertisedAnswered = false;

  for (const source of plan) {
    const notes: string[] = [];
    const endpoints = await endpointsOf(source, lookup, notes);
    tried.push(...notes);
    for (const endpoint of endpoints) {
      const where = `${describeSource(source)} → ${endpoint.host}:${endpoint.port}`;
      let result: SntpResult;
      try {
        const limit = Math.max(1, Math.min(SNTP_EXCHANGE_LIMIT_MS, Math.floor(context.deadline - performance.now())));
        result = await querySntp(endpoint, { timeoutMs: limit, signal: context.signal });
      } catch (error) {
        if (!(error instanceof UdpNoReplyError)) throw error;
        tried.push(`${where}: no reply`);
        log.step(`${where}: no NTP reply`);
        continue;
      }
      if (source.kind !== 'fallback-host') advertisedAnswered = true;
      log.step(`${where}: ${describeReply(result)}`);
      if (result.verdict.kind === 'kiss-of-death') {
        tried.push(`${where}: Kiss-o'-Death ${result.verdict.code}`);
        refusal ??= { error: { observation: observe.content(CONTENT.ntpKissOfDeath), message: `${where} answered Kiss-o'-Death ${result.verdict.code} instead of the time` }, tried: [...tried] };
        continue;
      }
      if (result.verdict.kind !== 'usable') {
        const reason = result.verdict.reason;
        tried.push(`${where}: ${reason}`);
        refusal ??= { error: { observation: observe.content(CONTENT.ntpUnsynchronised), message: `${where} is not synchronised: ${reason}` }, tried: [...tried] };
        continue;
      }
      // A phone takes the first server that answers; so does this stage (an unusable earlier one is still reported).
      if (refusal) throw new StageFailure(refusal.error, { tried: refusal.tried });
      return judged(context, source, endpoint, result, tried, advertisedAnswered);
    }
  }
  if (refusal) throw new StageFailure(refusal.error, { tried: refusal.tried });
  throw new StageFailure({ observation: observe.noReply(), message: `no time source answered NTP (${tried.length} tried)` }, { tried });
}

function judged(context: StageContext, source: TimeSource, endpoint: UdpEndpoint, result: SntpResult, tried: string[], advertised: boolean): StageOutcome {
  const offsetMs = Math.round(result.offsetMs);
  const evidence = {
    source: describeSource(source),
    server: `${endpoint.host}:${endpoint.port}`,
    offsetMs,
    stratum: result.packet.stratum,
    leap: result.packet.leap,
    roundTripMs: Math.round(result.roundTripMs),
    ...(tried.length > 0 ? { tried } : {}),
  };
  context.state.clockOffsetMs = offsetMs;
  context.state.discovered.clock = { source: evidence.source, offsetMs, stratum: result.packet.stratum, roundTripMs: evidence.roundTripMs };
  const verdict = judgeClockOffset(offsetMs);
  const skew = { observation: observe.clock(offsetMs / 1000), message: `this host's clock is ${Math.abs(offsetMs)} ms ${offsetMs > 0 ? 'behind' : 'ahead of'} ${evidence.server}` };
  if (verdict === 'fail') throw new StageFailure(skew, evidence);
  const summary = `${evidence.server} (${source.kind}): offset ${offsetMs} ms, stratum ${result.packet.stratum}`;
  let warning: StageError | undefined;
  if (verdict === 'warn') warning = skew;
  else if (tried.some((line) => line.endsWith('no reply'))) warning = { observation: observe.noReply(), message: tried.join('; ') };
  else if (!advertised) warning = { observation: observe.content(CONTENT.noTimeSource), message: `neither DHCP nor DNS names a time server; ${source.kind === 'fallback-host' ? source.host : 'the fallback'} answered` };
  return warning ? { status: 'warn', summary, evidence, warning } : { status: 'pass', summary, evidence };
}
