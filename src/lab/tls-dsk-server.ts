// The lab registrar's TLS-DSK engine on node-forge, so that the lab and the client (node:tls) do not
// share TLS code. Forge is buffer driven: a client token goes in through process(), the records it
// writes come out of tlsData, and the TLS-DSK keys come from the session's master secret and randoms
// with the TLS 1.0/1.1 PRF ([MS-SIPAE] 3.2.5.1). Forge speaks TLS 1.0/1.1 with AES-CBC-SHA only, so
// signatures are HMAC-SHA1. Forge sends no renegotiation_info (RFC 5746), like an old registrar.

import forge from 'node-forge';
import { tls10TlsDskKeys, type TlsDskKeys } from '../sip/tls-dsk-keys.js';

export interface TlsDskServerOptions {
  /** The registrar's certificate (its chain, leaf first) and key. */
  certificateChainPem: string[];
  privateKeyPem: string;
  /** CAs whose client certificates are accepted (the pool's CertProv issuer). */
  clientCaPem: string[];
}

export interface TlsDskServerEstablished {
  keys: TlsDskKeys;
  mac: 'sha1';
  clientCertificatePem: string;
}

export type TlsDskServerStep =
  | { kind: 'token'; token: Buffer; established?: TlsDskServerEstablished }
  | { kind: 'failed'; token: Buffer; alert?: number; reason: string };

/** The parts of forge's session the key derivation needs; forge keeps them on `sp`, outside its typings. */
interface ForgeSecurityParameters {
  master_secret: string;
  client_random: string;
  server_random: string;
}

export class TlsDskServerEngine {
  private readonly connection: forge.tls.Connection;
  private output = '';
  private failure: { alert?: number; reason: string } | undefined;
  private connected = false;

  constructor(options: TlsDskServerOptions) {
    this.connection = forge.tls.createConnection({
      server: true,
      caStore: options.clientCaPem.map((pem) => forge.pki.certificateFromPem(pem)),
      verifyClient: true,
      cipherSuites: [forge.tls.CipherSuites['TLS_RSA_WITH_AES_128_CBC_SHA']!, forge.tls.CipherSuites['TLS_RSA_WITH_AES_256_CBC_SHA']!],
      getCertificate: () => options.certificateChainPem,
      getPrivateKey: () => options.privateKeyPem,
      connected: () => {
        this.connected = true;
      },
      tlsDataReady: (connection) => {
        this.output += connection.tlsData.getBytes();
      },
      dataReady: () => undefined,
      closed: () => undefined,
      error: (_connection, error) => {
        this.failure ??= { reason: error.message, ...(error.alert ? { alert: error.alert.description as number } : {}) };
      },
    });
  }

  /** Feed one client token; returns what goes back in the next 401 (and the keys once established). */
  answer(clientToken: Buffer): TlsDskServerStep {
    const wasConnected = this.connected;
    this.connection.process(clientToken.toString('binary'));
    const token = Buffer.from(this.output, 'binary');
    this.output = '';
    if (this.failure) return { kind: 'failed', token, ...this.failure };
    if (this.connected && !wasConnected) return { kind: 'token', token, established: this.established() };
    return { kind: 'token', token };
  }

  private established(): TlsDskServerEstablished {
    const session = this.connection.session as forge.tls.Session & { sp: ForgeSecurityParameters };
    const binary = (text: string): Buffer => Buffer.from(text, 'binary');
    const peer = this.connection.peerCertificate;
    if (!peer) throw new Error('forge finished a TLS-DSK handshake without a client certificate, though verifyClient is set');
    return {
      keys: tls10TlsDskKeys(binary(session.sp.master_secret), binary(session.sp.client_random), binary(session.sp.server_random)),
      mac: 'sha1',
      clientCertificatePem: forge.pki.certificateToPem(peer),
    };
  }
}
