// Asks one named DNS server over UDP, as a phone asks the resolvers its voice scope hands out
// (option 6) — node's system resolver cannot be pointed at those per query, nor at `--dns-server`.

import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import { udpExchange, type UdpEndpoint } from '../net/udp-exchange.js';
import { decodeDnsMessage, encodeDnsQuery, interpretResponse, sameName, DNS_TYPES, type DnsAnswer, type DnsTypeName } from './message.js';
import { BootstrapTestError } from '../errors.js';

export const DNS_PORT = 53;

export class DnsServerSyntaxError extends BootstrapTestError {
  constructor(message: string) {
    super('BT_DNS_SERVER_SYNTAX', message);
  }
}

/** `10.0.0.2`, `127.0.0.1:5353`, `::1`, `[::1]:5353` → endpoint; `source` names the option in messages. */
export function parseDnsServer(text: string, source = '--dns-server'): UdpEndpoint {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const hostPort = /^([^:]+):(\d+)$/.exec(text);
  const [host, portText] = bracketed ? [bracketed[1] as string, bracketed[2]] : hostPort ? [hostPort[1] as string, hostPort[2]] : [text, undefined];
  if (isIP(host) === 0) throw new DnsServerSyntaxError(`${source}: "${text}" is not an IP address with an optional :port`);
  const port = portText === undefined ? DNS_PORT : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new DnsServerSyntaxError(`${source}: port "${portText}" in "${text}" is not in 1..65535`);
  return { host, port };
}

export interface DnsQueryOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface DnsExchange extends DnsAnswer {
  server: UdpEndpoint;
  name: string;
  type: DnsTypeName;
  elapsedMs: number;
}

/**
 * One query for (name, type) to `server`. The reply must carry our id and echo our question; a UDP
 * reply with TC set is reported as truncated (the stage says so; TCP retry is not done).
 * Rejects with UdpNoReplyError / UdpLocalError, or DnsFormatError for a reply that does not decode.
 */
export async function queryDns(server: UdpEndpoint, name: string, type: DnsTypeName, options: DnsQueryOptions): Promise<DnsExchange> {
  const id = randomInt(0, 0x10000);
  const query = encodeDnsQuery(id, name, type);
  const matches = (reply: Buffer): boolean => {
    if (reply.length < 12 || reply.readUInt16BE(0) !== id || (reply[2]! & 0x80) === 0) return false;
    try {
      const question = decodeDnsMessage(reply).questions[0];
      return question !== undefined && sameName(question.name, name) && question.typeCode === DNS_TYPES[type];
    } catch {
      return true; // ours by id, but damaged: decode again below to report where
    }
  };
  const { reply, sentAtMs, receivedAtMs } = await udpExchange(server, query, { timeoutMs: options.timeoutMs, accept: matches, ...(options.signal ? { signal: options.signal } : {}) });
  const answer = interpretResponse(decodeDnsMessage(reply), name, type);
  return { ...answer, server, name, type, elapsedMs: receivedAtMs - sentAtMs };
}
