// The Web Ticket Service of the lab pool: its metadata (one port per authentication method, the PIN
// port only while UsePinAuth is on) and the PIN port's IssueToken, which finds the user through the
// dial plan, checks the PIN against the policy and issues a SAML 1.1 ticket with a proof key.

import { randomBytes, randomUUID } from 'node:crypto';
import { parseEnvelope, SOAP11_CONTENT_TYPE } from '../soap/envelope.js';
import { ACTION_RST_ISSUE, SP } from '../soap/namespaces.js';
import { buildMexDocument, type MexPortSpec } from './wire/mex.js';
import { pinPolicyAssertion, readPinCredential } from './wire/pin-credential.js';
import { buildIssueTokenResponse, buildSamlAssertion, readIssueTokenRequest, serverProofKey, type TokenLayout } from './wire/webticket.js';
import { buildFaultEnvelope, formatMsDiagnostics } from './wire/fault.js';
import { LAB_PATHS, serverNow, wcfTime, type PoolContext } from './context.js';
import { findUsersByNumber, type LabUser } from './directory.js';
import type { FaultSet } from './faults.js';
import type { LabRequest, LabResponse } from './http-server.js';
import { AUTH_ERRORS, authFault, clientFault, diagnosticsHeaderOnly, soapReply, type ReplyContext } from './replies.js';
import { quoteText } from '../text.js';

const WEBTICKET_NAMESPACE = 'urn:component:Microsoft.Rtc.WebAuthentication.2010';
const NEGOTIATE_POLICY =
  '<http:NegotiateAuthentication xmlns:http="http://schemas.microsoft.com/ws/06/2004/policy/http"/>';
const CERT_POLICY =
  `<sp:EndorsingSupportingTokens xmlns:sp="${SP}"><wsp:Policy><sp:X509Token sp:IncludeToken="${SP}/IncludeToken/AlwaysToRecipient">` +
  '<wsp:Policy><sp:WssX509V3Token10/></wsp:Policy></sp:X509Token></wsp:Policy></sp:EndorsingSupportingTokens>';

export function pinAuthEnabled(context: PoolContext, faults: FaultSet): boolean {
  return context.directory.pinPolicy.usePinAuth && !faults.has('pin-auth-disabled');
}

/** The Web Ticket Service metadata as it stands under the current faults. */
export function webTicketMex(context: PoolContext, faults: FaultSet): string {
  const issue = { IssueToken: ACTION_RST_ISSUE };
  const base = context.urls.webTicket;
  const origin = new URL(base).origin;
  const ports: MexPortSpec[] = [{ name: 'WebTicketServiceWinNegotiate', address: base, policy: NEGOTIATE_POLICY, operations: issue }];
  if (pinAuthEnabled(context, faults)) {
    ports.push({
      name: 'WebTicketServicePin',
      address: context.urls.webTicketPin,
      policy: pinPolicyAssertion(context.variants.pinEncoding),
      operations: issue,
    });
  }
  ports.push(
    { name: 'WebTicketServiceCert', address: `${origin}${LAB_PATHS.webTicketCert}`, policy: CERT_POLICY, operations: issue },
    { name: 'WsFedBearer', address: `${origin}${LAB_PATHS.webTicketWsFed}`, operations: issue },
  );
  const { layouts } = context.variants;
  // Under soap12 the PIN port (the one the phone uses) has a SOAP 1.2 binding; the others stay 1.1.
  const pinPort = ports.find((p) => p.name === 'WebTicketServicePin');
  if (pinPort && layouts.includes('soap12')) pinPort.soapVersion = '1.2';
  if (layouts.includes('ports-reordered')) ports.reverse();
  return buildMexDocument({
    serviceName: 'WebTicketService',
    portTypeName: 'IWebTicketService',
    targetNamespace: WEBTICKET_NAMESPACE,
    ports,
    split: layouts.includes('mex-split'),
  });
}

function replyContext(context: PoolContext, action: string): ReplyContext {
  return { serverFqdn: context.fqdn, endpoint: 'webticket', action };
}

type UserChoice = { user: LabUser; how: string } | { error: LabResponse };

