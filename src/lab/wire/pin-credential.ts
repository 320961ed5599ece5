// The PIN port's side of the inferred PIN credential (src/soap/services/inferred/pin-credential.ts
// decides the shape and the encodings): the policy assertion it publishes and the reading of a
// received UsernameToken.

import { parseEnvelope } from '../../soap/envelope.js';
import { SP, WSP, WSS_BASE64_BINARY } from '../../soap/namespaces.js';
import { attr, child, escapeAttribute, textOf } from '../../soap/xml.js';
import { quoteText } from '../../text.js';
import type { PinEncoding } from '../../soap/services/inferred/pin-credential.js';

/** The UsernameToken assertion a PIN port's policy carries, so that encodingFromPolicy() reads `encoding` back. */
export function pinPolicyAssertion(encoding: PinEncoding): string {
  const hint =
    encoding === 'base64'
      ? `<sp:PasswordEncoding xmlns:sp="${SP}" EncodingType="${escapeAttribute(WSS_BASE64_BINARY)}"/>`
      : '';
  return (
    `<sp:SignedSupportingTokens xmlns:sp="${SP}"><wsp:Policy xmlns:wsp="${WSP}">` +
    `<sp:UsernameToken sp:IncludeToken="${SP}/IncludeToken/AlwaysToRecipient"><wsp:Policy><sp:WssUsernameToken10/>${hint}</wsp:Policy></sp:UsernameToken>` +
    '</wsp:Policy></sp:SignedSupportingTokens>'
  );
}

export type PinCredentialRead =
  | { ok: true; phoneOrExt: string; pin: string }
  | { ok: false; reason: 'no-security' | 'no-username-token' | 'missing-value' | 'not-base64' | 'password-type'; detail: string };

function decode(value: string, encoding: PinEncoding): string | undefined {
  if (encoding === 'plain') return value;
  const compact = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact) || compact.length % 4 !== 0) return undefined;
  return Buffer.from(compact, 'base64').toString('utf8');
}

/** Read the credential from a received IssueToken request as a port serving `encoding` would. */
export function readPinCredential(xml: string, encoding: PinEncoding): PinCredentialRead {
  const message = parseEnvelope(xml);
  if (message.kind === 'invalid') return { ok: false, reason: 'no-security', detail: message.reason };
  const security = child(message.header, 'Security');
  if (!security) return { ok: false, reason: 'no-security', detail: 'no wsse:Security header' };
  const token = child(security, 'UsernameToken');
  if (!token) return { ok: false, reason: 'no-username-token', detail: 'no UsernameToken in the Security header' };
  const username = textOf(child(token, 'Username'));
  const passwordElement = child(token, 'Password');
  const password = textOf(passwordElement);
  if (username === undefined || password === undefined) {
    return { ok: false, reason: 'missing-value', detail: 'UsernameToken lacks Username or Password' };
  }
  const type = attr(passwordElement, 'Type');
  if (type !== undefined && !type.endsWith('#PasswordText')) {
    return { ok: false, reason: 'password-type', detail: `Password Type ${quoteText(type)} is not PasswordText` };
  }
  const phoneOrExt = decode(username, encoding);
  const pin = decode(password, encoding);
  if (phoneOrExt === undefined || pin === undefined) {
    return { ok: false, reason: 'not-base64', detail: 'UsernameToken values are not base64 as this port expects' };
  }
  return { ok: true, phoneOrExt, pin };
}
