// The certificate provisioning service's side of GetAndPublishCert (protocol.md section 7), for the
// lab pool: reading a received request, the answer with the issued certificate, and ErrorInfo.

import { buildEnvelope, parseEnvelope } from '../../soap/envelope.js';
import {
  OCS_AUTH,
  TOKEN_TYPE_X509V3,
  VALUE_TYPE_PKCS7,
  WSSE,
  WSSE_BASE64_BINARY,
  WST_CERTPROV,
  WSTEP,
} from '../../soap/namespaces.js';
import { attr, base64Of, child, descendant, escapeText, textOf } from '../../soap/xml.js';
import { quoteText } from '../../text.js';

export interface GetAndPublishCertRequestRead {
  deviceId?: string;
  entity?: string;
  csrDer: Buffer;
  requestId?: string;
  tokenType?: string;
  requestType?: string;
}

export function readGetAndPublishCertRequest(
  xml: string,
): { ok: true; request: GetAndPublishCertRequestRead } | { ok: false; reason: string } {
  const message = parseEnvelope(xml);
  if (message.kind !== 'body') return { ok: false, reason: message.kind === 'invalid' ? message.reason : 'request is a fault' };
  const operation = message.payload;
  if (!operation || operation.name !== 'GetAndPublishCert') {
    return { ok: false, reason: `Body holds <${quoteText(operation?.qname ?? 'nothing')}>, not GetAndPublishCert` };
  }
  const rst = descendant(operation, 'RequestSecurityToken');
  const csrDer = base64Of(descendant(rst ?? operation, 'BinarySecurityToken'));
  if (!csrDer) return { ok: false, reason: 'no base64 PKCS#10 in BinarySecurityToken' };
  const request: GetAndPublishCertRequestRead = { csrDer };
  const set = <K extends keyof GetAndPublishCertRequestRead>(key: K, value: GetAndPublishCertRequestRead[K] | undefined): void => {
    if (value !== undefined) request[key] = value;
  };
  set('deviceId', attr(operation, 'DeviceId'));
  set('entity', attr(operation, 'Entity'));
  set('requestId', textOf(descendant(rst, 'RequestID')));
  set('tokenType', textOf(child(rst, 'TokenType')));
  set('requestType', textOf(child(rst, 'RequestType')));
  return { ok: true, request };
}

const responseWrapper = (inner: string): string =>
  buildEnvelope({
    body: `<GetAndPublishCertResponse xmlns="${OCS_AUTH}">${inner}</GetAndPublishCertResponse>`,
  });

/** The issued certificate (and optionally the chain as PKCS#7) in the [MS-OCAUTHWS] answer shape. */
export function buildGetAndPublishCertResponse(o: {
  certificateDer: Uint8Array;
  chainPkcs7?: Uint8Array;
  requestId?: string;
  /** Both tokens inside RequestedSecurityToken, the PKCS#7 chain before the X.509 certificate. */
  chainFirstInRequestedToken?: boolean;
}): string {
  const bst = (valueType: string, data: Uint8Array): string =>
    `<wsse:BinarySecurityToken xmlns:wsse="${WSSE}" ValueType="${valueType}" EncodingType="${WSSE_BASE64_BINARY}">` +
    `${Buffer.from(data).toString('base64')}</wsse:BinarySecurityToken>`;
  return responseWrapper(
    `<wst:RequestSecurityTokenResponse xmlns:wst="${WST_CERTPROV}">` +
      `<wst:TokenType>${TOKEN_TYPE_X509V3}</wst:TokenType>` +
      `<DispositionMessage xmlns="${WSTEP}" xml:lang="en-US">Issued</DispositionMessage>` +
      (o.chainPkcs7 && !o.chainFirstInRequestedToken ? bst(VALUE_TYPE_PKCS7, o.chainPkcs7) : '') +
      '<wst:RequestedSecurityToken>' +
      (o.chainPkcs7 && o.chainFirstInRequestedToken ? bst(VALUE_TYPE_PKCS7, o.chainPkcs7) : '') +
      `${bst(`${TOKEN_TYPE_X509V3}`, o.certificateDer)}</wst:RequestedSecurityToken>` +
      (o.requestId ? `<RequestID xmlns="${WSTEP}">${escapeText(o.requestId)}</RequestID>` : '') +
      '</wst:RequestSecurityTokenResponse>',
  );
}

/** An error answer: ErrorInfo inside GetAndPublishCertResponse, with code and text. */
export function buildErrorInfoResponse({ code, text }: { code: string; text: string }): string {
  return responseWrapper(`<ErrorInfo><Code>${escapeText(code)}</Code><Message>${escapeText(text)}</Message></ErrorInfo>`);
}
