// The REGISTER requests of a TLS-DSK sign-in and the checks on the registrar's signed answers.
// Pure: the register stage owns the connection, the deadlines and the transaction loop.

import { randomBytes } from 'node:crypto';
import { buildTlsDskAuthorization, parseAuthHeader, type AuthChallenge } from './auth-params.js';
import { sipInstanceParam } from './epid.js';
import { headerValue, withHeader, type SipMessage, type SipRequest } from './message.js';
import { computeSignature, signatureFields, signatureMatches, signatureString, type SignatureMac } from './signature.js';
import type { TlsDskKeys } from './tls-dsk-keys.js';

/** What stays the same for every REGISTER of one sign-in ([MS-SIPAE] same Call-ID, CSeq +1). */
export interface RegisterDialog {
  /** `sip:jeff@lab.test` — must match the certificate's CN. */
  sipUri: string;
  sipDomain: string;
  /** Our end of the TLS connection, for Via and Contact. */
  localAddress: string;
  localPort: number;
  callId: string;
  fromTag: string;
  epid: string;
  userAgent: string;
}

export function newRegisterDialog(fields: Omit<RegisterDialog, 'callId' | 'fromTag'>): RegisterDialog {
  return { ...fields, callId: randomBytes(16).toString('hex'), fromTag: randomBytes(4).toString('hex') };
}

const CONTACT_METHODS = 'INVITE, MESSAGE, INFO, SUBSCRIBE, OPTIONS, BYE, CANCEL, NOTIFY, ACK, REFER, BENOTIFY';

/** One REGISTER as pidgin-sipe shapes it; `expires` 0 signs out. */
export function buildRegister(dialog: RegisterDialog, cseq: number, options: { expires?: number; authorization?: string } = {}): SipRequest {
  const host = dialog.localAddress.includes(':') ? `[${dialog.localAddress}]` : dialog.localAddress;
  const headers = [
    { name: 'Via', value: `SIP/2.0/TLS ${host}:${dialog.localPort};branch=z9hG4bK${randomBytes(6).toString('hex')};rport` },
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: `<${dialog.sipUri}>;tag=${dialog.fromTag};epid=${dialog.epid}` },
    { name: 'To', value: `<${dialog.sipUri}>` },
    { name: 'Call-ID', value: dialog.callId },
    { name: 'CSeq', value: `${cseq} REGISTER` },
    {
      name: 'Contact',
      value: `<sip:${host}:${dialog.localPort};transport=tls;ms-opaque=${randomBytes(5).toString('hex')}>;methods="${CONTACT_METHODS}";proxy=replace;+sip.instance=${sipInstanceParam(dialog.epid)}`,
    },
    { name: 'User-Agent', value: dialog.userAgent },
    { name: 'Supported', value: 'gruu-10, adhoclist, msrtc-event-categories, com.microsoft.msrtc.presence' },
    { name: 'Event', value: 'registration' },
    { name: 'Allow-Events', value: 'presence' },
    { name: 'ms-keep-alive', value: 'UAC;hop-hop=yes' },
    ...(options.expires !== undefined ? [{ name: 'Expires', value: String(options.expires) }] : []),
    ...(options.authorization !== undefined ? [{ name: 'Authorization', value: options.authorization }] : []),
  ];
  return { kind: 'request', method: 'REGISTER', uri: `sip:${dialog.sipDomain}`, headers, body: Buffer.alloc(0) };
}

/** The security association after the handshake: what signs and verifies every later message. */
export interface TlsDskSecurityAssociation {
  realm: string;
  targetname: string;
  opaque: string;
  version?: number;
  keys: TlsDskKeys;
  mac: SignatureMac;
  /** The last cnum used; the next signed request uses cnum + 1. */
  cnum: number;
}

/** The realm/targetname/version of a TLS-DSK challenge, with opaque once the server has sent one. */
export function challengeContext(challenge: AuthChallenge): { realm: string; targetname: string; opaque?: string; version?: number } {
  const version = challenge.params.get('version');
  const opaque = challenge.params.get('opaque');
  return {
    realm: challenge.params.get('realm') ?? '',
    targetname: challenge.params.get('targetname') ?? '',
    ...(opaque !== undefined ? { opaque } : {}),
    ...(version !== undefined && /^\d+$/.test(version) ? { version: Number(version) } : {}),
  };
}

/** Sign `request` with the client key and add its Authorization; returns the request and the new SA state. */
export function signRequest(request: SipRequest, sa: TlsDskSecurityAssociation, crand: string = randomBytes(4).toString('hex')): { request: SipRequest; sa: TlsDskSecurityAssociation } {
  const cnum = sa.cnum + 1;
  const context = { realm: sa.realm, targetname: sa.targetname, ...(sa.version !== undefined ? { version: sa.version } : {}) };
  const response = computeSignature(sa.keys.clientKey, sa.mac, signatureString(signatureFields(request, context, { rand: crand, num: cnum })));
  const authorization = buildTlsDskAuthorization({
    opaque: sa.opaque,
    realm: sa.realm,
    targetname: sa.targetname,
    ...(sa.version !== undefined ? { version: sa.version } : {}),
    crand,
    cnum,
    response,
  });
  return { request: withHeader(request, 'Authorization', authorization), sa: { ...sa, cnum } };
}

export type ServerSignature =
  | { kind: 'unsigned' }
  | { kind: 'valid'; srand: string; snum: string }
  | { kind: 'invalid'; reason: string };

/**
 * Check the registrar's `Authentication-Info` against the server key ([MS-SIPAE] 3.2.5.2). A 200 to a
 * signed REGISTER must be `valid`; the stage decides what `unsigned` means for other responses.
 */
export function verifyServerSignature(message: SipMessage, sa: TlsDskSecurityAssociation): ServerSignature {
  const header = headerValue(message, 'authentication-info');
  if (header === undefined) return { kind: 'unsigned' };
  const info = parseAuthHeader(header);
  const srand = info.params.get('srand');
  const snum = info.params.get('snum');
  const rspauth = info.params.get('rspauth');
  if (info.scheme.toUpperCase() !== 'TLS-DSK') return { kind: 'invalid', reason: `Authentication-Info uses scheme ${info.scheme}, not TLS-DSK` };
  if (srand === undefined || snum === undefined || rspauth === undefined) return { kind: 'invalid', reason: 'Authentication-Info lacks srand, snum or rspauth' };
  const context = { realm: sa.realm, targetname: sa.targetname, ...(sa.version !== undefined ? { version: sa.version } : {}) };
  const signed = signatureString(signatureFields(message, context, { rand: srand, num: snum }));
  return signatureMatches(sa.keys.serverKey, sa.mac, signed, rspauth) ? { kind: 'valid', srand, snum } : { kind: 'invalid', reason: 'rspauth does not verify with the server key' };
}