/** Finds the one user behind the typed number and PIN, updating the PIN ledger on the way. */
function authenticate(context: PoolContext, faults: FaultSet, phoneOrExt: string, pin: string, reply: ReplyContext): UserChoice {
  const lookup = findUsersByNumber(context.directory, phoneOrExt, !faults.has('extension-not-normalised'));
  if (!lookup.normalised) {
    return { error: authFault(reply, AUTH_ERRORS.noUser, `"${quoteText(phoneOrExt)}" matches no dial-plan rule`) };
  }
  const number = lookup.normalised.number + (lookup.normalised.extension ? `;ext=${lookup.normalised.extension}` : '');
  if (lookup.matches.length === 0) {
    return { error: authFault(reply, AUTH_ERRORS.noUser, `"${quoteText(phoneOrExt)}" -> ${number}: no user with that line URI`) };
  }
  // Real pools narrow duplicates by PIN first, then by number + extension (diagnosis.md).
  const candidates = lookup.matches.length > 1 ? lookup.matches.filter((user) => user.pin === pin) : lookup.matches;
  if (candidates.length > 1) {
    return { error: authFault(reply, AUTH_ERRORS.ambiguous, `"${quoteText(phoneOrExt)}" -> ${candidates.length} users`) };
  }
  const user = candidates[0];
  if (!user) {
    return { error: authFault(reply, AUTH_ERRORS.pinWrong, `"${quoteText(phoneOrExt)}" -> ${lookup.matches.length} users, none with this PIN`) };
  }
  const how = `"${quoteText(phoneOrExt)}" -> ${number}${lookup.normalised.rule ? ` (rule "${lookup.normalised.rule}")` : ''}`;
  if (faults.has('pin-locked') || context.ledger.isLocked(user)) {
    context.ledger.check(user, pin);
    return { error: authFault(reply, AUTH_ERRORS.pinLocked, `${user.sipUri}: PIN locked`) };
  }
  const check = faults.has('pin-wrong') ? context.ledger.check(user, '') : context.ledger.check(user, pin);
  switch (check.outcome) {
    case 'not-set':
      return { error: authFault(reply, AUTH_ERRORS.pinNotSet, `${user.sipUri}: no PIN set`) };
    case 'locked':
      return { error: authFault(reply, AUTH_ERRORS.pinLocked, `${user.sipUri}: PIN locked`) };
    case 'wrong':
      return {
        error: authFault(
          reply,
          AUTH_ERRORS.pinWrong,
          `${user.sipUri}: wrong PIN, failure ${check.failures}/${context.directory.pinPolicy.maximumLogonAttempts}${check.lockedNow ? ', now locked' : ''}`,
        ),
      };
    case 'accepted':
      break;
  }
  if (!user.sipEnabled || faults.has('user-not-sip-enabled')) {
    return { error: authFault(reply, AUTH_ERRORS.notSipEnabled, `${user.sipUri}: not SIP enabled`) };
  }
  if (context.directory.pinPolicy.requireEnterpriseVoice && !user.enterpriseVoice) {
    return { error: authFault(reply, AUTH_ERRORS.notVoiceEnabled, `${user.sipUri}: no Enterprise Voice`) };
  }
  return { user, how };
}

/** IssueToken on the PIN port. */
export function issueToken(context: PoolContext, request: LabRequest): LabResponse {
  const reply = replyContext(context, 'IssueToken');
  const { faults } = request;
  if (faults.has('webticket-http-503')) {
    return { kind: 'reply', status: 503, headers: { 'content-type': 'text/html' }, body: '<h1>Service Unavailable</h1>', action: 'IssueToken', endpoint: 'webticket', result: 'webticket-http-503' };
  }
  const message = parseEnvelope(request.body);
  if (message.kind === 'invalid') {
    return clientFault(reply, 's:Client', `The request is not a well-formed SOAP message: ${message.reason}`, 400, 'malformed request');
  }
  if (faults.has('webticket-server-error')) return authFault(reply, AUTH_ERRORS.internal, 'webticket-server-error');
  if (!pinAuthEnabled(context, faults)) return authFault(reply, AUTH_ERRORS.noValidToken, 'PIN authentication disabled');
  if (faults.has('webticket-x-ms-diagnostics')) {
    return diagnosticsHeaderOnly(reply, AUTH_ERRORS.pinWrong, 401, 'webticket-x-ms-diagnostics');
  }
  if (faults.has('pin-rejected-28020')) return noValidTokenInBody(reply);
  if (faults.has('pin-rejected-401')) return noValidTokenAs401(reply);
  const rst = readIssueTokenRequest(request.body);
  if (!rst.ok) return clientFault(reply, 's:Client', `The token request cannot be read: ${rst.reason}`, 500, 'RST unreadable');
  const credential = readPinCredential(request.body, context.variants.pinEncoding);
  if (!credential.ok) return authFault(reply, AUTH_ERRORS.noValidToken, `no usable PIN credential (${credential.reason})`);
  const clientEntropy = rst.request.clientEntropy;
  if (!clientEntropy || clientEntropy.length < 16) {
    return clientFault(reply, 's:Client', 'The token request carries no client Entropy/BinarySecret of at least 128 bits.', 500, 'no client entropy');
  }

  const found = authenticate(context, faults, credential.phoneOrExt, credential.pin, reply);
  if ('error' in found) return found.error;
  const { user } = found;
  const claimed = rst.request.claimedSipUri;
  if (claimed !== undefined && claimed.toLowerCase() !== user.sipUri.toLowerCase()) {
    return authFault(reply, AUTH_ERRORS.claimMismatch, `${found.how}: claim ${quoteText(claimed)} is not ${user.sipUri}`);
  }

  const now = serverNow(context, faults);
  const expires = now + context.settings.ticketLifetimeMinutes * 60_000;
  const assertionId = `SamlSecurityToken-${randomUUID()}`;
  const layout = tokenLayoutFor(context, faults);
  const proofMaterial = randomBytes(32);
  const appliesTo = rst.request.appliesTo ?? context.urls.webTicketProof;
  const assertionXml = buildSamlAssertion({
    assertionId,
    issuer: context.urls.webTicket,
    issueInstant: wcfTime(now),
    notBefore: wcfTime(now),
    notOnOrAfter: wcfTime(expires),
    subject: user.sipUri,
    audience: appliesTo,
  });
  context.tickets.add(
    {
      assertionId,
      proofKey: serverProofKey(layout, clientEntropy, proofMaterial),
      sipUri: user.sipUri,
      phoneOrExt: credential.phoneOrExt,
      appliesTo,
      notBefore: Math.floor(now / 1000) * 1000,
      expires: Math.floor(expires / 1000) * 1000,
    },
    now,
  );
  context.counters.ticketsIssued += 1;
  let body = buildIssueTokenResponse({
    ...(rst.request.context !== undefined ? { context: rst.request.context } : {}),
    assertionXml,
    proofMaterial,
    created: wcfTime(now),
    expires: wcfTime(expires),
    layout,
  });
  if (faults.has('rstr-incomplete')) body = withoutProofAndLifetime(body);
  const kind = claimed !== undefined ? 'ticket with SIP claim' : 'ticket';
  return soapReply(reply, body, `${kind} for ${user.sipUri}, ${found.how}, proof key ${layout}${faults.has('rstr-incomplete') ? ' (rstr-incomplete)' : ''}`);
}

