// SOAP 1.1 envelopes out (1.2 when a port's WSDL binding says so), SOAP 1.1 or 1.2 envelopes in. A fault is a result, not an exception:
// the pipeline turns it into an observation (`soap-fault:<code>:<ErrorId>`) and a diagnosis.

import { randomUUID } from 'node:crypto';
import { SOAP11_ENVELOPE, SOAP12_ENVELOPE, WSA, WSA_ANONYMOUS, WSSE, WSU } from './namespaces.js';
import { attr, child, descendant, escapeText, parseXml, textOf, XmlError, type XmlElement, type XmlLimits } from './xml.js';
import { quoteText } from '../text.js';

// ---- writing -----------------------------------------------------------------------------------

export interface EnvelopeParts {
  /** Header children, already serialised (e.g. addressing headers + wsse:Security). */
  header?: string;
  /** Body content, already serialised. */
  body: string;
  /** Default 1.1; 1.2 for a port whose WSDL binding is a soap12 binding. */
  version?: SoapVersion;
}

/**
 * A SOAP envelope. The prefixes the services write (wsa, wsse, wsu) are declared once on the
 * envelope, as real clients do; anything else declares its own namespace where it is used.
 */
export function buildEnvelope({ header, body, version = '1.1' }: EnvelopeParts): string {
  const namespace = version === '1.2' ? SOAP12_ENVELOPE : SOAP11_ENVELOPE;
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<s:Envelope xmlns:s="${namespace}" xmlns:wsa="${WSA}" xmlns:wsse="${WSSE}" xmlns:wsu="${WSU}">` +
    (header === undefined || header === '' ? '' : `<s:Header>${header}</s:Header>`) +
    `<s:Body>${body}</s:Body>` +
    '</s:Envelope>'
  );
}

export interface AddressingHeaders {
  /** Where the message is posted. */
  to: string;
  action: string;
  /** Defaults to a fresh `uuid:<v4>`. */
  messageId?: string;
}

/** wsa:To, wsa:ReplyTo (anonymous), wsa:MessageID and wsa:Action (protocol.md section 5). */
export function addressingHeaders({ to, action, messageId }: AddressingHeaders): string {
  return (
    `<wsa:To>${escapeText(to)}</wsa:To>` +
    `<wsa:ReplyTo><wsa:Address>${WSA_ANONYMOUS}</wsa:Address></wsa:ReplyTo>` +
    `<wsa:MessageID>${escapeText(messageId ?? `uuid:${randomUUID()}`)}</wsa:MessageID>` +
    `<wsa:Action>${escapeText(action)}</wsa:Action>`
  );
}

/** The value of the HTTP SOAPAction header: the action in double quotes. */
export function soapActionHeader(action: string): string {
  return `"${action}"`;
}

/** Content-Type for SOAP 1.1 requests. */
export const SOAP11_CONTENT_TYPE = 'text/xml; charset=utf-8';

/**
 * The HTTP headers that carry a SOAP request's version and action: SOAP 1.1 has `text/xml` and a
 * SOAPAction header; SOAP 1.2 (RFC 3902) has `application/soap+xml` with the action as a media-type
 * parameter and no SOAPAction header.
 */
export function soapHttpHeaders(version: SoapVersion, action: string): Record<string, string> {
  if (version === '1.2') return { 'content-type': `application/soap+xml; charset=utf-8; action="${action.replace(/["\\]/g, '\\$&')}"` };
  return { 'content-type': SOAP11_CONTENT_TYPE, soapaction: soapActionHeader(action) };
}

// ---- reading -----------------------------------------------------------------------------------

export type SoapVersion = '1.1' | '1.2';

export interface SoapFault {
  version: SoapVersion;
  /** The fault code as written, e.g. `s:Client` or `wsse:FailedAuthentication`. */
  code: string;
  /** Local part of the most specific code (subcode when present), e.g. `FailedAuthentication`. */
  codeName: string;
  /** SOAP 1.2 subcodes, outermost first, as written. */
  subcodes: string[];
  /** faultstring / Reason/Text, trimmed. */
  reason: string;
  /** From detail/OCSDiagnosticsFault/Ms-Diagnostics-Fault, any namespace. */
  errorId?: string;
  diagnosticReason?: string;
  /** The fault element, for callers that need more of the detail. */
  element: XmlElement;
}

export type SoapMessage =
  | {
      kind: 'body';
      version: SoapVersion;
      envelope: XmlElement;
      header: XmlElement | undefined;
      body: XmlElement;
      /** First element inside Body (the operation's response element), if any. */
      payload: XmlElement | undefined;
    }
  | { kind: 'fault'; version: SoapVersion; envelope: XmlElement; header: XmlElement | undefined; fault: SoapFault }
  | { kind: 'invalid'; reason: string; xmlError?: XmlError };

/** Parse a SOAP envelope (1.1 or 1.2, any prefixes); never throws. */
export function parseEnvelope(text: string, limits?: XmlLimits): SoapMessage {
  let root: XmlElement;
  try {
    root = parseXml(text, limits).root;
  } catch (error) {
    if (error instanceof XmlError) return { kind: 'invalid', reason: error.message, xmlError: error };
    throw error;
  }
  return readEnvelope(root);
}

