// curl-style host overrides: `--resolve pool.example.com=127.0.0.1` sends every connection for that
// name to the address, and `--resolve pool.example.com:80=127.0.0.1:8080` also moves one port (what
// curl calls --connect-to). TLS still names and checks the original host, so a fictitious lab FQDN
// is verified exactly as a real one would be.

import { isIP } from 'node:net';
import { BootstrapTestError } from '../errors.js';

export interface ResolveRule {
  /** Lower-case host name the rule applies to. */
  host: string;
  /** Only connections to this port are redirected; undefined = every port. */
  port?: number;
  address: string;
  /** Port to connect to instead; undefined = keep the requested port. */
  targetPort?: number;
}

export class ResolveRuleError extends BootstrapTestError {
  constructor(message: string) {
    super('BT_RESOLVE_RULE', message);
  }
}

function parsePort(text: string, where: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new ResolveRuleError(`${where}: port "${text}" is not in 1..65535`);
  }
  return Number(text);
}

/** Splits `addr`, `addr:port`, `[v6]` or `[v6]:port`. A bare IPv6 address has no port. */
function splitAddress(text: string, where: string): { address: string; port?: number } {
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    const address = bracketed[1] ?? '';
    if (isIP(address) !== 6) throw new ResolveRuleError(`${where}: "${address}" is not an IPv6 address`);
    return bracketed[2] === undefined ? { address } : { address, port: parsePort(bracketed[2], where) };
  }
  if (isIP(text)) return { address: text };
  const lastColon = text.lastIndexOf(':');
  if (lastColon > 0 && isIP(text.slice(0, lastColon)) === 4) {
    return { address: text.slice(0, lastColon), port: parsePort(text.slice(lastColon + 1), where) };
  }
  throw new ResolveRuleError(`${where}: "${text}" is not an IP address (use 127.0.0.1, 127.0.0.1:8080 or [::1]:8080)`);
}

/** Parses one `--resolve` value; throws ResolveRuleError naming the bad part. */
export function parseResolveRule(text: string): ResolveRule {
  const where = `--resolve "${text}"`;
  const equals = text.indexOf('=');
  if (equals <= 0 || equals === text.length - 1) {
    throw new ResolveRuleError(`${where}: expected HOST[:PORT]=ADDRESS[:PORT]`);
  }
  const left = text.slice(0, equals);
  const right = text.slice(equals + 1);
  const hostPort = /^([A-Za-z0-9.-]+)(?::(\d+))?$/.exec(left);
  if (!hostPort || !hostPort[1] || hostPort[1].startsWith('.') || hostPort[1].endsWith('-')) {
    throw new ResolveRuleError(`${where}: "${left}" is not a host name`);
  }
  const target = splitAddress(right, where);
  const rule: ResolveRule = { host: hostPort[1].toLowerCase().replace(/\.$/, ''), address: target.address };
  if (hostPort[2] !== undefined) rule.port = parsePort(hostPort[2], where);
  if (target.port !== undefined) rule.targetPort = target.port;
  return rule;
}

/** Where a connection to host:port really goes. A port-specific rule wins over a host-wide one. */
export function resolveTarget(
  rules: readonly ResolveRule[],
  host: string,
  port: number,
): { address?: string; port: number; rule?: ResolveRule } {
  const name = host.toLowerCase().replace(/\.$/, '');
  const rule =
    rules.find((r) => r.host === name && r.port === port) ?? rules.find((r) => r.host === name && r.port === undefined);
  if (!rule) return { port };
  return { address: rule.address, port: rule.targetPort ?? port, rule };
}
