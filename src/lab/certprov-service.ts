// CertProvisioningService of the lab pool: the anonymous root-chain download (port 80 role), the
// metadata naming the WebTicketProof port, and the two operations behind that port, ResolveUser and
// GetAndPublishCert, which only run after the web-ticket proof has been verified.

import { buildEnvelope, parseEnvelope } from '../soap/envelope.js';
import { ACTION_GET_AND_PUBLISH_CERT, ACTION_GET_ROOT_CERT_CHAIN, OCS_AUTH } from '../soap/namespaces.js';
import type { ProofVerdict } from './wire/proof.js';
import { entityOf } from '../soap/services/certprov.js';
import { buildErrorInfoResponse, buildGetAndPublishCertResponse, readGetAndPublishCertRequest } from './wire/certprov.js';
import { buildMexDocument, issuedTokenPolicy, type MexPortSpec } from './wire/mex.js';
import { buildResolveUserResponse, readResolveUserRequest } from './wire/resolve-user.js';
import { buildRootChainResponse, readRootChainRequest } from './wire/root-chain.js';
import { buildPkcs7CertsOnly } from './wire/pkcs7.js';
import { issueUserCertificate, publicKeyPemOf, readCertificateRequest, type CertificateAuthority } from './ca.js';
import { serverNow, type PoolContext } from './context.js';
import { child, textOf } from '../soap/xml.js';
import type { LabEndpoint } from './faults.js';
import type { LabRequest, LabResponse } from './http-server.js';
import { ticketAudienceProblem, type IssuedTicket } from './tickets.js';
import { AUTH_ERRORS, authFault, clientFault, soapReply, type ReplyContext } from './replies.js';
import { quoteText } from '../text.js';

/** [MS-OCAUTHWS] leaves the CSR key limits to the server configuration (MinCSRKeySize/MaxCSRKeySize). */
const CSR_KEY_BITS = { min: 1024, max: 16384 } as const;

/** ErrorInfo codes are not public; the lab's are names that say what went wrong. */
export const ERROR_INFO = {
  dataStoreUnavailable: { code: 'DataStoreUnavailable', text: "The user's home pool data store is unavailable; the certificate was not published." },
  invalidRequest: { code: 'InvalidRequest', text: 'The certificate request could not be read.' },
  invalidCsr: { code: 'InvalidCertificateRequest', text: 'The PKCS#10 request is not valid.' },
  csrSignature: { code: 'InvalidCertificateRequestSignature', text: 'The PKCS#10 request is not signed by its own key.' },
  keySize: { code: 'KeySizeOutOfRange', text: `The requested key size is outside ${CSR_KEY_BITS.min}..${CSR_KEY_BITS.max} bits.` },
  entityMismatch: { code: 'EntityMismatch', text: 'The Entity does not match the user of the web ticket.' },
} as const;

// ---- the anonymous chain download ---------------------------------------------------------------

