// Sign-in stage register: the phone's REGISTER with TLS-DSK, on one TLS connection to the registrar
// (phone profile): REGISTER without credentials → 401 TLS-DSK challenge → the handshake legs in
// gssapi-data with the issued certificate and the run's private key → signed REGISTER → 200 OK with
// a verified rspauth → signed REGISTER Expires: 0, so the test account is left signed out. One 301
// to another pool is followed (and said). ms-diagnostics headers are reported verbatim.

import { isIP } from 'node:net';
import { CONTENT, observe } from '../diagnosis/observation.js';
import { normaliseName } from '../dns/registrar-lookup.js';
import type { Evidence, StageError } from '../model.js';
import { PHONE_SIP_TLS_PROFILE, SipTlsConnection } from '../sip/connection.js';
import { newEpid } from '../sip/epid.js';
import { headerValues, parseNameAddr, type SipResponse } from '../sip/message.js';
import { newRegisterDialog } from '../sip/register.js';
import { TlsDskError } from '../sip/tls-dsk-client.js';
import { msDiagnostics, tlsDskDeregister, tlsDskRegister, type SipExchange, type TlsDskRegisterResult } from '../sip/tls-dsk-register.js';
import { CLOCK_SKEW_WARN_MS, dateHeaderOffsetMs } from '../time/sources.js';
import { nameLookup } from './name-lookup.js';
import { sipDomainOf } from './sip-domain.js';
import { StageFailure, type RegistrarTarget, type StageContext, type StageOutcome } from './types.js';

/** What the REGISTER says it is; a registrar's client version policy matches on it. */
const USER_AGENT = 'bootstrap-test (Lync Phone Edition sign-in check)';

/** ms-diagnostics ids and Warning codes a registrar uses to refuse a client version ([MS-OCER] 8.16, [MS-SIPREGE] 3.4.2.5). */
const CLIENT_VERSION_DIAGNOSTICS = /^\s*(17002|17003|17004)\b|client version/i;
const CLIENT_VERSION_WARNINGS = /^\s*31[24]\b/;

interface SignInAttempt {
  target: RegistrarTarget | { host: string; address: string; port: number; source: 'redirect' };
  result: TlsDskRegisterResult;
  signedOut?: boolean;
  finishedAtMs: number;
}

function remainingMs(context: StageContext): number {
  return Math.max(1, Math.floor(context.deadline - performance.now()));
}

function tlsDskFailure(error: TlsDskError): StageError {
  if (error.code === 'BT_TLS_DSK_PEER_ALERT') return { observation: observe.content(CONTENT.tlsDskInnerAlert), message: error.message };
  if (error.code === 'BT_TLS_DSK_ABORTED') return { observation: observe.timeout(), message: error.message };
  if (error.code === 'BT_TLS_DSK_LOCAL') return { observation: observe.local('tls-dsk'), message: error.message };
  return { observation: observe.content(CONTENT.tlsDskHandshake), message: `${error.message}${error.nodeCode ? ` (${error.nodeCode})` : ''}` };
}

