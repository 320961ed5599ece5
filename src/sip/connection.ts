// One TLS connection to a registrar carrying SIP (RFC 3261 §18 over TLS, port 5061): connect with a
// given TLS profile and trust, then run REGISTER transactions on it one at a time. Every wait has a
// deadline; socket failures become the transport's typed errors so the diagnosis sees `tcp:*`,
// `tls:alert:*`, `tls:verify:*` and `timeout` as for HTTPS.

import tls, { type SecureVersion } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { classifySocketError } from '../net/connector.js';
import { ConnectTimeoutError, ResponseTimeoutError, TransportError } from '../net/errors.js';
import { headerValue, serializeSipMessage, takeSipMessage, SipFormatError, type SipRequest, type SipResponse } from './message.js';

export interface SipTlsProfile {
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
  ciphers?: string;
}

/** Lync Phone Edition on 5061: TLS 1.0 only, AES-CBC-SHA (what Node can still offer). */
export const PHONE_SIP_TLS_PROFILE: SipTlsProfile = { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'AES128-SHA:AES256-SHA:@SECLEVEL=0' };
/** A current client, to tell "TLS 1.0 refused" from "bad certificate". */
export const MODERN_SIP_TLS_PROFILE: SipTlsProfile = { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' };

export interface SipConnectOptions {
  /** Address to connect to (already resolved by the dns stage). */
  address: string;
  port: number;
  /** The registrar name: SNI and the certificate name check. */
  servername: string;
  /** The downloaded root chain; the only trust anchors. */
  trustedRootsPem: string[];
  profile: SipTlsProfile;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface SipTlsInfo {
  protocol: string;
  cipherSuite: string;
  /** Leaf first, as the server sent it (plus what Node completed from the trust store). */
  chain: X509Certificate[];
  localAddress: string;
  localPort: number;
}

/** The registrar closed the connection or sent bytes that are not SIP. */
export class SipProtocolError extends TransportError {
  constructor(message: string, evidence?: Record<string, string | number>) {
    super('BT_SIP_PROTOCOL', message, evidence);
  }
}

function peerChain(socket: tls.TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  // The issuer links end in a self-reference at the root.
  for (let current: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true); current?.raw && !seen.has(current.fingerprint256); current = current.issuerCertificate) {
    seen.add(current.fingerprint256);
    chain.push(new X509Certificate(current.raw));
  }
  return chain;
}

function untilAbort(signal: AbortSignal | undefined, onAbort: () => void): () => void {
  if (!signal) return () => undefined;
  if (signal.aborted) {
    onAbort();
    return () => undefined;
  }
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

export class SipTlsConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private failure: TransportError | undefined;
  private waiter: (() => void) | undefined;

  private constructor(
    private readonly socket: tls.TLSSocket,
    readonly info: SipTlsInfo,
    private readonly where: Record<string, string | number>,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.waiter?.();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.failure ??= classifySocketError(error, 'tcp', where);
      this.waiter?.();
    });
    socket.on('close', () => {
      this.failure ??= new SipProtocolError(`${where.host}:${where.port} closed the SIP connection`, where);
      this.waiter?.();
    });
  }

  static open(options: SipConnectOptions): Promise<SipTlsConnection> {
    const where = { host: options.servername, address: options.address, port: options.port };
    return new Promise((resolve, reject) => {
      const socket = tls.connect({
        host: options.address,
        port: options.port,
        servername: options.servername,
        ca: options.trustedRootsPem,
        minVersion: options.profile.minVersion,
        maxVersion: options.profile.maxVersion,
        ...(options.profile.ciphers ? { ciphers: options.profile.ciphers } : {}),
        checkServerIdentity: (_host, certificate) => tls.checkServerIdentity(options.servername, certificate),
      });
      let tcpConnected = false;
      const fail = (error: TransportError): void => {
        clearTimeout(timer);
        stopAbort();
        socket.destroy();
        reject(error);
      };
      const timer = setTimeout(() => fail(new ConnectTimeoutError(`no TLS session with ${options.address}:${options.port} within ${options.timeoutMs} ms`, where)), options.timeoutMs);
      const stopAbort = untilAbort(options.signal, () => fail(new ConnectTimeoutError(`TLS to ${options.address}:${options.port} stopped at the stage deadline`, where)));
      socket.once('connect', () => (tcpConnected = true));
      socket.once('error', (error: NodeJS.ErrnoException) => fail(classifySocketError(error, tcpConnected ? 'tls' : 'tcp', where)));
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        stopAbort();
        socket.removeAllListeners('error');
        const info: SipTlsInfo = {
          protocol: socket.getProtocol() ?? 'unknown',
          cipherSuite: socket.getCipher().standardName,
          chain: peerChain(socket),
          localAddress: socket.localAddress ?? '',
          localPort: socket.localPort ?? 0,
        };
        resolve(new SipTlsConnection(socket, info, where));
      });
    });
  }

  /** Write `request` and resolve with its final response (provisional 1xx and stray messages skipped). */
  async transact(request: SipRequest, options: { timeoutMs: number; signal?: AbortSignal }): Promise<SipResponse> {
    if (this.failure) throw this.failure;
    const cseq = headerValue(request, 'cseq');
    this.socket.write(serializeSipMessage(request));
    return new Promise<SipResponse>((resolve, reject) => {
      const finish = (outcome: () => void): void => {
        clearTimeout(timer);
        stopAbort();
        this.waiter = undefined;
        outcome();
      };
      const timer = setTimeout(() => finish(() => reject(new ResponseTimeoutError(`no SIP response to ${request.method} within ${options.timeoutMs} ms`, this.where))), options.timeoutMs);
      const stopAbort = untilAbort(options.signal, () => finish(() => reject(new ResponseTimeoutError(`SIP ${request.method} stopped at the stage deadline`, this.where))));
      const check = (): void => {
        try {
          for (let taken = takeSipMessage(this.buffer); taken; taken = takeSipMessage(this.buffer)) {
            this.buffer = taken.rest;
            const message = taken.message;
            if (message.kind === 'response' && message.status >= 200 && headerValue(message, 'cseq') === cseq) return finish(() => resolve(message));
          }
        } catch (caught) {
          const detail = caught instanceof SipFormatError ? caught.message : String(caught);
          return finish(() => reject(new SipProtocolError(`unreadable SIP from ${this.where.host}: ${detail}`, this.where)));
        }
        if (this.failure) finish(() => reject(this.failure));
      };
      this.waiter = check;
      check();
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