export function rootChain(context: PoolContext, request: LabRequest): LabResponse {
  const reply: ReplyContext = { serverFqdn: context.fqdn, endpoint: 'rootchain', action: 'GetRootCertChain' };
  const { faults } = request;
  if (faults.has('chain-redirect-https') && request.role === 'http') {
    return {
      kind: 'reply',
      status: 302,
      headers: { location: context.urls.certProv, 'content-type': 'text/html' },
      body: '<html><body>Object moved</body></html>',
      action: 'GetRootCertChain',
      endpoint: 'rootchain',
      result: 'redirected to https (chain-redirect-https)',
    };
  }
  if (faults.has('chain-http-503')) {
    return { kind: 'reply', status: 503, headers: { 'content-type': 'text/html' }, body: '<h1>Service Unavailable</h1>', action: 'GetRootCertChain', endpoint: 'rootchain', result: 'chain-http-503' };
  }
  const read = readRootChainRequest({ method: request.method, url: request.path, headers: request.headers, body: request.body });
  if (!read.ok && read.malformed) {
    return clientFault(reply, 's:Client', `The request is not a well-formed SOAP message: ${read.reason}`, 400, 'malformed request');
  }
  const expected = certProvActions(context).GetRootCertChain;
  if (read.ok && read.variant === 'soap' && expected !== ACTION_GET_ROOT_CERT_CHAIN && soapActionOf(request) !== expected) {
    // WCF dispatches by action only: a contract whose actions are derived refuses the documented one.
    return clientFault(reply, 'wsa:ActionNotSupported', `The action "${quoteText(soapActionOf(request) ?? '')}" is not supported at this endpoint.`, 500, 'unknown action');
  }
  const served = context.variants.rootChainVariant;
  if (!read.ok || (served !== 'any' && read.variant !== served)) {
    const why = read.ok ? `variant "${read.variant}" is not served (serving "${served}")` : read.reason;
    if (request.method === 'GET') {
      return { kind: 'reply', status: 404, headers: { 'content-type': 'text/html' }, body: '<h1>404 Not Found</h1>', action: 'GetRootCertChain', endpoint: 'rootchain', result: `not found: ${why}` };
    }
    return clientFault(reply, 'wsa:ActionNotSupported', `The message cannot be processed at this endpoint: ${why}`, 500, why);
  }
  const disabled = faults.has('chain-download-disabled');
  const certificates = disabled ? [] : context.pki.chain.map((certificate) => certificate.der);
  const answer = buildRootChainResponse(read.variant, { certificates, format: context.variants.rootChainFormat });
  return {
    kind: 'reply',
    status: answer.status,
    headers: { ...answer.headers, 'x-ms-server-fqdn': context.fqdn },
    body: answer.body,
    action: 'GetRootCertChain',
    endpoint: 'rootchain',
    result: disabled ? 'no certificates (chain-download-disabled)' : `${certificates.length} CA certificate(s), ${read.variant}/${context.variants.rootChainFormat}`,
  };
}

// ---- metadata ------------------------------------------------------------------------------------

const CERTPROV_CONTRACT = 'ICertProvisioningService';

/**
 * The actions the WebTicketProof port answers to. Under `wcf-default-actions` the WSDL names none and
 * the service takes what WCF derives from the contract: `{namespace}{contract}/{operation}`.
 */
export function certProvActions(context: PoolContext): { GetAndPublishCert: string; ResolveUser: string; GetRootCertChain: string } {
  if (context.variants.layouts.includes('wcf-default-actions')) {
    const derived = (operation: string): string => `${OCS_AUTH}${CERTPROV_CONTRACT}/${operation}`;
    return { GetAndPublishCert: derived('GetAndPublishCert'), ResolveUser: derived('ResolveUser'), GetRootCertChain: derived('GetRootCertChain') };
  }
  return { GetAndPublishCert: ACTION_GET_AND_PUBLISH_CERT, ResolveUser: context.variants.resolveUserAction, GetRootCertChain: ACTION_GET_ROOT_CERT_CHAIN };
}

