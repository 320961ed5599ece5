// How the lab says no: SOAP faults with an OCSDiagnosticsFault and an X-Ms-diagnostics header, as the
// Lync web services do ([MS-OCAUTHWS] 2.2.4.1), plus the plain HTTP errors IIS would give.

import { SOAP11_CONTENT_TYPE } from '../soap/envelope.js';
import { buildFaultEnvelope, formatMsDiagnostics } from './wire/fault.js';
import type { LabEndpoint } from './faults.js';
import type { LabResponse } from './http-server.js';
import { quoteText } from '../text.js';

export interface AuthError {
  errorId: string;
  reason: string;
  status: number;
  /** Fault code as written (prefixes declared by the envelope builder). */
  code: string;
}

/**
 * 28000, 28001 and 28020 are documented ([MS-OCAUTHWS] 3.2.4.1). The ids for PIN conditions are not
 * public (diagnosis.md section 5), so the lab uses its own, in a range no documented id uses, and says
 * plainly what happened: the client must report them verbatim and map them only as "auth rejected".
 */
export const AUTH_ERRORS = {
  notSipEnabled: { errorId: '28000', reason: 'User is not SIP enabled.', status: 403, code: 'wsse:FailedAuthentication' },
  internal: {
    errorId: '28001',
    reason: 'Internal error while processing the authentication request.',
    status: 500,
    code: 's:Server',
  },
  noValidToken: { errorId: '28020', reason: 'No valid security token.', status: 500, code: 'wsse:FailedAuthentication' },
  pinWrong: {
    errorId: '28901',
    reason: 'The PIN is not valid for this phone number or extension.',
    status: 500,
    code: 'wsse:FailedAuthentication',
  },
  pinLocked: { errorId: '28902', reason: 'The PIN is locked.', status: 500, code: 'wsse:FailedAuthentication' },
  noUser: {
    errorId: '28903',
    reason: 'No user has a line URI matching this phone number or extension.',
    status: 500,
    code: 'wsse:FailedAuthentication',
  },
  ambiguous: {
    errorId: '28904',
    reason: 'More than one user matches this phone number or extension and PIN.',
    status: 500,
    code: 'wsse:FailedAuthentication',
  },
  pinNotSet: { errorId: '28905', reason: 'No PIN is set for this user.', status: 500, code: 'wsse:FailedAuthentication' },
  notVoiceEnabled: {
    errorId: '28906',
    reason: 'The user is not enabled for Enterprise Voice.',
    status: 500,
    code: 'wsse:FailedAuthentication',
  },
  claimMismatch: {
    errorId: '28907',
    reason: 'The requested SIP URI does not belong to this phone number and PIN.',
    status: 500,
    code: 'wsse:FailedAuthentication',
  },
} as const satisfies Record<string, AuthError>;

export interface ReplyContext {
  /** Value of X-MS-Server-Fqdn and of the diagnostics' source. */
  serverFqdn: string;
  endpoint: LabEndpoint;
  action: string;
}

function standardHeaders(context: ReplyContext): Record<string, string> {
  return { 'x-ms-server-fqdn': context.serverFqdn };
}

export function soapReply(context: ReplyContext, body: string | Buffer, result: string, status = 200): LabResponse {
  return {
    kind: 'reply',
    status,
    headers: { 'content-type': SOAP11_CONTENT_TYPE, ...standardHeaders(context) },
    body,
    action: context.action,
    endpoint: context.endpoint,
    result,
  };
}

/** A FailedAuthentication-style fault with the diagnostics in the body and in X-Ms-diagnostics. */
export function authFault(context: ReplyContext, error: AuthError, result: string): LabResponse {
  const body = buildFaultEnvelope({
    code: error.code,
    reason: error.reason,
    diagnostics: { errorId: error.errorId, reason: error.reason },
  });
  return {
    kind: 'reply',
    status: error.status,
    headers: {
      'content-type': SOAP11_CONTENT_TYPE,
      ...standardHeaders(context),
      'x-ms-diagnostics': formatMsDiagnostics({ errorId: error.errorId, source: context.serverFqdn, reason: error.reason, fault: error.code }),
    },
    body,
    action: context.action,
    endpoint: context.endpoint,
    result: `${result} (ErrorId ${error.errorId})`,
  };
}

/** Only the header, no body: what some front ends answer to a refused credential. */
export function diagnosticsHeaderOnly(context: ReplyContext, error: AuthError, status: number, result: string): LabResponse {
  return {
    kind: 'reply',
    status,
    headers: {
      ...standardHeaders(context),
      'x-ms-diagnostics': formatMsDiagnostics({ errorId: error.errorId, source: context.serverFqdn, reason: error.reason, fault: error.code }),
    },
    body: '',
    action: context.action,
    endpoint: context.endpoint,
    result: `${result} (X-Ms-diagnostics ${error.errorId})`,
  };
}

/**
 * A fault about the request itself (malformed XML, unknown action): no diagnostics detail. The reason
 * usually quotes the request, so it is cut to a quotable length: a reply never echoes a large body.
 */
export function clientFault(context: ReplyContext, code: string, reason: string, status: number, result: string): LabResponse {
  return {
    kind: 'reply',
    status,
    headers: { 'content-type': SOAP11_CONTENT_TYPE, ...standardHeaders(context) },
    body: buildFaultEnvelope({ code, reason: quoteText(reason) }),
    action: context.action,
    endpoint: context.endpoint,
    result,
  };
}

export function plainReply(status: number, text: string, result: string): LabResponse {
  return { kind: 'reply', status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: quoteText(text), result };
}
