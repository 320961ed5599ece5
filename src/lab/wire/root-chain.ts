// The anonymous service's side of the inferred GetRootCertChain (src/soap/services/inferred/root-chain.ts
// decides the variants): which variant a received request is, and the answer in either format.

import { buildEnvelope, parseEnvelope, SOAP11_CONTENT_TYPE } from '../../soap/envelope.js';
import { ACTION_GET_ROOT_CERT_CHAIN, OCS_AUTH } from '../../soap/namespaces.js';
import { toPem } from '../../pki/certs.js';
import { buildPkcs7CertsOnly } from './pkcs7.js';
import { quoteText } from '../../text.js';
import type { RootChainVariant } from '../../soap/services/inferred/root-chain.js';

/** `malformed`: a POST whose body is not a well-formed SOAP envelope, which a server refuses outright (400). */
export type RootChainRequestRead = { ok: true; variant: RootChainVariant } | { ok: false; reason: string; malformed?: true };

/** Which variant a received request is (method, path, SOAPAction, body); the lab answers only the one it serves. */
export function readRootChainRequest(request: {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body?: string;
}): RootChainRequestRead {
  const path = request.url.replace(/^[a-z]+:\/\/[^/]+/i, '').split('?')[0] ?? '';
  if (request.method.toUpperCase() === 'GET') {
    return /\/GetRootCertChain\/?$/i.test(path) ? { ok: true, variant: 'get' } : { ok: false, reason: `GET ${path} is not GetRootCertChain` };
  }
  if (request.method.toUpperCase() !== 'POST') return { ok: false, reason: `method ${request.method} not accepted` };
  const header = Object.entries(request.headers).find(([k]) => k.toLowerCase() === 'soapaction')?.[1];
  const action = (Array.isArray(header) ? header[0] : header)?.trim().replace(/^"|"$/g, '');
  const message = parseEnvelope(request.body ?? '');
  if (message.kind === 'invalid') return { ok: false, reason: message.reason, malformed: true };
  const operation = message.kind === 'body' ? message.payload?.name : undefined;
  if (action !== ACTION_GET_ROOT_CERT_CHAIN && operation !== 'GetRootCertChain') {
    return { ok: false, reason: `action "${quoteText(action ?? '')}" / body <${quoteText(operation ?? '')}> is not GetRootCertChain` };
  }
  return { ok: true, variant: 'soap' };
}

export type RootChainAnswerFormat = 'pkcs7' | 'certificate-list';

/** The lab's answer for a variant: status, headers and body. */
export function buildRootChainResponse(
  variant: RootChainVariant,
  { certificates, format = 'pkcs7' }: { certificates: Uint8Array[]; format?: RootChainAnswerFormat },
): { status: number; headers: Record<string, string>; body: Buffer } {
  if (variant === 'get') {
    return format === 'pkcs7'
      ? { status: 200, headers: { 'Content-Type': 'application/pkcs7-mime' }, body: buildPkcs7CertsOnly(certificates) }
      : { status: 200, headers: { 'Content-Type': 'application/x-pem-file' }, body: Buffer.from(certificates.map(toPem).join('')) };
  }
  const result =
    format === 'pkcs7'
      ? `<GetRootCertChainResult>${buildPkcs7CertsOnly(certificates).toString('base64')}</GetRootCertChainResult>`
      : `<GetRootCertChainResult>${certificates.map((c) => `<Certificate>${Buffer.from(c).toString('base64')}</Certificate>`).join('')}</GetRootCertChainResult>`;
  const xml = buildEnvelope({ body: `<GetRootCertChainResponse xmlns="${OCS_AUTH}">${result}</GetRootCertChainResponse>` });
  return { status: 200, headers: { 'Content-Type': SOAP11_CONTENT_TYPE }, body: Buffer.from(xml, 'utf8') };
}
