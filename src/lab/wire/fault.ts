// How a server writes a SOAP fault with Lync's diagnostics detail and the X-Ms-diagnostics header
// ([MS-OCAUTHWS] 2.2.4.1); the client reads both with src/soap/envelope.ts.

import { OCS_DIAGNOSTICS_FAULT } from '../../soap/namespaces.js';
import { escapeText } from '../../soap/xml.js';
import { buildEnvelope } from '../../soap/envelope.js';

export interface FaultSpec {
  /** Qualified fault code; a `wsse:` or `s:` prefix is declared by the envelope. */
  code: string;
  reason: string;
  /** Adds detail/OCSDiagnosticsFault/Ms-Diagnostics-Fault with ErrorId and Reason. */
  diagnostics?: { errorId: string; reason: string };
}

/** A SOAP 1.1 fault envelope as a Lync web service sends it ([MS-OCAUTHWS] §2.2.4.1). */
export function buildFaultEnvelope({ code, reason, diagnostics }: FaultSpec): string {
  const detail = diagnostics
    ? `<detail><OCSDiagnosticsFault xmlns="${OCS_DIAGNOSTICS_FAULT}">` +
      `<Ms-Diagnostics-Fault><ErrorId>${escapeText(diagnostics.errorId)}</ErrorId>` +
      `<Reason>${escapeText(diagnostics.reason)}</Reason></Ms-Diagnostics-Fault></OCSDiagnosticsFault></detail>`
    : '';
  return buildEnvelope({
    body: `<s:Fault><faultcode>${escapeText(code)}</faultcode><faultstring xml:lang="en-US">${escapeText(reason)}</faultstring>${detail}</s:Fault>`,
  });
}

/** The X-Ms-diagnostics header value for a fault, in the server's format. */
export function formatMsDiagnostics(d: { errorId: string; source: string; reason: string; fault?: string }): string {
  const quote = (v: string): string => `"${v.replace(/["\\]/g, '\\$&')}"`;
  return `${d.errorId};source=${quote(d.source)};reason=${quote(d.reason)}` + (d.fault ? `;fault=${quote(d.fault)}` : '');
}
