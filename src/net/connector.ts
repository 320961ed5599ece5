// The socket factory behind each undici Client. It exists (rather than undici's buildConnector) to
// apply --resolve, to verify TLS against exactly the anchors the run trusts, to keep the TLS session
// for resumption, to count connections, and to turn socket failures into typed TransportErrors while
// the connection phase (TCP vs TLS) is still known.

import net from 'node:net';
import tls from 'node:tls';
import { isIP } from 'node:net';
import {
  ConnectRefusedError,
  ConnectTimeoutError,
  ConnectionResetError,
  NameResolutionError,
  PlainHttpOnTlsPortError,
  TlsAlertError,
  TlsClosedError,
  TlsVerifyError,
  TransportError,
  tlsAlertNumber,
  tlsVerifyReason,
} from './errors.js';
import { peerCertificateEvidence, peerCertificateFacts, readPeerCertificate, type PeerCertificateFacts } from './peer-certificate.js';
import { looksLikeNonTlsRecord, probePlainHttp } from './plain-http-probe.js';
import { resolveTarget, type ResolveRule } from './resolve.js';
import { quoteText } from '../text.js';

/** What the run learns about each connection it opens (for --verbose and the benchmark). */
export interface ConnectionInfo {
  /** 1, 2, ... in the order the run opened them. */
  id: number;
  origin: string;
  host: string;
  address: string;
  port: number;
  /** Where --resolve sent it, when a rule applied. */
  resolvedBy?: string;
  connectMs: number;
  tlsProtocol?: string;
  tlsCipher?: string;
  tlsResumed?: boolean;
  peerCertificate?: PeerCertificateFacts;
}

export interface ConnectorSettings {
  origin: string;
  rules: readonly ResolveRule[];
  connectTimeoutMs: number;
  /** PEM trust anchors for https origins. Only these are trusted (the phone's view). */
  ca?: string[];
  /** TLS sessions per origin, so a second connection resumes instead of negotiating afresh. */
  sessions: Map<string, Buffer>;
  nextConnectionId: () => number;
  onConnected: (info: ConnectionInfo) => void;
  /** Decode the server certificate into ConnectionInfo (for --verbose). */
  describePeer: boolean;
  /**
   * Tells the transport which socket of this origin is open (undefined once it closed), so that a
   * timeout can be classified and close() can end it.
   */
  onSocketState: (open: net.Socket | undefined) => void;
  /** Name lookup (default: the system's, dns.lookup); tests inject one to produce NXDOMAIN offline. */
  lookup?: net.LookupFunction;
}

interface UndiciConnectOptions {
  hostname: string;
  protocol: string;
  port: string | number;
}

type ConnectCallback = (error: Error | null, socket: net.Socket | null) => void;

/** Turns a socket error into a typed TransportError, given how far the connection got (TCP or TLS). */
export function classifySocketError(
  error: NodeJS.ErrnoException,
  phase: 'tcp' | 'tls',
  evidence: Record<string, string | number>,
): TransportError {
  if (error instanceof TransportError) return error;
  const code = error.code ?? '';
  const detail = { ...evidence, error: code || error.message };
  const where = `${evidence.host}:${evidence.port}`;
  if (code === 'ECONNREFUSED') return new ConnectRefusedError(`connection refused by ${where}`, detail);
  if (code === 'ETIMEDOUT' || code === 'ENETUNREACH' || code === 'EHOSTUNREACH') {
    return new ConnectTimeoutError(`no TCP connection to ${where} (${code})`, detail);
  }
  if (code === 'ENOTFOUND') {
    return new NameResolutionError('nxdomain', `the name ${evidence.host} does not exist in DNS (${code})`, detail);
  }
  if (code === 'EAI_AGAIN') {
    return new NameResolutionError('temporary', `no DNS answer for ${evidence.host} (${code}: temporary resolver failure)`, detail);
  }
  const verifyReason = tlsVerifyReason(code);
  if (verifyReason !== 'other') {
    return new TlsVerifyError(verifyReason, `server certificate rejected: ${error.message}`, detail);
  }
  const alert = tlsAlertNumber(code, error.message);
  if (alert !== undefined) return new TlsAlertError(alert, `TLS alert ${alert} from ${where}`, detail);
  if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || phase === 'tls') {
    if (code === 'ECONNRESET' || code === 'EPIPE' || code === '' || phase === 'tls') {
      return new TlsClosedError(`${where} closed the connection during the TLS handshake (${code || error.message})`, detail);
    }
  }
  return new ConnectionResetError(`connection to ${where} failed: ${code || error.message}`, detail);
}

