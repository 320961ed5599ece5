// The server's side of the inferred ResolveUser (src/soap/services/inferred/resolve-user.ts decides
// the request shapes): which shape a received request has, and the answers the lab gives.

import { buildEnvelope, parseEnvelope } from '../../soap/envelope.js';
import { OCS_AUTH } from '../../soap/namespaces.js';
import { attr, escapeAttribute, escapeText, type XmlElement } from '../../soap/xml.js';
import { quoteText } from '../../text.js';
import type { ResolveUserShape } from '../../soap/services/inferred/resolve-user.js';

export type ResolveUserRequestRead = { ok: true; shape: ResolveUserShape; phoneOrExt?: string } | { ok: false; reason: string };

/** Which shape a received ResolveUser request has, and the number when it carries one. */
export function readResolveUserRequest(xml: string): ResolveUserRequestRead {
  const message = parseEnvelope(xml);
  if (message.kind !== 'body') return { ok: false, reason: message.kind === 'invalid' ? message.reason : 'request is a fault' };
  const operation: XmlElement | undefined = message.payload;
  if (!operation || operation.name !== 'ResolveUser') {
    return { ok: false, reason: `Body holds <${quoteText(operation?.qname ?? 'nothing')}>, not ResolveUser` };
  }
  const entity = attr(operation, 'Entity');
  return entity === undefined ? { ok: true, shape: 'empty' } : { ok: true, shape: 'entity', phoneOrExt: entity };
}

export const RESOLVE_USER_RESPONSE_LAYOUTS = ['element', 'attribute'] as const;
export type ResolveUserResponseLayout = (typeof RESOLVE_USER_RESPONSE_LAYOUTS)[number];

/** The lab's answer: the SIP URI as a SipUri element (default) or as a Uri attribute. */
export function buildResolveUserResponse({ sipUri, layout = 'element' }: { sipUri: string; layout?: ResolveUserResponseLayout }): string {
  const body =
    layout === 'attribute'
      ? `<ResolveUserResponse xmlns="${OCS_AUTH}"><ResolveUserResult Uri="${escapeAttribute(sipUri)}"/></ResolveUserResponse>`
      : `<ResolveUserResponse xmlns="${OCS_AUTH}"><ResolveUserResult><SipUri>${escapeText(sipUri)}</SipUri></ResolveUserResult></ResolveUserResponse>`;
  return buildEnvelope({ body });
}
