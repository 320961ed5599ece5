// GetAndPublishCert (protocol.md section 7): the certificate request a phone makes with its second
// web ticket and the reading of the answer (certificate, optional PKCS#7 chain, or ErrorInfo). The
// server's side is src/lab/wire/certprov.ts.

import { randomUUID, X509Certificate } from 'node:crypto';
import { addressingHeaders, buildEnvelope, parseEnvelope, soapActionHeader, type SoapFault, type SoapVersion } from '../envelope.js';
import {
  ACTION_GET_AND_PUBLISH_CERT,
  OCS_AUTH,
  REQUEST_TYPE_ISSUE,
  TOKEN_TYPE_X509V3,
  VALUE_TYPE_PKCS10,
  WSSE,
  WSSE_BASE64_BINARY,
  WST_CERTPROV,
  WSTEP,
} from '../namespaces.js';
import { CertificateParseError, certificatesFromPkcs7 } from '../../pki/certs.js';
import { allElements, attr, base64Of, descendant, descendants, escapeAttribute, escapeText, textOf, type XmlElement } from '../xml.js';
import { quoteText } from '../../text.js';

/** A fresh endpoint id, a GUID in braces as the cmdlet prints it. */
export function newDeviceId(): string {
  return `{${randomUUID()}}`;
}

/** base64 wrapped at 76 characters with CRLF, as real clients send the PKCS#10. */
export function wrapBase64(data: Uint8Array, width = 76): string {
  const base64 = Buffer.from(data).toString('base64');
  return (base64.match(new RegExp(`.{1,${width}}`, 'g')) ?? []).join('\r\n');
}

/** `sip:jeff@example.com` → `jeff@example.com` (GetAndPublishCert's Entity carries no scheme). */
export function entityOf(user: string): string {
  return user.replace(/^sip:/i, '');
}

export interface GetAndPublishCertOptions {
  /** The WebTicketProof address. */
  to: string;
  /** From the WSDL when it names one. */
  action?: string;
  /** wsse:Security from buildProofSecurity(). */
  security: string;
  /** user@domain (a `sip:` prefix is removed). */
  entity: string;
  /** DER PKCS#10. */
  csrDer: Uint8Array;
  deviceId?: string;
  requestId?: string;
  messageId?: string;
  /** The proof port binding's SOAP version (default 1.1). */
  soapVersion?: SoapVersion;
}

export function buildGetAndPublishCertRequest(o: GetAndPublishCertOptions): {
  xml: string;
  action: string;
  soapAction: string;
  deviceId: string;
  requestId: string;
} {
  const action = o.action ?? ACTION_GET_AND_PUBLISH_CERT;
  const deviceId = o.deviceId ?? newDeviceId();
  const requestId = o.requestId ?? randomUUID();
  const body =
    `<GetAndPublishCert xmlns="${OCS_AUTH}" xmlns:wst="${WST_CERTPROV}" xmlns:wstep="${WSTEP}" ` +
    `DeviceId="${escapeAttribute(deviceId)}" Entity="${escapeAttribute(entityOf(o.entity))}">` +
    '<wst:RequestSecurityToken>' +
    `<wst:TokenType>${TOKEN_TYPE_X509V3}</wst:TokenType>` +
    `<wst:RequestType>${REQUEST_TYPE_ISSUE}</wst:RequestType>` +
    `<wsse:BinarySecurityToken xmlns:wsse="${WSSE}" ValueType="${VALUE_TYPE_PKCS10}" EncodingType="${WSSE_BASE64_BINARY}">` +
    `${wrapBase64(o.csrDer)}</wsse:BinarySecurityToken>` +
    `<wstep:RequestID>${escapeText(requestId)}</wstep:RequestID>` +
    '</wst:RequestSecurityToken>' +
    '</GetAndPublishCert>';
  const header = addressingHeaders({ to: o.to, action, ...(o.messageId ? { messageId: o.messageId } : {}) }) + o.security;
  return { xml: buildEnvelope({ header, body, version: o.soapVersion }), action, soapAction: soapActionHeader(action), deviceId, requestId };
}

// ---- reading the answer ------------------------------------------------------------------------

export type GetAndPublishCertResult =
  | { kind: 'certificate'; certificateDer: Buffer; /** Certificates of a PKCS#7 chain found beside it, if any. */ chain?: Buffer[] }
  | { kind: 'error-info'; code?: string; text?: string; /** The ErrorInfo element's text content, whitespace-collapsed. */ raw: string }
  | { kind: 'fault'; fault: SoapFault }
  | { kind: 'no-certificate'; detail: string }
  | { kind: 'invalid'; reason: string };

const CODE_NAMES = /^(code|errorcode|errorid|id|hresult|status)$/i;
const TEXT_NAMES = /^(text|message|errormessage|reason|description|errortext|detail)$/i;

