// The resolver the time and dns stages ask, chosen the way the run was told: --dns-server, else the
// option-6 servers of the DHCP answer with --dns-from-dhcp, else this host's own resolver. Every
// question has the stage's deadline; answers are reduced to what the stages judge (outcome, records).

import { Resolver } from 'node:dns/promises';
import { queryDns, DNS_PORT } from '../dns/resolver.js';
import type { SrvRecord } from '../dns/registrar-lookup.js';
import type { DnsOutcome } from '../dns/message.js';
import { UdpNoReplyError, type UdpEndpoint } from '../net/udp-exchange.js';
import type { StageContext } from './types.js';

export type LookupOutcome = DnsOutcome | 'no-reply';

export interface LookupAnswer<T> {
  outcome: LookupOutcome;
  records: T[];
}

export interface NameLookup {
  /** Which resolver, for evidence and the log. */
  readonly resolver: string;
  srv(name: string): Promise<LookupAnswer<SrvRecord>>;
  /** IPv4 addresses of `host`, from DNS only: --resolve rules steer HTTPS connections, not what DNS says. */
  ipv4(host: string): Promise<LookupAnswer<string>>;
}

/** One DNS question may take at most this much of the stage's time, so later candidates still get asked. */
const QUESTION_LIMIT_MS = 2000;

function remainingMs(context: StageContext): number {
  return Math.max(1, Math.min(QUESTION_LIMIT_MS, Math.floor(context.deadline - performance.now())));
}

function serverLookup(context: StageContext, server: UdpEndpoint, label: string): Omit<NameLookup, 'ipv4'> & { a: (host: string) => Promise<LookupAnswer<string>> } {
  const ask = async <T>(name: string, type: 'SRV' | 'A', pick: (data: unknown) => T | undefined): Promise<LookupAnswer<T>> => {
    try {
      const exchange = await queryDns(server, name, type, { timeoutMs: remainingMs(context), signal: context.signal });
      return { outcome: exchange.outcome, records: exchange.records.map(pick).filter((record): record is T => record !== undefined) };
    } catch (error) {
      if (error instanceof UdpNoReplyError) return { outcome: 'no-reply', records: [] };
      throw error;
    }
  };
  return {
    resolver: `${server.host}:${server.port} (${label})`,
    srv: (name) => ask(name, 'SRV', (data) => ((data as { type: string }).type === 'SRV' ? (data as SrvRecord) : undefined)),
    a: (host) => ask(host, 'A', (data) => ((data as { type: string; address?: string }).type === 'A' ? (data as { address: string }).address : undefined)),
  };
}

const SYSTEM_OUTCOMES: Readonly<Record<string, LookupOutcome>> = {
  ENOTFOUND: 'nxdomain',
  ENODATA: 'nodata',
  ESERVFAIL: 'servfail',
  EREFUSED: 'refused',
  ETIMEOUT: 'no-reply',
  ECONNREFUSED: 'no-reply',
};

function systemLookup(context: StageContext): Omit<NameLookup, 'ipv4'> & { a: (host: string) => Promise<LookupAnswer<string>> } {
  const resolver = new Resolver({ timeout: remainingMs(context), tries: 1 });
  const onAbort = (): void => resolver.cancel();
  context.signal.addEventListener('abort', onAbort, { once: true });
  const ask = async <T>(question: () => Promise<T[]>): Promise<LookupAnswer<T>> => {
    try {
      return { outcome: 'answer', records: await question() };
    } catch (error) {
      return { outcome: SYSTEM_OUTCOMES[(error as NodeJS.ErrnoException).code ?? ''] ?? 'error', records: [] };
    }
  };
  return {
    resolver: 'this host\'s resolver',
    srv: (name) => ask(async () => (await resolver.resolveSrv(name)).map((record): SrvRecord => ({ type: 'SRV', priority: record.priority, weight: record.weight, port: record.port, target: record.name }))),
    a: (host) => ask(() => resolver.resolve4(host)),
  };
}

/** The run's resolver; `null` with --dns-from-dhcp when the DHCP answer named no DNS server. */
export function nameLookup(context: StageContext): NameLookup | null {
  const { options, state } = context;
  const dhcpServer = state.discovered.dhcpNetwork?.dnsServers[0];
  let base;
  if (options.dnsServer) base = serverLookup(context, options.dnsServer, '--dns-server');
  else if (options.dnsFromDhcp) {
    if (!dhcpServer) return null;
    base = serverLookup(context, { host: dhcpServer, port: DNS_PORT }, 'DHCP option 6');
  } else base = systemLookup(context);
  const { a, ...rest } = base;
  return { ...rest, ipv4: a };
}
