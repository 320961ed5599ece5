// The SIP side of a TLS-DSK sign-in ([MS-SIPAE] via pidgin-sipe, research notes §4.1): REGISTER →
// 401 challenge → up to three handshake legs carried in gssapi-data → signed REGISTER → signed 200.
// The connection is the caller's: `send` runs one transaction (write the request, read its final
// response) under the caller's deadline, so the register stage decides about sockets and time.

import { buildTlsDskAuthorization, findTlsDskChallenge, offeredSchemes } from './auth-params.js';
import { headerValue, headerValues, type SipRequest, type SipResponse } from './message.js';
import { buildRegister, challengeContext, signRequest, verifyServerSignature, type RegisterDialog, type TlsDskSecurityAssociation } from './register.js';
import { TlsDskClient, type TlsDskEstablished, type TlsDskProfile } from './tls-dsk-client.js';

export type SipTransaction = (request: SipRequest) => Promise<SipResponse>;

/** Handshake legs allowed before the registrar counts as misbehaving (three in every known trace). */
export const MAX_TLS_DSK_LEGS = 3;

export interface TlsDskRegisterInput {
  dialog: RegisterDialog;
  certificatePem: string;
  privateKeyPem: string;
  trustedRootsPem?: string[];
  profile?: TlsDskProfile;
  send: SipTransaction;
  signal?: AbortSignal;
}

export interface SipExchange {
  request: SipRequest;
  response: SipResponse;
}

export type TlsDskRegisterOutcome =
  | { kind: 'registered'; sa: TlsDskSecurityAssociation; established: TlsDskEstablished; cseq: number }
  /** The first 401 offered no TLS-DSK (`registrar-no-tls-dsk`). */
  | { kind: 'no-tls-dsk'; schemes: string[] }
  /** A 301/302 to another pool; the caller follows it once. */
  | { kind: 'redirect'; contact: string; status: number }
  /** A final response other than the expected one, at `phase`. */
  | { kind: 'refused'; phase: 'challenge' | 'handshake' | 'signed-register'; status: number; reason: string }
  /** The 200 to the signed REGISTER was unsigned or its rspauth did not verify. */
  | { kind: 'bad-server-signature'; detail: string };

export interface TlsDskRegisterResult {
  outcome: TlsDskRegisterOutcome;
  /** Every transaction in order, for evidence and --trace (gssapi-data and signatures hold no secret). */
  exchanges: SipExchange[];
  /** The challenge's sts-uri and the 401's Date header, for the sts-uri and clock checks. */
  stsUri?: string;
  challengeDate?: string;
}

function refused(phase: 'challenge' | 'handshake' | 'signed-register', response: SipResponse): TlsDskRegisterOutcome {
  if (response.status === 301 || response.status === 302) {
    const contact = headerValue(response, 'contact');
    if (contact) return { kind: 'redirect', contact, status: response.status };
  }
  return { kind: 'refused', phase, status: response.status, reason: response.reason };
}

export async function tlsDskRegister(input: TlsDskRegisterInput): Promise<TlsDskRegisterResult> {
  const exchanges: SipExchange[] = [];
  let cseq = 0;
  const transact = async (authorization?: string): Promise<SipResponse> => {
    const request = buildRegister(input.dialog, ++cseq, authorization !== undefined ? { authorization } : {});
    const response = await input.send(request);
    exchanges.push({ request, response });
    return response;
  };

  const first = await transact();
  if (first.status !== 401) return { outcome: refused('challenge', first), exchanges };
  const challenge = findTlsDskChallenge(headerValues(first, 'www-authenticate'));
  if (!challenge) return { outcome: { kind: 'no-tls-dsk', schemes: offeredSchemes(headerValues(first, 'www-authenticate')) }, exchanges };
  const base = challengeContext(challenge);
  const stsUri = challenge.params.get('sts-uri');
  const challengeDate = headerValue(first, 'date');
  const extras = { ...(stsUri !== undefined ? { stsUri } : {}), ...(challengeDate !== undefined ? { challengeDate } : {}) };

  const { client, gssapiData } = await TlsDskClient.start({
    certificatePem: input.certificatePem,
    privateKey: input.privateKeyPem,
    targetname: base.targetname,
    ...(input.trustedRootsPem ? { trustedRootsPem: input.trustedRootsPem } : {}),
    ...(input.profile ? { profile: input.profile } : {}),
  });
  try {
    let token = gssapiData;
    let opaque: string | undefined;
    for (let leg = 1; leg <= MAX_TLS_DSK_LEGS; leg++) {
      const response = await transact(
        buildTlsDskAuthorization({ ...(opaque !== undefined ? { opaque } : {}), realm: base.realm, targetname: base.targetname, gssapiData: token, ...(base.version !== undefined ? { version: base.version } : {}) }),
      );
      const next = response.status === 401 ? findTlsDskChallenge(headerValues(response, 'www-authenticate')) : undefined;
      const serverToken = next?.params.get('gssapi-data');
      if (!next || serverToken === undefined) return { outcome: refused('handshake', response), exchanges, ...extras };
      opaque = next.params.get('opaque') ?? opaque;
      const step = await client.step(serverToken, input.signal);
      if (step.kind === 'token') {
        token = step.gssapiData;
        continue;
      }
      if (opaque === undefined) return { outcome: { kind: 'refused', phase: 'handshake', status: 401, reason: 'the registrar never sent an opaque value' }, exchanges, ...extras };
      const sa: TlsDskSecurityAssociation = { ...base, opaque, keys: step.established.keys, mac: step.established.mac, cnum: 0 };
      return { ...(await signedRegister(input, sa, step.established, ++cseq, exchanges)), ...extras };
    }
    return { outcome: { kind: 'refused', phase: 'handshake', status: 401, reason: `no agreement after ${MAX_TLS_DSK_LEGS} legs` }, exchanges, ...extras };
  } finally {
    client.close();
  }
}

async function signedRegister(input: TlsDskRegisterInput, sa: TlsDskSecurityAssociation, established: TlsDskEstablished, cseq: number, exchanges: SipExchange[]): Promise<TlsDskRegisterResult> {
  const signed = signRequest(buildRegister(input.dialog, cseq), sa);
  const response = await input.send(signed.request);
  exchanges.push({ request: signed.request, response });
  if (response.status !== 200) return { outcome: refused('signed-register', response), exchanges };
  const verdict = verifyServerSignature(response, signed.sa);
  if (verdict.kind === 'unsigned') return { outcome: { kind: 'bad-server-signature', detail: '200 OK without Authentication-Info' }, exchanges };
  if (verdict.kind === 'invalid') return { outcome: { kind: 'bad-server-signature', detail: verdict.reason }, exchanges };
  return { outcome: { kind: 'registered', sa: signed.sa, established, cseq }, exchanges };
}

/** The signed `Expires: 0` REGISTER that leaves the test account signed out; true when the registrar confirmed it. */
export async function tlsDskDeregister(send: SipTransaction, dialog: RegisterDialog, sa: TlsDskSecurityAssociation, cseq: number): Promise<{ confirmed: boolean; exchange: SipExchange }> {
  const signed = signRequest(buildRegister(dialog, cseq, { expires: 0 }), sa);
  const response = await send(signed.request);
  return { confirmed: response.status === 200 && verifyServerSignature(response, signed.sa).kind === 'valid', exchange: { request: signed.request, response } };
}

/** `ms-diagnostics` values of a response, verbatim (the stage maps the known ids). */
export function msDiagnostics(response: SipResponse): string[] {
  return headerValues(response, 'ms-diagnostics');
}