/** The proof-key layout of this answer: a token-* fault for this request, else the pool's variant. */
function tokenLayoutFor(context: PoolContext, faults: FaultSet): TokenLayout {
  if (faults.has('token-proof-secret')) return 'proof-secret';
  if (faults.has('token-legacy-entropy')) return 'legacy-entropy';
  if (faults.has('token-encrypted-key')) return 'encrypted-key';
  return context.variants.tokenLayout;
}

const NO_VALID_TOKEN = AUTH_ERRORS.noValidToken;

/** [MS-OCAUTHWS] 3.2.4.1's refusal in the body only: HTTP 500, FailedAuthentication, OCSDiagnosticsFault 28020. */
function noValidTokenInBody(reply: ReplyContext): LabResponse {
  return {
    kind: 'reply',
    status: 500,
    headers: { 'content-type': SOAP11_CONTENT_TYPE, 'x-ms-server-fqdn': reply.serverFqdn },
    body: buildFaultEnvelope({ code: NO_VALID_TOKEN.code, reason: NO_VALID_TOKEN.reason, diagnostics: { errorId: NO_VALID_TOKEN.errorId, reason: NO_VALID_TOKEN.reason } }),
    action: reply.action,
    endpoint: reply.endpoint,
    result: `PIN refused, fault ErrorId ${NO_VALID_TOKEN.errorId} in the body (pin-rejected-28020)`,
  };
}

/** The same refusal as IIS passes it on: HTTP 401, X-Ms-diagnostics and an HTML page. */
function noValidTokenAs401(reply: ReplyContext): LabResponse {
  return {
    kind: 'reply',
    status: 401,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'x-ms-server-fqdn': reply.serverFqdn,
      'x-ms-diagnostics': formatMsDiagnostics({ errorId: NO_VALID_TOKEN.errorId, source: reply.serverFqdn, reason: NO_VALID_TOKEN.reason }),
    },
    body: '<html><head><title>401 - Unauthorized</title></head><body><h1>401 - Unauthorized: Access is denied due to invalid credentials.</h1></body></html>',
    action: reply.action,
    endpoint: reply.endpoint,
    result: `PIN refused, HTTP 401 with X-Ms-diagnostics ${NO_VALID_TOKEN.errorId} (pin-rejected-401)`,
  };
}

/** The token response minus everything that carries entropy or lifetime (rstr-incomplete). */
function withoutProofAndLifetime(body: string): string {
  return body
    .replace(/<wst:RequestedProofToken>[\s\S]*?<\/wst:RequestedProofToken>/, '')
    .replace(/<wst:Entropy>[\s\S]*?<\/wst:Entropy>/, '')
    .replace(/<wst:Lifetime>[\s\S]*?<\/wst:Lifetime>/, '');
}

/** The other authentication ports: Windows authentication is a 401 challenge, the rest refuse. */
export function otherWebTicketPort(context: PoolContext, port: 'negotiate' | 'cert' | 'wsfed'): LabResponse {
  const reply = replyContext(context, 'IssueToken');
  if (port === 'negotiate') {
    return {
      kind: 'reply',
      status: 401,
      headers: { 'www-authenticate': 'Negotiate', 'x-ms-server-fqdn': context.fqdn },
      body: '',
      action: 'IssueToken',
      endpoint: 'webticket',
      result: 'Windows authentication challenge (the lab only does PIN)',
    };
  }
  return authFault(reply, AUTH_ERRORS.noValidToken, `${port} port: the lab only issues tickets on the PIN port`);
}
