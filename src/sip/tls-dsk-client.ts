// The client side of the TLS-DSK handshake ([MS-SIPAE] 3.2.5.1): node:tls runs over a FlightPipe, and
// each flight it writes becomes one `gssapi-data` token for the next REGISTER; each token from a 401
// is fed back in. When the handshake completes, the signing keys come from the RFC 5705 exporter,
// which for TLS-DSK's label equals the key block of the specification. The TLS socket never touches
// the network; the SIP transport carries its bytes.

import { checkServerIdentity, connect, type PeerCertificate, type SecureVersion, type TLSSocket } from 'node:tls';
import { constants, type KeyObject, type X509Certificate } from 'node:crypto';
import { FlightPipe } from './flight-pipe.js';
import { decodeGssapiData, encodeGssapiData, findAlert } from './gssapi.js';
import { macForCipherSuite, type SignatureMac } from './signature.js';
import { splitTlsDskKeyBlock, TLS_DSK_EXPORTER_LABEL, TLS_DSK_KEY_BLOCK_LENGTH, type TlsDskKeys } from './tls-dsk-keys.js';
import { BootstrapTestError, type ErrorCode } from '../errors.js';

/** OpenSSL 3's SSL_OP_NO_EXTENDED_MASTER_SECRET; Node 20 does not export it. sipe offers no EMS. */
const SSL_OP_NO_EXTENDED_MASTER_SECRET = 0x1;

export interface TlsDskProfile {
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
  ciphers: string;
}

/**
 * What a phone and pidgin-sipe speak inside TLS-DSK: TLS 1.0, RSA key exchange, AES-CBC-SHA.
 * SECLEVEL 0 is needed for TLS 1.0's MD5+SHA-1 CertificateVerify under OpenSSL 3.
 */
export const PHONE_TLS_DSK_PROFILE: TlsDskProfile = { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'AES128-SHA:AES256-SHA:@SECLEVEL=0' };

/** Current servers (SfB 2019, Online) negotiate TLS 1.2 inside TLS-DSK; TLS 1.3 has no such exporter use. */
export const MODERN_TLS_DSK_PROFILE: TlsDskProfile = {
  minVersion: 'TLSv1',
  maxVersion: 'TLSv1.2',
  ciphers: 'AES256-SHA256:AES128-SHA256:AES256-GCM-SHA384:AES128-GCM-SHA256:AES128-SHA:AES256-SHA:@SECLEVEL=0',
};

export interface TlsDskClientOptions {
  /** The issued user certificate (GetAndPublishCert) and the CSR's private key. */
  certificatePem: string;
  privateKey: KeyObject | string;
  /** The downloaded root chain; when given, the inner server certificate must chain to it and name `targetname`. */
  trustedRootsPem?: string[];
  /** The challenge's `targetname` (the Front End FQDN). */
  targetname: string;
  profile?: TlsDskProfile;
}

export interface TlsDskEstablished {
  keys: TlsDskKeys;
  /** The HMAC for message signatures, from the negotiated suite's MAC. */
  mac: SignatureMac;
  protocol: string;
  cipherSuite: string;
  serverCertificate?: X509Certificate;
}

export type TlsDskStep = { kind: 'token'; gssapiData: string } | { kind: 'established'; established: TlsDskEstablished };

export type TlsDskErrorCode = Extract<
  ErrorCode,
  /** The tool could not set up its TLS engine (cipher string, key): a local problem. */
  | 'BT_TLS_DSK_LOCAL'
  /** The registrar's token carried a TLS alert. */
  | 'BT_TLS_DSK_PEER_ALERT'
  /** Our TLS engine rejected the registrar's flight (bad certificate, protocol error). */
  | 'BT_TLS_DSK_HANDSHAKE'
  /** The negotiated suite has no MAC we can sign with, or no keys could be exported. */
  | 'BT_TLS_DSK_UNUSABLE'
  | 'BT_TLS_DSK_ABORTED'
>;

export class TlsDskError extends BootstrapTestError {
  declare readonly code: TlsDskErrorCode;

  constructor(
    code: TlsDskErrorCode,
    message: string,
    /** The TLS alert description when one was seen, e.g. 40 handshake_failure. */
    readonly alert?: number,
    /** Node's error code (ERR_SSL_…, UNABLE_TO_VERIFY_LEAF_SIGNATURE, ERR_TLS_CERT_ALTNAME_INVALID …). */
    readonly nodeCode?: string,
  ) {
    super(code, message);
  }
}

function handshakeError(error: NodeJS.ErrnoException): TlsDskError {
  const alert = /alert number (\d+)/.exec(error.message)?.[1];
  return new TlsDskError('BT_TLS_DSK_HANDSHAKE', `TLS-DSK handshake failed: ${error.message}`, alert ? Number(alert) : undefined, error.code);
}

export class TlsDskClient {
  private established: TlsDskEstablished | undefined;
  private failure: TlsDskError | undefined;
  private readonly settled: Promise<void>;

  private constructor(
    private readonly socket: TLSSocket,
    private readonly pipe: FlightPipe,
  ) {
    this.settled = new Promise<void>((resolve) => {
      socket.once('secureConnect', () => {
        try {
          this.established = this.readEstablished();
        } catch (caught) {
          this.failure = caught as TlsDskError;
        }
        resolve();
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        this.failure ??= handshakeError(error);
        resolve();
      });
    });
  }