async function signIn(context: StageContext, target: SignInAttempt['target']): Promise<SignInAttempt> {
  const { state } = context;
  const certificatePem = state.issuedCertificatePem;
  if (!certificatePem || !state.userSipUri || !state.rootChain) throw new Error('register needs the issued certificate, the SIP URI and the root chain');
  const sipDomain = sipDomainOf(context) ?? '';
  const keyPair = await context.keyPair;
  const connection = await SipTlsConnection.open({
    address: target.address,
    port: target.port,
    servername: target.host,
    trustedRootsPem: state.rootChain.pems,
    profile: PHONE_SIP_TLS_PROFILE,
    timeoutMs: remainingMs(context),
    signal: context.signal,
  });
  const peer = `${target.host}:${target.port}`;
  try {
    const send = async (request: Parameters<typeof connection.transact>[0]): Promise<SipResponse> => {
      context.onSipMessage?.({ direction: 'out', message: request, peer, atMs: Math.round(context.clock.elapsedMs()) });
      const response = await connection.transact(request, { timeoutMs: remainingMs(context), signal: context.signal });
      context.onSipMessage?.({ direction: 'in', message: response, peer, atMs: Math.round(context.clock.elapsedMs()) });
      return response;
    };
    const dialog = newRegisterDialog({
      sipUri: state.userSipUri,
      sipDomain,
      localAddress: connection.info.localAddress,
      localPort: connection.info.localPort,
      epid: newEpid(),
      userAgent: USER_AGENT,
    });
    const result = await tlsDskRegister({
      dialog,
      certificatePem,
      privateKeyPem: keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      trustedRootsPem: state.rootChain.pems,
      send,
      signal: context.signal,
    });
    const finishedAtMs = Date.now();
    if (result.outcome.kind !== 'registered') return { target, result, finishedAtMs };
    // The sign-in is proven by now; a sign-out that fails is worth a warning, not a failed stage.
    const signedOut = await tlsDskDeregister(send, dialog, result.outcome.sa, result.outcome.cseq + 1).then(
      (signOut) => signOut.confirmed,
      () => false,
    );
    return { target, result, signedOut, finishedAtMs };
  } catch (error) {
    if (error instanceof TlsDskError) throw new StageFailure(tlsDskFailure(error), { registrar: peer });
    throw error;
  } finally {
    connection.close();
  }
}

/** `<sip:pool02.lab.test:5061;transport=tls>` → host and port (5061 when absent). */
function redirectTarget(contact: string): { host: string; port: number } | undefined {
  const match = /^sips?:(?:[^@]*@)?(\[[^\]]+\]|[^;:>]+)(?::(\d+))?/i.exec(parseNameAddr(contact).uri);
  if (!match) return undefined;
  return { host: normaliseName((match[1] as string).replace(/^\[|\]$/g, '')), port: match[2] ? Number(match[2]) : 5061 };
}

async function followRedirect(context: StageContext, contact: string, evidence: Evidence): Promise<SignInAttempt['target']> {
  const next = redirectTarget(contact);
  if (!next) throw new StageFailure({ observation: observe.content(CONTENT.sip), message: `301 with an unreadable Contact: ${contact}` }, evidence);
  if (isIP(next.host) !== 0) return { ...next, address: next.host, source: 'redirect' };
  const answer = await nameLookup(context)?.ipv4(next.host);
  const address = answer?.records[0];
  if (!address) throw new StageFailure({ observation: observe.dns('registrar-nxdomain'), message: `the pool the registrar redirected to, ${next.host}, does not resolve` }, evidence);
  return { ...next, address, source: 'redirect' };
}

function exchangesEvidence(exchanges: readonly SipExchange[]): string[] {
  return exchanges.map((exchange) => `${exchange.request.method} → ${exchange.response.status} ${exchange.response.reason}`);
}