/** Interpret an already parsed element tree as a SOAP envelope. */
export function readEnvelope(root: XmlElement): SoapMessage {
  if (root.name !== 'Envelope') return { kind: 'invalid', reason: `root element is <${quoteText(root.qname)}>, not a SOAP Envelope` };
  const version: SoapVersion = root.ns === SOAP12_ENVELOPE ? '1.2' : '1.1';
  const header = child(root, 'Header');
  const body = child(root, 'Body');
  if (!body) return { kind: 'invalid', reason: 'SOAP Envelope has no Body' };
  const faultElement = child(body, 'Fault');
  if (faultElement) return { kind: 'fault', version, envelope: root, header, fault: readFault(faultElement, version) };
  return { kind: 'body', version, envelope: root, header, body, payload: body.children[0] };
}

function localPart(qname: string): string {
  const colon = qname.lastIndexOf(':');
  return colon === -1 ? qname : qname.slice(colon + 1);
}

function readFault(fault: XmlElement, envelopeVersion: SoapVersion): SoapFault {
  // A 1.2 fault has Code/Value; a 1.1 fault has faultcode. Read whichever is there.
  const codeElement = child(fault, 'Code');
  let code: string;
  const subcodes: string[] = [];
  let reason: string;
  let version = envelopeVersion;
  if (codeElement) {
    version = '1.2';
    code = textOf(child(codeElement, 'Value')) ?? '';
    for (let sub = child(codeElement, 'Subcode'); sub; sub = child(sub, 'Subcode')) {
      const value = textOf(child(sub, 'Value'));
      if (value) subcodes.push(value);
    }
    const reasonElement = child(fault, 'Reason');
    // One Text per language; the diagnosis catalog knows the English wording, so prefer it.
    const texts = reasonElement?.children.filter((c) => c.name === 'Text') ?? [];
    const english = texts.find((t) => /^en\b/i.test(attr(t, 'lang') ?? ''));
    reason = textOf(english ?? texts[0]) ?? textOf(reasonElement) ?? '';
  } else {
    code = textOf(child(fault, 'faultcode')) ?? '';
    reason = textOf(child(fault, 'faultstring')) ?? '';
  }
  const detail = child(fault, 'detail') ?? child(fault, 'Detail');
  const diagnostics = descendant(detail, 'Ms-Diagnostics-Fault') ?? descendant(detail, 'OCSDiagnosticsFault') ?? detail;
  const errorId = textOf(descendant(diagnostics, 'ErrorId')) ?? attributeLike(diagnostics, 'ErrorId');
  const diagnosticReason = textOf(descendant(diagnostics, 'Reason')) ?? attributeLike(diagnostics, 'Reason');
  const mostSpecific = subcodes[subcodes.length - 1] ?? code;
  // The reasons are the server's prose, shown in messages and reports: cut to a quotable length here.
  const result: SoapFault = { version, code, codeName: localPart(mostSpecific), subcodes, reason: quoteText(reason), element: fault };
  if (errorId !== undefined) result.errorId = errorId;
  if (diagnosticReason !== undefined) result.diagnosticReason = quoteText(diagnosticReason);
  return result;
}

function attributeLike(element: XmlElement | undefined, name: string): string | undefined {
  return element?.attributes.find((a) => a.name.toLowerCase() === name.toLowerCase())?.value;
}

// ---- X-Ms-diagnostics --------------------------------------------------------------------------

export interface MsDiagnostics {
  errorId: string;
  source?: string;
  reason?: string;
  fault?: string;
  /** Every key=value pair, keys lower-cased, values unquoted. */
  fields: Record<string, string>;
  /** The header value as received. */
  raw: string;
}

/**
 * Parse `X-Ms-diagnostics: 28020;source="pool.example.com";reason="No valid security token.";fault="wsse:FailedAuthentication"`.
 * Tolerates spaces, unquoted values, `;` inside quotes, escaped quotes and any key case.
 * Several header values (an array) → the first that parses. Undefined when nothing usable.
 */
export function parseMsDiagnostics(header: string | string[] | undefined): MsDiagnostics | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header)) {
    for (const value of header) {
      const parsed = parseMsDiagnostics(value);
      if (parsed) return parsed;
    }
    return undefined;
  }
  const raw = header;
  // Two X-Ms-diagnostics headers reach us joined as "a, b" (HTTP field combination): keep the first.
  const parts = splitOutsideQuotes(splitOutsideQuotes(raw, ',').find((entry) => /^\s*\d+\s*(;|$)/.test(entry)) ?? raw, ';');
  const first = parts.shift()?.trim() ?? '';
  const idMatch = /^(\d+)\b/.exec(first);
  if (!idMatch?.[1]) return undefined;
  const fields: Record<string, string> = {};
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    if (key === '') continue;
    fields[key] = unquote(part.slice(eq + 1).trim());
  }
  const result: MsDiagnostics = { errorId: idMatch[1], fields, raw };
  if (fields['source'] !== undefined) result.source = fields['source'];
  if (fields['reason'] !== undefined) result.reason = fields['reason'];
  if (fields['fault'] !== undefined) result.fault = fields['fault'];
  return result;
}

function splitOutsideQuotes(value: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (ch === '\\' && quoted && i + 1 < value.length) {
      current += ch + (value[i + 1] as string);
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
      current += ch;
    } else if (ch === separator && !quoted) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    return value.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return value.startsWith('"') ? value.slice(1) : value;
}