export function certProvMex(context: PoolContext, request: LabRequest): string {
  const { layouts } = context.variants;
  const actions = certProvActions(context);
  const published = (action: string): string => (layouts.includes('wcf-default-actions') ? '' : action);
  const soapVersion = layouts.includes('soap12') ? '1.2' : '1.1';
  const ports: MexPortSpec[] = [];
  if (layouts.includes('ports-reordered')) {
    // A decoy first: the prefix matches, but it is not _SHA1 and has no policy; its address answers 404.
    ports.push({ name: 'CertProvisioningServiceWebTicketProof', address: `${context.urls.webTicketProof}_Legacy`, operations: {} });
  }
  if (!request.faults.has('certprov-mex-no-proof-port')) {
    ports.push({
      name: 'CertProvisioningServiceWebTicketProof_SHA1',
      address: context.urls.webTicketProof,
      policy: issuedTokenPolicy(context.urls.webTicket, context.variants.proofPolicy === 'endorsing'),
      operations: { GetAndPublishCert: published(actions.GetAndPublishCert), ResolveUser: published(actions.ResolveUser) },
      soapVersion,
    });
  }
  ports.push({
    name: 'CertProvisioningServiceWinNegotiate',
    address: context.urls.certProv,
    policy: '<http:NegotiateAuthentication xmlns:http="http://schemas.microsoft.com/ws/06/2004/policy/http"/>',
    operations: { GetAndPublishCert: published(actions.GetAndPublishCert) },
  });
  // The anonymous endpoint on the internal site's port 80: the root chain, and nothing else.
  ports.push({ name: 'CertProvisioningServiceAnonymous', address: context.urls.certProvAnonymous, operations: { GetRootCertChain: published(actions.GetRootCertChain) } });
  if (layouts.includes('ports-reordered')) ports.reverse();
  return buildMexDocument({
    serviceName: 'CertProvisioningService',
    portTypeName: CERTPROV_CONTRACT,
    targetNamespace: OCS_AUTH,
    ports,
    split: layouts.includes('mex-split'),
  });
}

// ---- the WebTicketProof port --------------------------------------------------------------------

/** The action of a SOAP request: the SOAPAction header (1.1), the Content-Type action parameter (1.2), else wsa:Action. */
export function soapActionOf(request: Pick<LabRequest, 'headers' | 'body'>): string | undefined {
  const header = request.headers['soapaction'];
  const value = (Array.isArray(header) ? header[0] : header)?.trim().replace(/^"|"$/g, '');
  if (value) return value;
  const fromContentType = /;\s*action\s*=\s*"([^"]*)"/i.exec(request.headers['content-type'] ?? '')?.[1];
  if (fromContentType) return fromContentType;
  const message = parseEnvelope(request.body);
  return message.kind === 'body' ? textOf(child(message.header, 'Action')) : undefined;
}

/** Which lab endpoint a request to the proof address is for (decided before the body is handled). */
export function proofEndpointOf(request: Pick<LabRequest, 'headers' | 'body'>): LabEndpoint {
  return /\/GetAndPublishCert$/.test(soapActionOf(request) ?? '') ? 'certificate' : 'resolveuser';
}

type ProofOutcome = { ticket: IssuedTicket; verdict: ProofVerdict & { ok: true } } | { error: LabResponse };

async function checkProof(context: PoolContext, request: LabRequest, reply: ReplyContext): Promise<ProofOutcome> {
  const { faults } = request;
  const reject = (why: string): ProofOutcome => {
    context.counters.proofRejections += 1;
    return { error: authFault(reply, AUTH_ERRORS.noValidToken, `proof rejected: ${why}`) };
  };
  if (faults.has('proof-rejected')) return reject('proof-rejected fault');
  if (faults.has('proof-invalid-security')) {
    context.counters.proofRejections += 1;
    return { error: clientFault(reply, 'wsse:InvalidSecurity', 'An error was discovered processing the <wsse:Security> header.', 500, 'proof-invalid-security') };
  }
  const now = serverNow(context, faults);
  // xml-crypto and xmldom load on the first proof, not at start-up.
  const { verifyProofSecurity } = await import('./wire/proof.js');
  const verdict = verifyProofSecurity(request.body, {
    keyFor: (assertionId) => context.tickets.get(assertionId)?.proofKey,
    now,
    skewMs: context.settings.proofSkewMs,
    requireSignature: context.variants.proofPolicy === 'endorsing',
  });
  if (!verdict.ok) return reject(`${verdict.reason}: ${verdict.detail}`);
  const ticket = context.tickets.get(verdict.assertionId);
  if (!ticket) return reject(`unknown AssertionID ${verdict.assertionId}`);
  const skew = context.settings.proofSkewMs;
  if (ticket.expires <= now - skew) return reject('the web ticket has expired');
  if (ticket.notBefore > now + skew) return reject('the web ticket is not valid yet');
  // Both tickets must be for the WebTicketProof port, the address the metadata publishes (issue 8).
  const audienceProblem = ticketAudienceProblem(ticket, context.urls.webTicketProof);
  if (audienceProblem) return reject(quoteText(audienceProblem));
  return { ticket, verdict };
}

