// One UDP request, the first matching reply, under a deadline. SNTP and DNS both need exactly this:
// the caller decides what "matching" means (originate timestamp, query id), so stray or spoofed
// datagrams are skipped instead of ending the exchange.

import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { TransportError } from './errors.js';

export interface UdpEndpoint {
  /** An IP address literal; names are resolved by the caller (the DNS stage decides which resolver). */
  host: string;
  port: number;
}

export interface UdpExchangeOptions {
  /** Milliseconds from sending until the exchange gives up with `no-reply`. */
  timeoutMs: number;
  /** The stage deadline; aborting it ends the exchange the same way. */
  signal?: AbortSignal;
  /** True for the reply that answers this request; other datagrams are ignored. */
  accept: (reply: Buffer) => boolean;
}

export interface UdpReply {
  reply: Buffer;
  /** Wall-clock time (ms since the Unix epoch) just before the request went out and when the reply arrived. */
  sentAtMs: number;
  receivedAtMs: number;
}

/** No matching datagram came back before the deadline. */
export class UdpNoReplyError extends TransportError {
  constructor(message: string, evidence?: Record<string, string | number>) {
    super('BT_UDP_NO_REPLY', message, evidence);
  }
}

/** The local host could not send (bind, route, permission); says nothing about the server. */
export class UdpLocalError extends TransportError {
  constructor(
    readonly nodeCode: string,
    message: string,
    evidence?: Record<string, string | number>,
  ) {
    super('BT_UDP_LOCAL', message, evidence);
  }
}

/**
 * Send `request` to `endpoint` and resolve with the first datagram from that address and port that
 * `accept` approves. Timestamps use `now` so tests and the time stage agree on one clock.
 */
export function udpExchange(
  endpoint: UdpEndpoint,
  request: Uint8Array,
  options: UdpExchangeOptions,
  now: () => number = Date.now,
): Promise<UdpReply> {
  const family = isIP(endpoint.host);
  if (family === 0) {
    return Promise.reject(new UdpLocalError('EINVAL', `"${endpoint.host}" is not an IP address`, { host: endpoint.host }));
  }
  const evidence = { host: endpoint.host, port: endpoint.port };
  return new Promise<UdpReply>((resolve, reject) => {
    const socket: Socket = createSocket({ type: family === 6 ? 'udp6' : 'udp4' });
    let sentAtMs = 0;
    let settled = false;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.close();
      outcome();
    };
    const noReply = (why: string): void =>
      finish(() => reject(new UdpNoReplyError(`no reply from ${endpoint.host}:${endpoint.port} ${why}`, { ...evidence, afterMs: now() - sentAtMs })));
    const onAbort = (): void => noReply('before the stage deadline');
    const timer = setTimeout(() => noReply(`within ${options.timeoutMs} ms`), options.timeoutMs);
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    socket.on('error', (error: NodeJS.ErrnoException) =>
      finish(() => reject(new UdpLocalError(error.code ?? 'EUDP', `UDP to ${endpoint.host}:${endpoint.port} failed: ${error.message}`, evidence))),
    );
    socket.on('message', (reply, from) => {
      if (from.address !== endpoint.host || from.port !== endpoint.port || !options.accept(reply)) return;
      const receivedAtMs = now();
      finish(() => resolve({ reply, sentAtMs, receivedAtMs }));
    });
    sentAtMs = now();
    socket.send(request, endpoint.port, endpoint.host);
  });
}