  /** Start the handshake; resolves with the client and the ClientHello token for the first Authorization. */
  static async start(options: TlsDskClientOptions): Promise<{ client: TlsDskClient; gssapiData: string }> {
    const profile = options.profile ?? PHONE_TLS_DSK_PROFILE;
    const pipe = new FlightPipe();
    const verify = options.trustedRootsPem !== undefined;
    let socket: TLSSocket;
    try {
      socket = connect({
        socket: pipe,
        cert: options.certificatePem,
        key: typeof options.privateKey === 'string' ? options.privateKey : options.privateKey.export({ type: 'pkcs8', format: 'pem' }),
        ...(verify ? { ca: options.trustedRootsPem } : {}),
        rejectUnauthorized: verify,
        // No SNI, as pidgin-sipe's hello has no extensions; the name check is against targetname.
        checkServerIdentity: (_host: string, certificate: PeerCertificate) => checkServerIdentity(options.targetname, certificate),
        minVersion: profile.minVersion,
        maxVersion: profile.maxVersion,
        ciphers: profile.ciphers,
        // Phones and pidgin-sipe send no extensions, so they accept registrars without RFC 5746
        // renegotiation_info; TLS-DSK never renegotiates, so accepting them costs no protection.
        secureOptions:
          constants.SSL_OP_NO_TICKET | constants.SSL_OP_NO_ENCRYPT_THEN_MAC | SSL_OP_NO_EXTENDED_MASTER_SECRET | constants.SSL_OP_LEGACY_SERVER_CONNECT,
      });
    } catch (caught) {
      throw new TlsDskError('BT_TLS_DSK_LOCAL', `cannot set up the TLS-DSK engine: ${(caught as Error).message}`, undefined, (caught as NodeJS.ErrnoException).code);
    }
    const client = new TlsDskClient(socket, pipe);
    const first = await client.nextStep();
    if (first.kind !== 'token') throw new TlsDskError('BT_TLS_DSK_HANDSHAKE', 'TLS-DSK handshake completed before the server spoke');
    return { client, gssapiData: first.gssapiData };
  }

  /** Feed the registrar's token; resolves with our next token, or the keys once the handshake is done. */
  async step(serverGssapiData: string, signal?: AbortSignal): Promise<TlsDskStep> {
    const token = decodeGssapiData(serverGssapiData);
    const alert = findAlert(token);
    if (alert) {
      this.close();
      const description = alert.description === undefined ? 'an encrypted alert' : `alert ${alert.description}`;
      throw new TlsDskError('BT_TLS_DSK_PEER_ALERT', `the registrar answered the TLS-DSK handshake with ${description}`, alert.description);
    }
    this.pipe.deliver(token);
    return this.nextStep(signal);
  }

  /** Drop the TLS engine; the keys already handed out stay valid. */
  close(): void {
    this.socket.destroy();
  }

  private async nextStep(signal?: AbortSignal): Promise<TlsDskStep> {
    const aborted = new Promise<never>((_, reject) => {
      if (!signal) return;
      const fail = (): void => reject(new TlsDskError('BT_TLS_DSK_ABORTED', 'TLS-DSK handshake stopped at the stage deadline'));
      if (signal.aborted) fail();
      else signal.addEventListener('abort', fail, { once: true });
    });
    aborted.catch(() => undefined);
    const outcome = await Promise.race([this.pipe.nextFlight().then((flight) => ({ flight })), this.settled.then(() => ({ flight: undefined })), aborted]);
    // Our own alert flight precedes the socket's error event: wait for the error, it carries the reason.
    if (outcome.flight && findAlert(outcome.flight)) await Promise.race([this.settled, aborted]);
    if (this.failure) {
      this.close();
      throw this.failure;
    }
    if (outcome.flight && !findAlert(outcome.flight)) return { kind: 'token', gssapiData: encodeGssapiData(outcome.flight) };
    if (this.established) {
      this.close();
      return { kind: 'established', established: this.established };
    }
    throw new TlsDskError('BT_TLS_DSK_HANDSHAKE', 'TLS-DSK engine stopped without finishing the handshake');
  }

  private readEstablished(): TlsDskEstablished {
    const cipher = this.socket.getCipher();
    const mac = macForCipherSuite(cipher.standardName);
    if (!mac) throw new TlsDskError('BT_TLS_DSK_UNUSABLE', `negotiated suite ${cipher.standardName} has no MAC to sign SIP messages with`);
    // No context argument: with one (even empty) RFC 5705 mixes it into the seed and the keys differ.
    // @types/node marks it required; Node itself treats it as optional.
    const exportWithoutContext = this.socket.exportKeyingMaterial as unknown as (length: number, label: string) => Buffer;
    const block = exportWithoutContext.call(this.socket, TLS_DSK_KEY_BLOCK_LENGTH, TLS_DSK_EXPORTER_LABEL);
    const serverCertificate = this.socket.getPeerX509Certificate();
    return {
      keys: splitTlsDskKeyBlock(block),
      mac,
      protocol: this.socket.getProtocol() ?? 'unknown',
      cipherSuite: cipher.standardName,
      ...(serverCertificate ? { serverCertificate } : {}),
    };
  }
}
