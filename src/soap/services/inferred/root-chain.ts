// INFERRED (protocol.md section 2): GetRootCertChain, the anonymous root-chain download over plain
// HTTP. Only the operation's name is public. This module is the one place that decides how it is
// asked for and what answers are accepted; the lab's side is src/lab/wire/root-chain.ts.
//
// Request variants:
//   - `soap` (default): SOAP 1.1 POST to the anonymous CertProv URL, action
//     http://schemas.microsoft.com/OCS/AuthWebServices/GetRootCertChain, empty GetRootCertChain body;
//   - `get`: HTTP GET of <CertProv URL>/GetRootCertChain (a REST-style endpoint).
// Answer: PKCS#7 certs-only (base64 or DER) or a list of base64 X.509 certificates, in any element
// of a SOAP answer or as the whole HTTP body; the reader reports which it found.

import { buildEnvelope, parseEnvelope, soapHttpHeaders, type SoapFault, type SoapVersion } from '../../envelope.js';
import { ACTION_GET_ROOT_CERT_CHAIN, OCS_AUTH } from '../../namespaces.js';
import { allElements, textContent, type XmlElement } from '../../xml.js';
import { CertificateParseError, parseCertificates, type CertificateBundle } from '../../../pki/certs.js';

export const ROOT_CHAIN_VARIANTS = ['soap', 'get'] as const;
export type RootChainVariant = (typeof ROOT_CHAIN_VARIANTS)[number];
export const DEFAULT_ROOT_CHAIN_VARIANT: RootChainVariant = 'soap';

export function describeRootChain(variant: RootChainVariant): string {
  return variant === 'soap'
    ? 'inferred: GetRootCertChain as a SOAP 1.1 POST in the OCS AuthWebServices namespace'
    : 'inferred: GetRootCertChain as an HTTP GET of <CertProv URL>/GetRootCertChain';
}

export interface HttpRequestSpec {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** What the anonymous service's own WSDL says about the operation, when it was read. */
export interface RootChainBinding {
  action: string;
  soapVersion: SoapVersion;
}

/** `serviceUrl` is the anonymous CertProv URL, e.g. http://pool/CertProv/CertProvisioningService.svc. */
export function buildRootChainRequest(variant: RootChainVariant, serviceUrl: string, binding?: RootChainBinding): HttpRequestSpec {
  if (variant === 'get') {
    return { method: 'GET', url: `${serviceUrl.replace(/\/+$/, '')}/GetRootCertChain`, headers: { Accept: '*/*' } };
  }
  const { action, soapVersion } = binding ?? { action: ACTION_GET_ROOT_CERT_CHAIN, soapVersion: '1.1' };
  return {
    method: 'POST',
    url: serviceUrl,
    headers: soapHttpHeaders(soapVersion, action),
    body: buildEnvelope({ version: soapVersion, body: `<GetRootCertChain xmlns="${OCS_AUTH}"/>` }),
  };
}

export type RootChainResult =
  | (CertificateBundle & { kind: 'chain'; /** `HTTP body` or `element <name>`. */ foundIn: string })
  | { kind: 'fault'; fault: SoapFault }
  | { kind: 'empty'; detail: string };

const looksLikeXml = (text: string): boolean => /^\s*(<\?xml|<[A-Za-z_])/.test(text);

/** Read the answer to either variant; never throws. */
export function parseRootChainResponse({ body, contentType }: { body: Uint8Array | string; contentType?: string }): RootChainResult {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
  if (bytes.length === 0) return { kind: 'empty', detail: 'empty HTTP body' };
  const text = bytes.toString('utf8');
  // The body decides, not the Content-Type: servers label DER and base64 answers loosely.
  if (bytes[0] === 0x30 || !looksLikeXml(text)) {
    try {
      return { kind: 'chain', foundIn: 'HTTP body', ...parseCertificates(bytes) };
    } catch (error) {
      const label = contentType ? ` (Content-Type ${contentType})` : '';
      return { kind: 'empty', detail: `HTTP body${label} holds no certificates: ${(error as Error).message}` };
    }
  }
  const message = parseEnvelope(text);
  if (message.kind === 'fault') return { kind: 'fault', fault: message.fault };
  if (message.kind === 'invalid') return { kind: 'empty', detail: `answer is not a usable SOAP message: ${message.reason}` };
  // A list may be split over sibling leaves (one certificate each): try those groups first, then
  // each leaf on its own (a PKCS#7 or a list in one element).
  const leaves = allElements(message.body).filter((e) => e.children.length === 0 && e.text.trim() !== '');
  const parents = new Set(leaves.map((l) => l.parent).filter((p): p is XmlElement => p !== undefined));
  for (const parent of parents) {
    const items = parent.children.filter((c) => c.children.length === 0).map((c) => c.text.trim()).filter((t) => t !== '');
    if (items.length < 2) continue;
    const found = tryParse(items.join('\n'), `elements under ${parent.name}`);
    if (found) return found;
  }
  for (const leaf of leaves) {
    const found = tryParse(leaf.text, `element ${leaf.name}`);
    if (found) return found;
  }
  const whole = tryParse(textContent(message.body), 'Body text');
  return whole ?? { kind: 'empty', detail: 'no certificate or PKCS#7 found in the SOAP answer' };
}

function tryParse(text: string, foundIn: string): RootChainResult | undefined {
  try {
    return { kind: 'chain', foundIn, ...parseCertificates(text) };
  } catch (error) {
    if (error instanceof CertificateParseError) return undefined;
    throw error;
  }
}