export async function proofOperation(context: PoolContext, request: LabRequest): Promise<LabResponse> {
  const action = soapActionOf(request) ?? '';
  const actions = certProvActions(context);
  const operation = action === actions.GetAndPublishCert ? 'GetAndPublishCert' : action === actions.ResolveUser ? 'ResolveUser' : undefined;
  const endpoint: LabEndpoint = operation === 'GetAndPublishCert' ? 'certificate' : 'resolveuser';
  const reply: ReplyContext = { serverFqdn: context.fqdn, endpoint, action: operation ?? (action || '(no action)') };
  const message = parseEnvelope(request.body);
  if (message.kind === 'invalid') {
    return clientFault(reply, 's:Client', `The request is not a well-formed SOAP message: ${message.reason}`, 400, 'malformed request');
  }
  if (!operation) {
    return clientFault(
      reply,
      'wsa:ActionNotSupported',
      `The action "${quoteText(action)}" is not supported at this endpoint (see the SOAP actions in the metadata).`,
      500,
      'unknown action',
    );
  }
  if (endpoint === 'certificate' && request.faults.has('cert-proof-http-403')) {
    return { kind: 'reply', status: 403, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>403 - Forbidden: Access is denied.</h1></body></html>', action: operation, endpoint, result: 'cert-proof-http-403' };
  }
  if (endpoint === 'certificate' && request.faults.has('cert-http-500')) {
    return { kind: 'reply', status: 500, headers: {}, body: '', action: operation, endpoint, result: 'cert-http-500' };
  }
  const proof = await checkProof(context, request, reply);
  if ('error' in proof) return proof.error;
  return endpoint === 'certificate' ? getAndPublishCert(context, request, reply, proof.ticket) : resolveUser(context, request, reply, proof.ticket);
}

function resolveUser(context: PoolContext, request: LabRequest, reply: ReplyContext, ticket: IssuedTicket): LabResponse {
  context.counters.resolveUserCalls += 1;
  const read = readResolveUserRequest(request.body);
  const served = context.variants.resolveUserShape;
  if (!read.ok || (served !== 'any' && read.shape !== served)) {
    const why = read.ok ? `shape "${read.shape}" is not served (serving "${served}")` : read.reason;
    return clientFault(reply, 's:Client', `The ResolveUser request is not understood: ${why}`, 500, why);
  }
  if (request.faults.has('resolve-no-user')) {
    return soapReply(reply, buildEnvelope({ body: `<ResolveUserResponse xmlns="${OCS_AUTH}"><ResolveUserResult/></ResolveUserResponse>` }), 'no user (resolve-no-user)');
  }
  return soapReply(reply, buildResolveUserResponse({ sipUri: ticket.sipUri, layout: context.variants.resolveUserLayout }), `resolved ${ticket.sipUri}`);
}

function errorInfo(reply: ReplyContext, error: { code: string; text: string }, result: string): LabResponse {
  return soapReply(reply, buildErrorInfoResponse(error), `ErrorInfo ${error.code}: ${result}`);
}

async function getAndPublishCert(context: PoolContext, request: LabRequest, reply: ReplyContext, ticket: IssuedTicket): Promise<LabResponse> {
  const { faults } = request;
  const read = readGetAndPublishCertRequest(request.body);
  if (!read.ok) return errorInfo(reply, ERROR_INFO.invalidRequest, read.reason);
  const entity = entityOf(ticket.sipUri);
  if (read.request.entity !== undefined && read.request.entity.toLowerCase() !== entity.toLowerCase()) {
    return errorInfo(reply, ERROR_INFO.entityMismatch, `Entity ${quoteText(read.request.entity)}, ticket ${entity}`);
  }
  let csr;
  try {
    csr = readCertificateRequest(read.request.csrDer);
  } catch (error) {
    return errorInfo(reply, ERROR_INFO.invalidCsr, (error as Error).message);
  }
  if (!csr.signatureValid) return errorInfo(reply, ERROR_INFO.csrSignature, 'CSR self-signature does not verify');
  if (csr.keyBits < CSR_KEY_BITS.min || csr.keyBits > CSR_KEY_BITS.max) {
    return errorInfo(reply, ERROR_INFO.keySize, `${csr.keyBits}-bit key`);
  }
  if (faults.has('cert-data-store-unavailable')) return errorInfo(reply, ERROR_INFO.dataStoreUnavailable, 'cert-data-store-unavailable');
  return issueFor(context, request, reply, ticket, csr.publicKeyPem, csr.commonName, read.request.requestId);
}

/**
 * Which CA signs the phone's certificate and which CA certificates the response carries beside it:
 * by default the lab root (the chain GetRootCertChain serves); with the cert-internal-ca* faults the
 * pool's own internal CA, as real pools do, with that CA, with no CA, or with the wrong one.
 */
async function issuingCa(context: PoolContext, faults: LabRequest['faults']): Promise<{ ca: CertificateAuthority; responseCas: Buffer[]; label: string }> {
  const rootCas = context.pki.chain.map((ca) => ca.der);
  if (faults.has('cert-internal-ca')) {
    const internal = await context.pki.internalCa();
    return { ca: internal, responseCas: [internal.certificate.der], label: ', internal CA (cert-internal-ca)' };
  }
  if (faults.has('cert-internal-ca-no-chain')) {
    return { ca: await context.pki.internalCa(), responseCas: [], label: ', internal CA, none in the response (cert-internal-ca-no-chain)' };
  }
  if (faults.has('cert-issuer-signature-mismatch')) {
    return { ca: await context.pki.internalCa(), responseCas: rootCas, label: ', internal CA, the root in the response (cert-issuer-signature-mismatch)' };
  }
  return { ca: context.pki.ca, responseCas: rootCas, label: '' };
}

async function issueFor(
  context: PoolContext,
  request: LabRequest,
  reply: ReplyContext,
  ticket: IssuedTicket,
  csrPublicKeyPem: string,
  csrCommonName: string | undefined,
  requestId: string | undefined,
): Promise<LabResponse> {
  const wrongKey = request.faults.has('cert-wrong-key');
  const spare = wrongKey ? await context.pki.spareKeyPair() : undefined;
  const notBefore = serverNow(context, request.faults);
  const entity = entityOf(ticket.sipUri);
  const issuer = await issuingCa(context, request.faults);
  const certificate = issueUserCertificate(issuer.ca, {
    publicKeyPem: spare ? publicKeyPemOf(spare.publicKey) : csrPublicKeyPem,
    commonName: entity,
    sipUri: ticket.sipUri,
    notBefore: new Date(notBefore),
    notAfter: new Date(notBefore + context.settings.certValidityHours * 3_600_000),
  });
  context.counters.certificatesIssued += 1;
  context.published.set(certificate.x509.fingerprint256, ticket.sipUri);
  const body = buildGetAndPublishCertResponse({
    certificateDer: certificate.der,
    ...(issuer.responseCas.length > 0 ? { chainPkcs7: buildPkcs7CertsOnly(issuer.responseCas) } : {}),
    chainFirstInRequestedToken: context.variants.layouts.includes('pkcs7-first'),
    ...(requestId !== undefined ? { requestId } : {}),
  });
  const note = csrCommonName !== undefined && csrCommonName.toLowerCase() !== entity.toLowerCase() ? ` (CSR asked for CN=${quoteText(csrCommonName)})` : '';
  return soapReply(reply, body, `certificate CN=${entity}, ${context.settings.certValidityHours} h${wrongKey ? ', WRONG KEY (cert-wrong-key)' : ''}${issuer.label}${note}`);
}
