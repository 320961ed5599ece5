// Stage 7, certificate: GetAndPublishCert with the second ticket. The RSA key was started with the
// run, so its cost overlapped the network stages; the CSR names the user; the returned certificate
// is checked the way a registrar will (key, subject, validity, signature against the CA the response
// names). Its issuer is reported: a pool's internal CA that does not chain to the downloaded root is a note.

import { X509Certificate } from 'node:crypto';
import { CONTENT, observe } from '../diagnosis/observation.js';
import { certificateInfo } from '../pki/certs.js';
import { createCsr } from '../pki/csr.js';
import { KEY_SOURCE_TEXT } from '../pki/keys.js';
import { verifyIssuedCertificate } from '../pki/verify.js';
import { buildGetAndPublishCertRequest, newDeviceId, parseGetAndPublishCertResponse } from '../soap/services/certprov.js';
import { contentFailure, httpFailure, soapFaultFailure } from './exchange.js';
import { callWithProof, proofKeyEvidence } from './ticket-client.js';
import { StageFailure, type StageContext, type StageOutcome } from './types.js';

export async function certificate(context: StageContext): Promise<StageOutcome> {
  const { state, log } = context;
  const proof = state.certProv;
  if (!proof || !state.secondTicket || !state.userSipUri || !state.rootChain) {
    throw new Error('certificate needs the proof address, the second ticket, the SIP URI and the root chain');
  }
  const entity = state.userSipUri.replace(/^sip:/i, '');
  const waitStarted = context.clock.elapsedMs();
  const keyPair = await context.keyPair;
  const waitedMs = Math.round(context.clock.elapsedMs() - waitStarted);
  log.detail(`RSA 2048 key generated in ${keyPair.generatedInMs} ms ${KEY_SOURCE_TEXT[keyPair.source]} (waited ${waitedMs} ms for it here)`);
  const csr = createCsr({ keyPair, commonName: entity, hash: context.options.csrHash });
  log.detail(`Certificate request: CN=${entity}, RSA 2048, signed with ${context.options.csrHash.toUpperCase()}`);

  const deviceId = newDeviceId();
  state.discovered.deviceId = deviceId;
  log.step(`Requesting certificate for User:${entity} EndpointID:${deviceId}`);
  const response = await callWithProof(context, state.secondTicket, {
    operation: 'GetAndPublishCert',
    build: (security, action, soapVersion) =>
      buildGetAndPublishCertRequest({ to: proof.proofAddress, action, security, entity, csrDer: csr.der, deviceId, soapVersion }),
    oversizedAs: CONTENT.noCertificate,
  });
  const evidence = { url: proof.proofUrl, deviceId, user: entity, csrHash: context.options.csrHash, ...proofKeyEvidence(context, state.secondTicket) };
  const parsed = parseGetAndPublishCertResponse(response.text);
  if (parsed.kind === 'fault') throw soapFaultFailure(parsed.fault, response, evidence);
  if (parsed.kind === 'error-info') {
    const code = parsed.code ?? 'unknown';
    const server: Record<string, string> = { ErrorInfo: code };
    if (parsed.text) server.text = parsed.text;
    throw new StageFailure(
      {
        observation: observe.errorInfo(code),
        message: `GetAndPublishCert answered ErrorInfo ${code}${parsed.text ? `: "${parsed.text}"` : ''} (HTTP ${response.status})`,
        server,
      },
      { ...evidence, status: response.status },
    );
  }
  if (response.status !== 200) throw httpFailure(response, evidence);
  if (parsed.kind !== 'certificate') {
    const detail = parsed.kind === 'no-certificate' ? parsed.detail : parsed.reason;
    throw contentFailure(CONTENT.noCertificate, `GetAndPublishCert answered 200 without a readable certificate: ${detail}`, evidence);
  }
  log.step('GetAndPublishCert() webservice call successful');

  let issued: X509Certificate;
  try {
    issued = new X509Certificate(parsed.certificateDer);
  } catch (error) {
    throw contentFailure(CONTENT.noCertificate, `the returned certificate is not X.509 DER: ${(error as Error).message}`, evidence);
  }
  const info = certificateInfo(issued);
  state.issuedCertificatePem = issued.toString();
  state.discovered.issuedCertificate = info;
  log.detail(`Issued certificate: subject ${info.subject}; issuer ${info.issuer}; serial ${info.serialNumber}; valid ${info.notBefore} .. ${info.notAfter}`);

  const verdict = verifyIssuedCertificate({
    certificate: issued,
    expectedPublicKey: keyPair.publicKey,
    user: entity,
    roots: state.rootChain.certificates,
    responseCertificates: parsed.chain ?? [],
    now: context.clock.now(),
  });
  for (const note of verdict.notes) log.detail(note);
  const certEvidence = {
    ...evidence,
    subject: info.subject,
    issuer: info.issuer,
    issuerCheck: verdict.issuerCheck,
    serial: info.serialNumber,
    notAfter: info.notAfter,
  };
  if (!verdict.ok) {
    const message = verdict.failures.map((failure) => failure.message).join('; ');
    const problems = verdict.failures.map((failure) => failure.code);
    throw new StageFailure(
      { observation: observe.certificateInvalid(problems), message: `the issued certificate would not be accepted: ${message}` },
      { ...certEvidence, failures: problems },
    );
  }
  const issuerNote = verdict.issuerCheck === 'downloaded-root' ? '' : ' (pool CA, outside the downloaded root chain)';
  const summary = `${info.subject}, issued by ${info.issuer}${issuerNote}, serial ${info.serialNumber}, until ${info.notAfter}`;
  const warning = verdict.warnings[0];
  if (warning) {
    for (const item of verdict.warnings) log.warn(item.message);
    return {
      status: 'warn',
      summary,
      evidence: certEvidence,
      warning: { observation: observe.content(CONTENT.certificateShortValidity), message: warning.message },
    };
  }
  return { status: 'pass', summary, evidence: certEvidence };
}