export async function register(context: StageContext): Promise<StageOutcome> {
  const { state, log } = context;
  const first = state.registrarTarget;
  if (!first) throw new Error('register needs the dns stage\'s registrar');
  let attempt = await signIn(context, first);
  let redirectedFrom: string | undefined;
  const evidence: Evidence = { registrar: `${first.host}:${first.port}` };
  if (attempt.result.outcome.kind === 'redirect') {
    const contact = attempt.result.outcome.contact;
    log.step(`${first.host} redirected the sign-in (${attempt.result.outcome.status}) to ${contact}`);
    redirectedFrom = first.host;
    attempt = await signIn(context, await followRedirect(context, contact, { ...evidence, redirect: contact }));
    evidence.redirectedTo = `${attempt.target.host}:${attempt.target.port}`;
  }
  const { result } = attempt;
  const exchanges = result.exchanges;
  evidence.transactions = exchangesEvidence(exchanges);
  for (const exchange of exchanges) log.detail(`REGISTER CSeq ${exchange.request.headers.find((h) => h.name === 'CSeq')?.value} → ${exchange.response.status} ${exchange.response.reason}`);
  const last = exchanges.at(-1)?.response;
  const diagnostics = last ? msDiagnostics(last) : [];
  const server: Record<string, string> = {};
  if (diagnostics.length > 0) server['ms-diagnostics'] = diagnostics.join(' | ');
  const warnings = last ? headerValues(last, 'warning') : [];
  if (warnings.length > 0) server.warning = warnings.join(' | ');
  const withServer = (error: StageError): StageError => (Object.keys(server).length > 0 ? { ...error, server } : error);

  const outcome = result.outcome;
  switch (outcome.kind) {
    case 'no-tls-dsk':
      throw new StageFailure(withServer({ observation: observe.sip(401), message: `the 401 offers ${outcome.schemes.join(', ') || 'no scheme'}, not TLS-DSK` }), { ...evidence, schemes: outcome.schemes }, { tlsDskOffered: false });
    case 'redirect':
      throw new StageFailure(withServer({ observation: observe.sip(outcome.status), message: `redirected again (to ${outcome.contact}) after following one redirect from ${redirectedFrom}` }), evidence);
    case 'bad-server-signature':
      throw new StageFailure({ observation: observe.content(CONTENT.badServerSignature), message: `the registrar's 200 OK cannot be trusted: ${outcome.detail}` }, evidence);
    case 'refused': {
      const versionBlocked = diagnostics.some((value) => CLIENT_VERSION_DIAGNOSTICS.test(value)) || warnings.some((value) => CLIENT_VERSION_WARNINGS.test(value));
      const message = `${outcome.status} ${outcome.reason} to the ${outcome.phase === 'challenge' ? 'first REGISTER' : outcome.phase === 'handshake' ? 'TLS-DSK handshake' : 'signed REGISTER'}${diagnostics.length > 0 ? `; ms-diagnostics: ${diagnostics.join(' | ')}` : ''}`;
      const observation = versionBlocked ? observe.content(CONTENT.clientVersionBlocked) : observe.sip(outcome.status);
      throw new StageFailure(withServer({ observation, message }), evidence, { tlsDskOffered: true, afterTlsDsk: outcome.phase !== 'challenge' });
    }
    case 'registered':
      break;
  }
  const established = outcome.established;
  Object.assign(evidence, {
    tlsDsk: `${established.protocol} ${established.cipherSuite}`,
    signatureMac: established.mac,
    signedOut: attempt.signedOut === true,
    ...(result.stsUri ? { stsUri: result.stsUri } : {}),
  });
  state.discovered.registrar = { host: attempt.target.host, address: attempt.target.address, port: attempt.target.port, source: attempt.target.source };
  if (attempt.signedOut !== true) log.warn('the registrar did not confirm the sign-out (REGISTER Expires: 0); the test account may stay registered until it expires');

  let warning: StageError | undefined;
  // The 401's Date is the second witness of the clock: against NTP-corrected local time (1 s resolution).
  const dateOffset = result.challengeDate ? dateHeaderOffsetMs(result.challengeDate, attempt.finishedAtMs + (state.clockOffsetMs ?? 0)) : undefined;
  if (dateOffset !== undefined) {
    evidence.sipDateOffsetMs = dateOffset;
    if (Math.abs(dateOffset) > CLOCK_SKEW_WARN_MS) warning = { observation: observe.clock(dateOffset / 1000), message: `the registrar's Date header is ${Math.round(dateOffset / 1000)} s off the NTP time` };
  }
  const stsHost = result.stsUri ? safeHost(result.stsUri) : undefined;
  if (!warning && stsHost && state.webFqdn && stsHost !== state.webFqdn.toLowerCase()) {
    warning = { observation: observe.content(CONTENT.stsUriDiffers), message: `the challenge's sts-uri names ${stsHost}, option 43 names ${state.webFqdn}` };
  }
  if (!warning && redirectedFrom) warning = { observation: observe.content(CONTENT.redirected), message: `${redirectedFrom} redirected the sign-in to ${attempt.target.host}` };
  const summary = `200 OK from ${attempt.target.host} (${established.protocol}, rspauth verified)${redirectedFrom ? ` after a redirect from ${redirectedFrom}` : ''}, signed out: ${attempt.signedOut ? 'yes' : 'no'}`;
  return warning ? { status: 'warn', summary, evidence, warning } : { status: 'pass', summary, evidence };
}

function safeHost(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}
