// The lab pool's registrar: SIP over TLS (node:tls outside, as the pool's HTTPS is) and TLS-DSK inside
// on node-forge (tls-dsk-server.ts), so the client's TLS code and the lab's never meet in the middle.
// It checks what a Front End checks before it answers 200: the client certificate chains to this
// pool's CA *and* was published by this pool's CertProv, From names the certificate's subject, the
// request's signature verifies with the TLS-DSK client key, and epid agrees with +sip.instance. The
// faults it can inject are those phones meet in the field (see faults.ts, stages registrar-tls/register).

import { X509Certificate, randomBytes } from 'node:crypto';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { issueServerCertificate, type IssuedCertificate } from './ca.js';
import { buildTlsDskServerHeader, parseAuthHeader } from '../sip/auth-params.js';
import { sipInstanceFromEpid } from '../sip/epid.js';
import { headerValue, parseNameAddr, serializeSipMessage, takeSipMessage, withHeader, type SipRequest, type SipResponse } from '../sip/message.js';
import { computeSignature, signatureFields, signatureMatches, signatureString } from '../sip/signature.js';
import { TlsDskServerEngine, type TlsDskServerEstablished } from './tls-dsk-server.js';
import type { FaultSet } from './faults.js';
import { siblingHost, type PoolPki } from './pool-pki.js';

export const LAB_REALM = 'SIP Communications Service';
const DAY_MS = 86_400_000;
/** A fatal handshake_failure alert record, TLS 1.0: what a registrar sends when it refuses the inner handshake. */
const HANDSHAKE_FAILURE_ALERT = Buffer.from([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28]);

export interface LabRegistrarOptions {
  host: string;
  port: number;
  pki: PoolPki;
  /** The registrar's name (the SRV target): what the certificate, SNI and targetname carry. */
  registrarFqdn: string;
  /** More names the certificate lists (the option-120 name when it differs). */
  extraNames: readonly string[];
  /** The pool the `registrar-redirect` fault sends phones to (served by this same listener). */
  homePoolFqdn: string;
  /** The option-43 CertProv URL, sent as the challenge's sts-uri. */
  stsUri: string;
  /** Certificates GetAndPublishCert published: SHA-256 fingerprint → SIP URI. */
  published: ReadonlyMap<string, string>;
  currentFaults: () => FaultSet;
  now: () => number;
  log: (line: string) => void;
}

type RegistrarIdentity = 'pool' | 'wildcard' | 'sha1' | 'wrong-name';

function identityFor(faults: FaultSet): RegistrarIdentity {
  if (faults.has('registrar-cert-wildcard')) return 'wildcard';
  if (faults.has('registrar-cert-sha1')) return 'sha1';
  if (faults.has('registrar-cert-wrong-name')) return 'wrong-name';
  return 'pool';
}

interface SecurityAssociation {
  engine: TlsDskServerEngine;
  established?: TlsDskServerEstablished;
  snum: number;
}

export class LabRegistrar {
  private readonly server: tls.Server;
  private readonly certificates = new Map<RegistrarIdentity, IssuedCertificate>();
  private boundPort = 0;
  private readonly sockets = new Set<tls.TLSSocket>();
  /** REGISTERs answered with 200 and not yet signed out: SIP URI → epid. */
  readonly registrations = new Map<string, string>();

  constructor(private readonly options: LabRegistrarOptions) {
    this.server = tls.createServer(this.secureOptions(options.currentFaults()), (socket) => this.serve(socket));
    this.server.on('tlsClientError', () => undefined);
  }

  get port(): number {
    return this.boundPort;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (this.server.address() as AddressInfo).port;
  }

  /** Certificate and protocol floor follow the lab-wide faults (new connections only). */
  applyFaults(faults: FaultSet): void {
    this.server.setSecureContext(this.secureOptions(faults));
  }