function readErrorInfo(info: XmlElement): GetAndPublishCertResult {
  const pick = (names: RegExp): string | undefined =>
    info.attributes.find((a) => names.test(a.name))?.value.trim() ??
    textOf(allElements(info).slice(1).find((e) => names.test(e.name)));
  const code = pick(CODE_NAMES);
  const text = pick(TEXT_NAMES) ?? (info.children.length === 0 ? textOf(info) : undefined);
  const raw = allElements(info)
    .map((e) => e.text.trim())
    .filter((t) => t !== '')
    .join(' ');
  const result: GetAndPublishCertResult = { kind: 'error-info', raw };
  if (code !== undefined) result.code = code;
  if (text !== undefined) result.text = text;
  return result;
}

/**
 * Certificate at RequestedSecurityToken/BinarySecurityToken (by local name), else any
 * BinarySecurityToken whose ValueType says X.509; a PKCS#7 chain wherever a BinarySecurityToken's
 * ValueType says PKCS7. Errors come back as an ErrorInfo element, not as faults.
 */
export function parseGetAndPublishCertResponse(xml: string): GetAndPublishCertResult {
  const message = parseEnvelope(xml);
  if (message.kind === 'invalid') return { kind: 'invalid', reason: message.reason };
  if (message.kind === 'fault') return { kind: 'fault', fault: message.fault };
  const everything = allElements(message.body);
  const errorInfo = everything.find((e) => e.name === 'ErrorInfo');
  if (errorInfo && !isNil(errorInfo)) return readErrorInfo(errorInfo);
  const tokens = everything.filter((e) => e.name === 'BinarySecurityToken');
  const valueType = (e: XmlElement): string => attr(e, 'ValueType') ?? '';
  const isPkcs = (e: XmlElement): boolean => /pkcs7|pkcs10/i.test(valueType(e));
  const requested = descendants(descendant(message.body, 'RequestedSecurityToken'), 'BinarySecurityToken');
  // The issued certificate: an X.509 token, preferably the requested one; a PKCS#7 only when it is
  // all there is (the certificate then travels inside it, next to its issuers).
  const certificateElement =
    requested.find((t) => !isPkcs(t)) ??
    tokens.find((t) => /x509/i.test(valueType(t))) ??
    tokens.find((t) => !isPkcs(t)) ??
    requested.find((t) => /pkcs7/i.test(valueType(t))) ??
    tokens.find((t) => /pkcs7/i.test(valueType(t)));
  const chainElement = tokens.find((t) => t !== certificateElement && /pkcs7/i.test(valueType(t)));
  if (!certificateElement) return { kind: 'no-certificate', detail: 'no BinarySecurityToken in the answer' };
  const certificateData = base64Of(certificateElement);
  if (!certificateData) return { kind: 'no-certificate', detail: `<${quoteText(certificateElement.qname)}> does not hold base64 data` };
  if (/pkcs7/i.test(valueType(certificateElement))) {
    const bundled = chainCertificates(certificateData);
    const leaf = bundled ? issuedCertificate(bundled) : undefined;
    if (!bundled || !leaf) return { kind: 'no-certificate', detail: `<${quoteText(certificateElement.qname)}> holds a PKCS#7 without a certificate issued to an end entity` };
    return { kind: 'certificate', certificateDer: leaf, chain: bundled };
  }
  const chainPkcs7 = base64Of(chainElement);
  const chain = chainPkcs7 ? chainCertificates(chainPkcs7) : undefined;
  return chain ? { kind: 'certificate', certificateDer: certificateData, chain } : { kind: 'certificate', certificateDer: certificateData };
}

/** An empty or xsi:nil element (WCF writes absent members as `<ErrorInfo i:nil="true"/>`). */
function isNil(element: XmlElement): boolean {
  if (attr(element, 'nil') === 'true') return true;
  return element.children.length === 0 && element.attributes.length === 0 && element.text.trim() === '';
}

/** In a PKCS#7 bundle, the certificate that issued none of the others and is not a CA: the user's. */
function issuedCertificate(ders: Buffer[]): Buffer | undefined {
  const parsed = ders.map((der) => ({ der, x509: new X509Certificate(der) }));
  const issuesAnother = (candidate: X509Certificate): boolean =>
    parsed.some((other) => other.x509 !== candidate && other.x509.checkIssued(candidate) && other.x509.fingerprint256 !== candidate.fingerprint256);
  const leaves = parsed.filter((entry) => !issuesAnother(entry.x509));
  return (leaves.find((entry) => !entry.x509.ca) ?? leaves[0])?.der;
}

/** The chain is a bonus: one that does not parse is left out rather than failing the certificate. */
function chainCertificates(pkcs7: Buffer): Buffer[] | undefined {
  try {
    const certificates = certificatesFromPkcs7(pkcs7);
    return certificates.length > 0 ? certificates : undefined;
  } catch (error) {
    if (error instanceof CertificateParseError) return undefined;
    throw error;
  }
}
