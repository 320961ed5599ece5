// INFERRED (protocol.md section 6): the ResolveUser operation of CertProvisioningService. Its
// name and its place in the sequence are known from the cmdlet's log; its messages are not public.
// This module is the one place that decides them; the lab's side is src/lab/wire/resolve-user.ts.
//
// Request: posted to the WebTicketProof address with the proof header, action from the WSDL
// (default .../AuthWebServices/ResolveUser), body element ResolveUser in the AuthWebServices
// namespace, in one of these shapes:
//   - `empty`  (default): <ResolveUser/> — the ticket already identifies the phone's user;
//   - `entity`: <ResolveUser Entity="7501"/> — the number as typed, in GetAndPublishCert's style.
// Response: whatever carries a SIP URI; the reader looks for it by name and by value.

import { addressingHeaders, buildEnvelope, parseEnvelope, soapActionHeader, type SoapFault, type SoapVersion } from '../../envelope.js';
import { ACTION_RESOLVE_USER, OCS_AUTH } from '../../namespaces.js';
import { allElements, escapeAttribute } from '../../xml.js';
import { quoteText } from '../../../text.js';

export const RESOLVE_USER_SHAPES = ['empty', 'entity'] as const;
export type ResolveUserShape = (typeof RESOLVE_USER_SHAPES)[number];
export const DEFAULT_RESOLVE_USER_SHAPE: ResolveUserShape = 'empty';

export function describeResolveUser(shape: ResolveUserShape): string {
  return shape === 'empty'
    ? 'inferred: ResolveUser with an empty body (the ticket identifies the user)'
    : 'inferred: ResolveUser carrying the number as typed in an Entity attribute';
}

export interface ResolveUserRequestOptions {
  /** The WebTicketProof address. */
  to: string;
  /** From the WSDL when it names one. */
  action?: string;
  /** wsse:Security from buildProofSecurity(). */
  security: string;
  shape: ResolveUserShape;
  phoneOrExt: string;
  messageId?: string;
  /** The proof port binding's SOAP version (default 1.1). */
  soapVersion?: SoapVersion;
}

export function buildResolveUserRequest(o: ResolveUserRequestOptions): { xml: string; action: string; soapAction: string } {
  const action = o.action ?? ACTION_RESOLVE_USER;
  const body =
    o.shape === 'entity'
      ? `<ResolveUser xmlns="${OCS_AUTH}" Entity="${escapeAttribute(o.phoneOrExt)}"/>`
      : `<ResolveUser xmlns="${OCS_AUTH}"/>`;
  const header = addressingHeaders({ to: o.to, action, ...(o.messageId ? { messageId: o.messageId } : {}) }) + o.security;
  return { xml: buildEnvelope({ header, body, version: o.soapVersion }), action, soapAction: soapActionHeader(action) };
}

export type ResolveUserResult =
  | { kind: 'user'; sipUri: string; /** e.g. `element SipUri` or `attribute Uri of ResolveUserResult`. */ foundIn: string }
  | { kind: 'no-user'; detail: string }
  | { kind: 'fault'; fault: SoapFault }
  | { kind: 'invalid'; reason: string };

// Names that say "this is the user": the operation's own result element counts, since a bare
// user@domain there can only be the answer.
const URI_NAMES = /^(sip)?uri$|^user(sip)?uri$|^sipaddress$|^entity$|^primaryuseraddress$|^resolveuserresult$/i;
const SIP_URI = /^sip:[^\s@]+@[^\s@]+$/i;
const USER_AT_DOMAIN = /^[^\s@:]+@[^\s@]+$/;

function candidate(value: string | undefined, named: boolean): string | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  // The scheme is case-insensitive (RFC 3261 §19.1.4); show and compare it as `sip:`.
  if (SIP_URI.test(v)) return `sip:${v.slice(4)}`;
  // A bare user@domain counts only where the name says it is the user (GetAndPublishCert's Entity style).
  if (named && USER_AT_DOMAIN.test(v)) return `sip:${v}`;
  return undefined;
}

/** Find the user's SIP URI in a ResolveUser answer: by name first (any namespace), then any sip: value. */
export function parseResolveUserResponse(xml: string): ResolveUserResult {
  const message = parseEnvelope(xml);
  if (message.kind === 'invalid') return { kind: 'invalid', reason: message.reason };
  if (message.kind === 'fault') return { kind: 'fault', fault: message.fault };
  const elements = allElements(message.body).slice(1);
  const search = (named: boolean): ResolveUserResult | undefined => {
    for (const element of elements) {
      if (element.children.length === 0 && (!named || URI_NAMES.test(element.name))) {
        const found = candidate(element.text, named);
        if (found) return { kind: 'user', sipUri: found, foundIn: `element ${quoteText(element.name)}` };
      }
      for (const a of element.attributes) {
        if (named && !URI_NAMES.test(a.name)) continue;
        const found = candidate(a.value, named);
        if (found) return { kind: 'user', sipUri: found, foundIn: `attribute ${quoteText(a.name)} of ${quoteText(element.name)}` };
      }
    }
    return undefined;
  };
  return search(true) ?? search(false) ?? { kind: 'no-user', detail: 'the answer names no SIP URI' };
}
