// Sign-in stage registrar-tls: TCP and TLS to the registrar the dns stage chose, first as the phone
// does (TLS 1.0, AES-CBC-SHA, trust = only the downloaded root chain, SNI = the name), then, when
// that handshake fails, with a current profile, to tell "TLS 1.0 refused" from "bad certificate".
// The presented certificate is checked against every name a phone may use (option 120, SRV
// target), for wildcard entries, SHA-1-signed chain members, expiry and days left.

import { CONTENT, observe } from '../diagnosis/observation.js';
import { TransportError, TlsVerifyError } from '../net/errors.js';
import type { Evidence, StageError } from '../model.js';
import { MODERN_SIP_TLS_PROFILE, PHONE_SIP_TLS_PROFILE, SipTlsConnection, type SipTlsProfile } from '../sip/connection.js';
import { inspectRegistrarCertificate } from '../sip/registrar-certificate.js';
import { StageFailure, type StageContext, type StageOutcome } from './types.js';

/** Days of validity below which the certificate is worth a warning. */
const DAYS_LEFT_WARNING = 30;

async function probe(context: StageContext, profile: SipTlsProfile): Promise<SipTlsConnection> {
  const { state } = context;
  const target = state.registrarTarget;
  if (!target || !state.rootChain) throw new Error('registrar-tls needs the dns stage\'s registrar and the root chain');
  return SipTlsConnection.open({
    address: target.address,
    port: target.port,
    servername: target.host,
    trustedRootsPem: state.rootChain.pems,
    profile,
    timeoutMs: Math.max(1, Math.floor(context.deadline - performance.now())),
    signal: context.signal,
  });
}

/** A failed phone-profile handshake that a modern profile may get past (not a refused port, not a certificate verdict). */
function isHandshakeRefusal(error: unknown): boolean {
  return error instanceof TransportError && (error.code === 'BT_TLS_ALERT' || error.code === 'BT_TLS_CLOSED' || error.code === 'BT_CONNECTION_RESET');
}

export async function registrarTls(context: StageContext): Promise<StageOutcome> {
  const { state, log } = context;
  const target = state.registrarTarget;
  if (!target) throw new Error('registrar-tls needs the dns stage\'s registrar');
  const where = `${target.host} (${target.address}:${target.port})`;
  let connection: SipTlsConnection;
  try {
    connection = await probe(context, PHONE_SIP_TLS_PROFILE);
  } catch (phoneError) {
    if (!isHandshakeRefusal(phoneError)) throw phoneError;
    log.step(`${where}: the phone profile (TLS 1.0) handshake failed: ${(phoneError as Error).message}; trying TLS 1.2+`);
    let modern: SipTlsConnection;
    try {
      modern = await probe(context, MODERN_SIP_TLS_PROFILE);
    } catch (modernError) {
      log.step(`${where}: TLS 1.2+ failed as well: ${(modernError as Error).message}`);
      // Both failed. A certificate verdict from the modern handshake names the cause a phone cannot
      // see past; otherwise the phone profile's own failure is what a phone meets.
      throw modernError instanceof TlsVerifyError ? modernError : phoneError;
    }
    const protocol = modern.info.protocol;
    modern.close();
    throw new StageFailure(
      { observation: observe.tlsAlert(70), message: `${where} refuses TLS 1.0 (the phone profile) but accepts ${protocol}` },
      { host: target.host, address: target.address, port: target.port, phoneProfile: 'refused', modernProfile: protocol },
      { legacyTlsProfile: true },
    );
  }
  const { info } = connection;
  connection.close();
  log.step(`${where}: ${info.protocol} ${info.cipherSuite} with the phone profile`);

  const names = [target.host, ...(state.registrarFqdn ? [state.registrarFqdn] : [])];
  const findings = inspectRegistrarCertificate(info.chain, names, context.clock.now().getTime());
  log.detail(`Registrar certificate: ${findings.subject.replace(/\n/g, ', ')}; issuer ${findings.issuer.replace(/\n/g, ', ')}; DNS names ${findings.dnsNames.join(', ') || '(none)'}; until ${findings.notAfter} (${findings.daysLeft} days)`);
  const evidence: Evidence = {
    host: target.host,
    address: target.address,
    port: target.port,
    protocol: info.protocol,
    cipherSuite: info.cipherSuite,
    subject: findings.subject.replace(/\n/g, ', '),
    dnsNames: findings.dnsNames,
    notAfter: findings.notAfter,
    daysLeft: findings.daysLeft,
    ...(findings.wildcardNames.length > 0 ? { wildcardNames: findings.wildcardNames } : {}),
    ...(findings.sha1Signed.length > 0 ? { sha1Signed: findings.sha1Signed.map((subject) => subject.replace(/\n/g, ', ')) } : {}),
  };
  const uncovered = findings.nameChecks.filter((check) => !check.covered).map((check) => check.name);
  if (uncovered.length > 0) {
    throw new StageFailure({ observation: observe.content(CONTENT.registrarCertName), message: `the registrar certificate does not name ${uncovered.join(', ')}` }, evidence);
  }
  if (findings.wildcardNames.length > 0) {
    throw new StageFailure({ observation: observe.content(CONTENT.registrarCertWildcard), message: `the registrar certificate names ${findings.wildcardNames.join(', ')}; Lync Phone Edition refuses wildcards` }, evidence);
  }
  let warning: StageError | undefined;
  if (findings.sha1Signed.length > 0) {
    warning = { observation: observe.content(CONTENT.registrarCertSha1), message: `signed with SHA-1: ${evidence.sha1Signed}` };
  } else if (findings.daysLeft < DAYS_LEFT_WARNING) {
    log.warn(`the registrar certificate expires in ${findings.daysLeft} days`);
  }
  const summary = `${info.protocol} ${info.cipherSuite}, ${findings.dnsNames[0] ?? findings.subject}, ${findings.daysLeft} days left`;
  return warning ? { status: 'warn', summary, evidence, warning } : { status: 'pass', summary, evidence };
}
