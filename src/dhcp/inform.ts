// The DHCPINFORM client's I/O: the UDP socket (two on one port when a named server's refusal must be
// seen), the retransmission timers and the deadline. What the request holds and what the answers
// mean live in inform-messages.ts and inform-analysis.ts; settings in inform-settings.ts. Every
// socket is closed and every timer cleared before runInform settles.

import { createSocket, type Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { choosePhoneAnswer, describeFindings, findDisagreements, toResponder, type IgnoredDatagram, type InformResult, type Responder } from './inform-analysis.js';
import { buildInformPacket, decodeReply, screenReply, type InformRequest, type ReplyVerdict } from './inform-messages.js';
import { DEFAULT_HOST_NAME, DEFAULT_TIMEOUT_MS, DEFAULT_TRIES, DEFAULT_VENDOR_CLASS, DHCP_CLIENT_PORT, DHCP_SERVER_PORT, LIMITED_BROADCAST, planTransmissions, RFC2131_RETRANSMIT, type InformSettings, type RetransmitSchedule } from './inform-settings.js';
import { describeSocketError } from './inform-socket-errors.js';
import { parseMac } from './packet.js';

/**
 * Replies with our xid and chaddr decoded in one run. Only those cost a full decode (every other
 * datagram is refused from its fixed header), and a segment has a handful of servers, so a flood of
 * forged answers costs bounded work and the deadline holds.
 */
export const MAX_DECODED_REPLIES = 64;
/** Ignored datagrams listed one by one (for --verbose and --trace); the rest are only counted. */
export const MAX_IGNORED_LISTED = 50;

export interface PacketEvent {
  direction: 'out' | 'in';
  bytes: Uint8Array;
  /** The peer: destination for 'out', source for 'in'. */
  address: string;
  port: number;
  /** Milliseconds since the first transmission (0 for it). */
  atMs: number;
}

export interface InformConfig {
  /** The interface the request speaks for: its address is ciaddr, its MAC chaddr. */
  client: { name: string; address: string; mac: string };
  /** Option 60. Default MS-UC-Client (exact case: servers compare it case-sensitively). */
  vendorClass?: string;
  /** Option 12. */
  hostName?: string;
  /** Asked for after 120 and 43 in option 55, e.g. [42, 4, 6, 15, 119]. */
  extraRequestedOptions?: number[];
  /** Option 57; omitted by default because the phone does not send it (dhcp.md a.6). */
  maxMessageSize?: number;
  /** Local UDP port; 68 by default, 0 for an ephemeral port. */
  clientPort?: number;
  /** Local address to bind; default 0.0.0.0 (receives unicast and broadcast replies alike). */
  bindAddress?: string;
  /** Unicast target; default the limited broadcast 255.255.255.255:67. */
  server?: { address: string; port?: number };
  /**
   * With `server` and an ephemeral client port: send through a second socket on the same port that is
   * connected to the server, so an ICMP port unreachable (nothing listens there) ends the wait at once
   * instead of at the deadline. Answers from the server arrive on that socket, any other answer (a
   * second server) on the first. Port 68 is not shared this way: a DHCP client daemon holding it
   * must stay an EADDRINUSE, so there the refusal is only seen as silence.
   */
  detectRefusal?: boolean;
  /** Overall deadline in ms, from the first transmission. */
  timeoutMs?: number;
  /** Most transmissions of the one request (same xid). */
  tries?: number;
  /**
   * After the first answer, keep listening this long for other servers (bounded by the deadline).
   * Undefined: listen until the deadline, so every responder on the segment is heard.
   */
  listenMs?: number;
  retransmit?: RetransmitSchedule;
  /** Returns a number in [0, 1); drives the retransmission jitter (tests make it deterministic). */
  random?: () => number;
  /** Fixed transaction id (tests, reproducible traces); default random per run. */
  xid?: number;
  /** Sees every datagram sent and received (for --trace). */
  onPacket?: (event: PacketEvent) => void;
  /**
   * Called with the result so far each time a new server answers, while the listen window goes on:
   * a caller that has what it needs can go ahead without waiting for the window to close.
   */
  onAnswer?: (soFar: InformResult) => void;
}

/** The runInform configuration for `settings`, speaking for `client`. */
export function informConfig(settings: InformSettings, client: InformConfig['client'], onPacket?: InformConfig['onPacket']): InformConfig {
  return {
    client,
    vendorClass: settings.vendorClass,
    hostName: settings.hostName,
    extraRequestedOptions: settings.extraRequestedOptions,
    clientPort: settings.clientPort,
    timeoutMs: settings.timeoutMs,
    tries: settings.tries,
    // A person who names the server means that server: its silence or refusal is the answer.
    ...(settings.server ? { server: settings.server, detectRefusal: true } : {}),
    ...(settings.maxMessageSize !== undefined ? { maxMessageSize: settings.maxMessageSize } : {}),
    ...(settings.listenMs !== undefined ? { listenMs: settings.listenMs } : {}),
    ...(onPacket ? { onPacket } : {}),
  };
}

interface RunState {
  socket?: Socket;
  /** The socket connected to a named server (see InformConfig.detectRefusal). */
  connected?: Socket;
  /** Pending retransmissions; cancelled by the first answer. */
  retransmissions: Set<NodeJS.Timeout>;
  /** The deadline and the listen-window end. */
  timers: Set<NodeJS.Timeout>;
}

/**
 * Sends one DHCPINFORM (retransmitted with the same xid) and collects every reply until the
 * deadline, or until `listenMs` after the first answer (config.onAnswer sees each answer as it
 * comes, before the window closes). Resolves with the result even when nobody
 * answered; rejects with InformSocketError when the host cannot send or receive, or with the
 * signal's reason when aborted. The socket is closed and every timer cleared in all cases.
 */
export function runInform(config: InformConfig, signal?: AbortSignal): Promise<InformResult> {
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const random = config.random ?? Math.random;
  const xid = config.xid ?? randomInt(0, 0x1_0000_0000);
  const vendorClass = config.vendorClass ?? DEFAULT_VENDOR_CLASS;
  const broadcast = config.server === undefined;
  const to = {
    address: config.server?.address ?? LIMITED_BROADCAST,
    port: config.server?.port ?? DHCP_SERVER_PORT,
  };
  const bindAddress = config.bindAddress ?? '0.0.0.0';
  const requestedPort = config.clientPort ?? DHCP_CLIENT_PORT;
  const request: InformRequest = {
    xid,
    ciaddr: config.client.address,
    mac: config.client.mac,
    hostName: config.hostName ?? DEFAULT_HOST_NAME,
    vendorClass,
    requestedOptions: [120, 43, ...(config.extraRequestedOptions ?? []).filter((code) => code !== 120 && code !== 43)],
    ...(config.maxMessageSize !== undefined ? { maxMessageSize: config.maxMessageSize } : {}),
  };
  let bytes: Uint8Array;
  try {
    bytes = buildInformPacket(request);
  } catch (error) {
    return Promise.reject(error);
  }
  const plan = planTransmissions(config.tries ?? DEFAULT_TRIES, timeoutMs, config.retransmit ?? RFC2131_RETRANSMIT, random);

  return new Promise<InformResult>((resolve, reject) => {
    const state: RunState = { retransmissions: new Set(), timers: new Set() };
    const responders: Responder[] = [];
    const ignored: IgnoredDatagram[] = [];
    let ignoredNotListed = 0;
    const sentAtMs: number[] = [];
    let startedAt = 0;
    let bound = false;
    let fromPort = requestedPort;
    let settled = false;
    let refusedBy: InformResult['refusedBy'];

    const elapsed = () => (startedAt === 0 ? 0 : Math.round(performance.now() - startedAt));
    const later = (set: Set<NodeJS.Timeout>, ms: number, action: () => void) => {
      const timer = setTimeout(() => {
        set.delete(timer);
        action();
      }, ms);
      set.add(timer);
    };
    const clearAll = (set: Set<NodeJS.Timeout>) => {
      for (const timer of set) clearTimeout(timer);
      set.clear();
    };
    const cleanup = () => {
      clearAll(state.retransmissions);
      clearAll(state.timers);
      signal?.removeEventListener('abort', onAbort);
      for (const socket of [state.socket, state.connected]) {
        if (!socket) continue;
        socket.removeAllListeners('message');
        try {
          socket.close();
        } catch {
          // Already closed after an error.
        }
      }
      state.socket = undefined;
      state.connected = undefined;
    };
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      cleanup();
      reject(error);
    };
    /** The result as of now; copies the lists, since a snapshot outlives more answers arriving. */
    const resultSoFar = (): InformResult => {
      const chosen = choosePhoneAnswer(responders);
      const partial = {
        sent: {
          xid,
          ciaddr: config.client.address,
          chaddr: config.client.mac,
          interfaceName: config.client.name,
          vendorClass,
          fromPort,
          to,
          broadcast,
          tries: sentAtMs.length,
          sentAtMs: [...sentAtMs],
          bytes,
        },
        waitedMs: elapsed(),
        timeoutMs,
        responders: [...responders],
        ...(chosen !== undefined ? { chosen } : {}),
        disagreements: findDisagreements(responders),
        ignored: [...ignored],
        ignoredNotListed,
        ...(refusedBy ? { refusedBy } : {}),
      };
      return { ...partial, findings: describeFindings(partial) };
    };
    const finish = () => {
      if (settled) return;
      settled = true;
      const result = resultSoFar();
      cleanup();
      resolve(result);
    };
    const tap = (event: PacketEvent) => {
      if (!config.onPacket) return;
      try {
        config.onPacket(event);
      } catch (error) {
        fail(error);
      }
    };
    function onAbort() {
      fail(signal?.reason ?? new Error('aborted'));
    }

    const ours = { xid, mac: parseMac(config.client.mac) };
    let decodedReplies = 0;
    const onMessage = (message: Buffer, remote: { address: string; port: number }) => {
      if (settled) return;
      const atMs = elapsed();
      // A flood can keep the loop busy past the deadline timer's turn; the deadline wins either way.
      if (atMs >= timeoutMs) {
        finish();
        return;
      }
      const datagram = new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
      const from = `${remote.address}:${remote.port}`;
      let verdict: ReplyVerdict;
      if (decodedReplies >= MAX_DECODED_REPLIES && screenReply(datagram, ours) === undefined) {
        verdict = { kind: 'ignored', reason: `more than ${MAX_DECODED_REPLIES} replies with our xid; the rest are not decoded` };
      } else {
        verdict = decodeReply(datagram, ours);
        if (verdict.kind === 'reply') decodedReplies += 1;
      }
      if (verdict.kind === 'ignored') {
        if (ignored.length >= MAX_IGNORED_LISTED) {
          ignoredNotListed += 1;
          return;
        }
        ignored.push({ from, atMs, length: datagram.length, reason: verdict.reason });
      }
      tap({ direction: 'in', bytes: datagram, address: remote.address, port: remote.port, atMs });
      if (settled || verdict.kind === 'ignored') return;
      const responder = toResponder(verdict.packet, datagram, { source: { address: remote.address, port: remote.port }, elapsedMs: atMs, afterTries: sentAtMs.length });
      const previous = responders.find(
        (known) => known.server === responder.server && known.source.address === remote.address,
      );
      if (previous) {
        previous.duplicates += 1;
        return;
      }
      responders.push(responder);
      if (responders.length === 1) {
        // No more copies once someone answered: every server hears the same request.
        clearAll(state.retransmissions);
        const remaining = timeoutMs - atMs;
        later(state.timers, Math.max(0, Math.min(config.listenMs ?? remaining, remaining)), finish);
      }
      if (config.onAnswer) {
        try {
          config.onAnswer(resultSoFar());
        } catch (error) {
          fail(error);
        }
      }
    };

    const transmit = () => {
      const socket = state.socket;
      if (!socket || settled) return;
      // Times count from the first copy, so it is sent at 0 ms by definition.
      if (sentAtMs.length === 0) startedAt = performance.now();
      const atMs = elapsed();
      sentAtMs.push(atMs);
      tap({ direction: 'out', bytes, address: to.address, port: to.port, atMs });
      if (settled) return;
      const sent = (error: Error | null) => {
        if (error) onSocketError(error);
      };
      if (state.connected) state.connected.send(bytes, sent);
      else socket.send(bytes, to.port, to.address, sent);
    };

    if (signal?.aborted) {
      fail(signal.reason ?? new Error('aborted'));
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });

    const sharesPort = config.detectRefusal === true && !broadcast && requestedPort === 0;
    const socket = createSocket({ type: 'udp4', reuseAddr: sharesPort });
    state.socket = socket;
    socket.on('message', onMessage);
    function onSocketError(error: NodeJS.ErrnoException) {
      if (state.connected && error.code === 'ECONNREFUSED') {
        // The kernel turned the server's ICMP port unreachable into this: an answer, and a final one.
        refusedBy = { ...to, atMs: elapsed() };
        finish();
        return;
      }
      const phase = bound ? 'send' : 'bind';
      fail(describeSocketError(error, phase, { port: requestedPort, bindAddress, to: `${to.address}:${to.port}` }));
    }
    socket.on('error', onSocketError);
    socket.bind({ port: requestedPort, address: bindAddress, exclusive: true }, () => {
      if (settled) return;
      bound = true;
      try {
        if (broadcast) socket.setBroadcast(true);
        fromPort = socket.address().port;
      } catch (error) {
        fail(describeSocketError(error as NodeJS.ErrnoException, 'send', { port: requestedPort, bindAddress, to: `${to.address}:${to.port}` }));
        return;
      }
      const start = () => {
        later(state.timers, timeoutMs, finish);
        for (const at of plan) {
          if (at === 0) transmit();
          else later(state.retransmissions, at, transmit);
        }
      };
      if (!sharesPort) {
        start();
        return;
      }
      const connected = createSocket({ type: 'udp4', reuseAddr: true });
      state.connected = connected;
      connected.on('message', onMessage);
      connected.on('error', onSocketError);
      connected.bind({ port: fromPort, address: bindAddress }, () => {
        connected.connect(to.port, to.address, () => {
          if (!settled) start();
        });
      });
    });
  });
}