  /** Stops listening and drops open connections (a client may keep one open after its last REGISTER). */
  close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    return closed;
  }

  private certificate(identity: RegistrarIdentity): IssuedCertificate {
    let issued = this.certificates.get(identity);
    if (!issued) {
      const { pki, registrarFqdn, homePoolFqdn } = this.options;
      const domain = registrarFqdn.slice(registrarFqdn.indexOf('.') + 1);
      const now = this.options.now();
      const dnsNames =
        identity === 'wildcard' ? [`*.${domain}`] : identity === 'wrong-name' ? [siblingHost(registrarFqdn, 'fe01')] : [...new Set([registrarFqdn, ...this.options.extraNames, homePoolFqdn])];
      issued = issueServerCertificate(pki.ca, {
        publicKey: pki.serverKey.publicKey,
        dnsNames,
        organization: 'bootstrap-test lab pool',
        notBefore: new Date(now - DAY_MS),
        notAfter: new Date(now + 365 * DAY_MS),
        ...(identity === 'sha1' ? { hash: 'sha1' as const } : {}),
      });
      this.certificates.set(identity, issued);
    }
    return issued;
  }

  private keyPem(): string {
    return this.options.pki.serverKey.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  }

  private secureOptions(faults: FaultSet): tls.SecureContextOptions {
    return {
      key: this.keyPem(),
      cert: this.certificate(identityFor(faults)).pem,
      // TLS 1.0 with AES-CBC-SHA is what phones speak; OpenSSL 3 allows it only at security level 0.
      minVersion: faults.has('registrar-tls10-refused') ? 'TLSv1.2' : 'TLSv1',
      ciphers: 'DEFAULT:AES128-SHA:AES256-SHA:@SECLEVEL=0',
    };
  }

  private serve(socket: tls.TLSSocket): void {
    const servername = (socket as tls.TLSSocket & { servername?: string | false }).servername || this.options.registrarFqdn;
    const associations = new Map<string, SecurityAssociation>();
    let buffer: Buffer = Buffer.alloc(0);
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      try {
        for (let taken = takeSipMessage(buffer); taken; taken = takeSipMessage(buffer)) {
          buffer = taken.rest;
          if (taken.message.kind !== 'request') continue;
          const response = this.answer(taken.message, servername, associations);
          this.options.log(`lab sip   ${taken.message.method} ${headerValue(taken.message, 'cseq') ?? ''} (${servername}) -> ${response.status} ${response.reason}`);
          socket.write(serializeSipMessage(response));
        }
      } catch {
        socket.destroy();
      }
    });
  }

  private answer(request: SipRequest, servername: string, associations: Map<string, SecurityAssociation>): SipResponse {
    const faults = this.options.currentFaults();
    if (request.method !== 'REGISTER') return reply(request, 405, 'Method Not Allowed');
    const home = this.options.homePoolFqdn;
    if (faults.has('registrar-redirect') && servername.toLowerCase() !== home) {
      return withHeaders(reply(request, 301, 'Redirect request to Home Server'), [
        ['Contact', `<sip:${home}:${this.boundPort};transport=tls>`],
        ['Expires', '2592000'],
      ]);
    }
    const targetname = faults.has('registrar-wrong-targetname') ? siblingHost(this.options.registrarFqdn, 'fe99') : servername.toLowerCase();
    const realm = faults.has('registrar-wrong-realm') ? 'Wrong Realm' : LAB_REALM;
    const authorization = headerValue(request, 'authorization');
    if (authorization === undefined) {
      const schemes = [`NTLM realm="${LAB_REALM}", targetname="${targetname}", version=4`];
      if (!faults.has('registrar-no-tls-dsk')) schemes.push(`TLS-DSK realm="${realm}", targetname="${targetname}", version=4, sts-uri="${this.options.stsUri}"`);
      return withHeaders(reply(request, 401, 'Unauthorized'), [...schemes.map((value): [string, string] => ['WWW-Authenticate', value]), ['Date', new Date(this.options.now()).toUTCString()]]);
    }
    const params = parseAuthHeader(authorization).params;
    const token = params.get('gssapi-data');
    if (token !== undefined) return this.handshakeLeg(request, params.get('opaque'), token, associations, { realm, targetname });
    const association = associations.get(params.get('opaque') ?? '');
    if (!association?.established) return reply(request, 403, 'Forbidden');
    // The signature is checked against this registrar's own realm and name, whatever the challenge said.
    const signed = signatureString(signatureFields(request, { realm: LAB_REALM, targetname: servername.toLowerCase(), version: 4 }, { rand: params.get('crand') ?? '', num: params.get('cnum') ?? '' }));
    if (!signatureMatches(association.established.keys.clientKey, association.established.mac, signed, params.get('response') ?? '')) {
      return diagnostics(reply(request, 403, 'Forbidden'), '1000;reason="Signature of the request is invalid"', servername);
    }
    const refusal = this.clientCheck(request, association.established, faults);
    if (refusal) return diagnostics(reply(request, 403, 'Forbidden'), refusal, servername);
    if (faults.has('registrar-client-version-blocked')) {
      return withHeaders(diagnostics(reply(request, 403, 'Forbidden'), '17002;reason="Invalid protocol client version."', servername), [['Warning', `312 ${servername} "Client version is blocked"`]]);
    }
    const expires = headerValue(request, 'expires') ?? '7200';
    const user = parseNameAddr(headerValue(request, 'from') ?? '').uri;
    if (expires === '0') this.registrations.delete(user);
    else this.registrations.set(user, /;\s*epid=([^;\s]+)/i.exec(headerValue(request, 'from') ?? '')?.[1] ?? '');
    const ok = withHeaders(reply(request, 200, 'OK'), [['Expires', expires], ['Contact', headerValue(request, 'contact') ?? '']]);
    if (faults.has('registrar-unsigned-200')) return ok;
    return this.signResponse(ok, association, servername.toLowerCase(), params.get('opaque') ?? '', faults.has('registrar-bad-signature'));
  }

  private handshakeLeg(request: SipRequest, opaque: string | undefined, token: string, associations: Map<string, SecurityAssociation>, challenge: { realm: string; targetname: string }): SipResponse {
    const faults = this.options.currentFaults();
    let association = opaque === undefined ? undefined : associations.get(opaque);
    if (!association && opaque !== undefined) return reply(request, 403, 'Forbidden');
    const key = opaque ?? randomBytes(4).toString('hex').toUpperCase();
    if (!association) {
      association = {
        engine: new TlsDskServerEngine({ certificateChainPem: [this.certificate('pool').pem], privateKeyPem: this.keyPem(), clientCaPem: this.options.pki.userIssuersPem() }),
        snum: 0,
      };
      associations.set(key, association);
    }
    let answer: Buffer;
    if (faults.has('registrar-tls-dsk-alert')) answer = HANDSHAKE_FAILURE_ALERT;
    else {
      const step = association.engine.answer(Buffer.from(token, 'base64'));
      answer = step.token;
      if (step.kind === 'token' && step.established) association.established = step.established;
    }
    const header = buildTlsDskServerHeader([['opaque', key], ['gssapi-data', answer.toString('base64')], ['targetname', challenge.targetname], ['realm', challenge.realm], ['version', 4]]);
    return withHeaders(reply(request, 401, 'Unauthorized'), [['WWW-Authenticate', header]]);
  }

  /** Why a Front End would refuse this client, or undefined. */
  private clientCheck(request: SipRequest, established: TlsDskServerEstablished, faults: FaultSet): string | undefined {
    const certificate = new X509Certificate(established.clientCertificatePem);
    const publishedFor = this.options.published.get(certificate.fingerprint256);
    if (publishedFor === undefined || faults.has('registrar-cert-not-published')) return '1000;reason="The client certificate was not published for this user"';
    const from = headerValue(request, 'from') ?? '';
    const subject = /(?:^|\n)CN=([^\n]*)/.exec(certificate.subject)?.[1] ?? '';
    if (parseNameAddr(from).uri.toLowerCase() !== `sip:${subject}`.toLowerCase()) return `1000;reason="From does not match the certificate subject ${subject}"`;
    const epid = /;\s*epid=([^;\s]+)/i.exec(from)?.[1];
    const instance = /\+sip\.instance="<urn:uuid:([^>]+)>"/i.exec(headerValue(request, 'contact') ?? '')?.[1];
    if (epid === undefined || instance === undefined || sipInstanceFromEpid(epid) !== instance.toUpperCase()) return '1000;reason="epid and +sip.instance disagree"';
    return undefined;
  }

  private signResponse(response: SipResponse, association: SecurityAssociation, targetname: string, opaque: string, corrupt: boolean): SipResponse {
    const established = association.established;
    if (!established) return response;
    const srand = randomBytes(4).toString('hex').toUpperCase();
    association.snum += 1;
    const fields = signatureFields(response, { realm: LAB_REALM, targetname, version: 4 }, { rand: srand, num: association.snum });
    const rspauth = computeSignature(established.keys.serverKey, established.mac, signatureString(fields)).toLowerCase();
    const sent = corrupt ? rspauth.replace(/^./, (first) => (first === '0' ? '1' : '0')) : rspauth;
    const info = buildTlsDskServerHeader([['qop', 'auth'], ['opaque', opaque], ['srand', srand], ['snum', String(association.snum)], ['rspauth', sent], ['targetname', targetname], ['realm', LAB_REALM], ['version', 4]]);
    return withHeader(response, 'Authentication-Info', info);
  }
}

function reply(request: SipRequest, status: number, reason: string): SipResponse {
  const to = headerValue(request, 'to') ?? '';
  return {
    kind: 'response',
    status,
    reason,
    headers: [
      ...['Via', 'From', 'Call-ID', 'CSeq'].map((name) => ({ name, value: headerValue(request, name) ?? '' })),
      { name: 'To', value: status >= 200 && status < 300 && !/;\s*tag=/i.test(to) ? `${to};tag=${randomBytes(4).toString('hex')}` : to },
      { name: 'Server', value: 'RTC/6.0 (bootstrap-test lab)' },
    ],
    body: Buffer.alloc(0),
  };
}

function withHeaders(response: SipResponse, headers: ReadonlyArray<readonly [string, string]>): SipResponse {
  return { ...response, headers: [...response.headers, ...headers.map(([name, value]) => ({ name, value }))] };
}

function diagnostics(response: SipResponse, value: string, source: string): SipResponse {
  return withHeaders(response, [['ms-diagnostics', `${value};source="${source}"`]]);
}