export function createConnector(settings: ConnectorSettings) {
  return function connect(options: UndiciConnectOptions, callback: ConnectCallback): net.Socket {
    const secure = options.protocol === 'https:';
    const requestedPort = Number(options.port) || (secure ? 443 : 80);
    const target = resolveTarget(settings.rules, options.hostname, requestedPort);
    const connectHost = target.address ?? options.hostname;
    const evidence: Record<string, string | number> = { host: options.hostname, port: target.port };
    if (target.address) evidence.address = target.address;
    const started = performance.now();
    let phase: 'tcp' | 'tls' = 'tcp';
    let pending: ConnectCallback | null = callback;

    const finish = (error: Error | null, socket: net.Socket | null): void => {
      clearTimeout(timer);
      const cb = pending;
      pending = null;
      cb?.(error, socket);
    };

    let socket: net.Socket;
    if (secure) {
      const servername = isIP(options.hostname) ? undefined : options.hostname;
      socket = tls.connect({
        host: connectHost,
        port: target.port,
        // The name checked against the certificate is the option-43 host, not the --resolve address.
        ...(servername ? { servername } : {}),
        ca: settings.ca && settings.ca.length > 0 ? settings.ca : undefined,
        ALPNProtocols: ['http/1.1'],
        session: settings.sessions.get(settings.origin),
        ...(settings.lookup ? { lookup: settings.lookup } : {}),
      });
      socket.once('connect', () => {
        phase = 'tls';
      });
      socket.on('session', (session: Buffer) => settings.sessions.set(settings.origin, session));
    } else {
      socket = net.connect({ host: connectHost, port: target.port, ...(settings.lookup ? { lookup: settings.lookup } : {}) });
    }
    socket.setNoDelay(true);

    const timer = setTimeout(() => {
      const error =
        phase === 'tcp'
          ? new ConnectTimeoutError(`no TCP connection to ${options.hostname}:${target.port} within ${settings.connectTimeoutMs} ms`, {
              ...evidence,
              afterMs: settings.connectTimeoutMs,
            })
          : new TlsClosedError(`TLS handshake with ${options.hostname}:${target.port} did not finish within ${settings.connectTimeoutMs} ms`, {
              ...evidence,
              afterMs: settings.connectTimeoutMs,
            });
      socket.destroy();
      finish(error, null);
    }, settings.connectTimeoutMs);

    socket.once(secure ? 'secureConnect' : 'connect', () => {
      const info: ConnectionInfo = {
        id: settings.nextConnectionId(),
        origin: settings.origin,
        host: options.hostname,
        address: socket.remoteAddress ?? connectHost,
        port: target.port,
        connectMs: Math.round((performance.now() - started) * 10) / 10,
      };
      if (target.rule) info.resolvedBy = `--resolve ${target.rule.host}${target.rule.port ? `:${target.rule.port}` : ''}`;
      if (socket instanceof tls.TLSSocket) {
        info.tlsProtocol = socket.getProtocol() ?? undefined;
        info.tlsCipher = socket.getCipher()?.name;
        info.tlsResumed = socket.isSessionReused();
      }
      // Decoding the peer certificate costs about a millisecond; only --verbose and --json want it.
      if (socket instanceof tls.TLSSocket && settings.describePeer) {
        const facts = peerCertificateFacts(socket.getPeerCertificate());
        if (facts) info.peerCertificate = facts;
      }
      settings.onSocketState(socket);
      socket.once('close', () => settings.onSocketState(undefined));
      settings.onConnected(info);
      finish(null, socket);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (!pending) return;
      const leftMs = settings.connectTimeoutMs - (performance.now() - started);
      const typed = classifySocketError(error, phase, evidence);
      if (typed instanceof TlsVerifyError) {
        // Show what the server presented: the admin compares it with the pool's certificate.
        const servername = isIP(options.hostname) ? undefined : options.hostname;
        void readPeerCertificate({
          host: socket.remoteAddress ?? connectHost,
          port: target.port,
          ...(servername ? { servername } : {}),
          timeoutMs: leftMs,
          ...(settings.lookup ? { lookup: settings.lookup } : {}),
        }).then((facts) => {
          if (facts) Object.assign(typed.evidence, peerCertificateEvidence(facts));
          finish(typed, null);
        });
        return;
      }
      if (!(secure && phase === 'tls' && looksLikeNonTlsRecord(error.code))) {
        finish(typed, null);
        return;
      }
      // Not a TLS record: ask the port in plain HTTP, within what is left of the connect time.
      const address = socket.remoteAddress ?? connectHost;
      void probePlainHttp({ host: address, port: target.port, hostName: options.hostname, timeoutMs: leftMs, ...(settings.lookup ? { lookup: settings.lookup } : {}) }).then(
        (statusLine) => {
          if (!statusLine) {
            finish(typed, null);
            return;
          }
          finish(
            new PlainHttpOnTlsPortError(`${options.hostname}:${target.port} speaks plain HTTP, not TLS: it answered "${quoteText(statusLine, 80)}"`, {
              ...evidence,
              answered: statusLine,
            }),
            null,
          );
        },
      );
    });
    return socket;
  };
}
