// INFERRED (protocol.md section 3): how the phone number/extension and PIN travel in the web-ticket
// request. Not published anywhere; this module is the one place that decides it (the lab's PIN port,
// src/lab/wire/pin-credential.ts, reads what this module defines).
//
// Shape: a WS-Security UsernameToken in the SOAP header, Username = the phone number or extension
// exactly as typed (the server normalises it through the user's dial plan), Password = the PIN with
// type #PasswordText. Encoding of both values: `plain` (default) or `base64` (what Lync 2013's /Auth
// port takes, per the public tool nyxgeek/lyncsmash). The server's WS-Policy can decide, see
// encodingFromPolicy().

import { WSS_PASSWORD_TEXT, WSSE } from '../../namespaces.js';
import { escapeText } from '../../xml.js';
import type { MexPolicy } from '../mex.js';
import { quoteText } from '../../../text.js';

export const PIN_ENCODINGS = ['plain', 'base64'] as const;
export type PinEncoding = (typeof PIN_ENCODINGS)[number];
export const DEFAULT_PIN_ENCODING: PinEncoding = 'plain';

/** One line for --verbose. */
export function describePinCredential(encoding: PinEncoding): string {
  return `inferred: PIN sent as UsernameToken PasswordText, ${encoding === 'plain' ? 'plain' : 'username and PIN base64-encoded'}`;
}

export interface PinCredential {
  /** Phone number or extension exactly as the user typed it. */
  phoneOrExt: string;
  pin: string;
  encoding: PinEncoding;
}

const encode = (value: string, encoding: PinEncoding): string =>
  encoding === 'base64' ? Buffer.from(value, 'utf8').toString('base64') : value;

/**
 * The wsse:Security header element holding the UsernameToken (pass it as the web-ticket request's
 * credentialHeader). The result contains the PIN: never log it; traces must redact it.
 */
export function buildPinCredentialHeader({ phoneOrExt, pin, encoding }: PinCredential): string {
  return (
    `<wsse:Security xmlns:wsse="${WSSE}"><wsse:UsernameToken>` +
    `<wsse:Username>${escapeText(encode(phoneOrExt, encoding))}</wsse:Username>` +
    `<wsse:Password Type="${WSS_PASSWORD_TEXT}">${escapeText(encode(pin, encoding))}</wsse:Password>` +
    '</wsse:UsernameToken></wsse:Security>'
  );
}

/**
 * Every form in which the PIN appears on the wire under this encoding, for redaction of traces and
 * logs (the base64 form would otherwise slip past a redactor that only knows the PIN).
 */
export function pinWireForms({ pin, encoding }: Pick<PinCredential, 'pin' | 'encoding'>): string[] {
  return [...new Set([pin, encode(pin, encoding)])].filter((form) => form !== '');
}

/**
 * What the PIN port's policy implies: a UsernameToken assertion that names base64 → `base64`. A plain
 * sp:UsernameToken says only that a username token is expected, nothing about how its values are
 * encoded, so it (like no assertion or no policy) gives undefined and the caller keeps its option or
 * the default. Precedence is the caller's: explicit option > policy > default.
 */
export function encodingFromPolicy(policy: MexPolicy | undefined): { encoding?: PinEncoding; reason: string } {
  const assertion = policy?.usernameToken;
  if (!policy) return { reason: 'no policy for the PIN port' };
  if (!assertion) return { reason: `policy ${quoteText(policy.id)} has no UsernameToken assertion` };
  if (assertion.base64Hint) return { encoding: 'base64', reason: `policy ${quoteText(policy.id)}: UsernameToken names Base64Binary` };
  return { reason: `policy ${quoteText(policy.id)}: a plain UsernameToken, which says nothing about encoding` };
}
