// The lab pool's web services behind the listeners: routing by path and method, the default
// variants of the inferred message shapes, and the metadata replies. Loaded by the pool after it is
// ready (it pulls in the XML and signature libraries), so that start-up only waits for the keys.

import { buildEnvelope } from '../soap/envelope.js';
import { ACTION_GET_ROOT_CERT_CHAIN, ACTION_RESOLVE_USER } from '../soap/namespaces.js';
import { DEFAULT_PIN_ENCODING } from '../soap/services/inferred/pin-credential.js';
import { DEFAULT_RESOLVE_USER_SHAPE } from '../soap/services/inferred/resolve-user.js';
import { DEFAULT_ROOT_CHAIN_VARIANT } from '../soap/services/inferred/root-chain.js';
import { certProvMex, proofEndpointOf, proofOperation, rootChain, soapActionOf } from './certprov-service.js';
import { LAB_PATHS, type PoolContext, type RequestedVariants, type ServedVariants } from './context.js';
import type { LabEndpoint } from './faults.js';
import type { LabRequest, LabResponse } from './http-server.js';
import { plainReply } from './replies.js';
import { reshapeFor } from './layouts.js';
import { reshapeXml } from './wire/reshape.js';
import { XmlError } from '../soap/xml.js';
import { quoteText } from '../text.js';
import { issueToken, otherWebTicketPort, webTicketMex } from './webticket-service.js';

/** What the pool serves: the caller's choices, else the shapes the client uses by default. */
export function servedVariants(requested: RequestedVariants): ServedVariants {
  return {
    pinEncoding: requested.pinEncoding ?? DEFAULT_PIN_ENCODING,
    rootChainVariant: requested.rootChainVariant ?? DEFAULT_ROOT_CHAIN_VARIANT,
    rootChainFormat: requested.rootChainFormat ?? 'pkcs7',
    resolveUserShape: requested.resolveUserShape ?? DEFAULT_RESOLVE_USER_SHAPE,
    resolveUserLayout: requested.resolveUserLayout ?? 'element',
    resolveUserAction: requested.resolveUserAction ?? ACTION_RESOLVE_USER,
    tokenLayout: requested.tokenLayout ?? 'computed-key',
    proofPolicy: requested.proofPolicy ?? 'endorsing',
    layouts: requested.layouts ?? [],
  };
}

function isPath(path: string, wanted: string): boolean {
  return path.toLowerCase().replace(/\/+$/, '') === wanted.toLowerCase();
}

/** The endpoint a request is for, as the endpoint-scoped faults (blackhole, malformed-xml) name them. */
export function endpointForPath(request: Pick<LabRequest, 'role' | 'method' | 'path' | 'headers' | 'body'>): LabEndpoint | undefined {
  const { path } = request;
  if (isPath(path, LAB_PATHS.certProv) || isPath(path, `${LAB_PATHS.certProv}/GetRootCertChain`)) return 'rootchain';
  if (request.role === 'http') return undefined;
  if (isPath(path, LAB_PATHS.certProvMex)) return 'certprov-mex';
  if (isPath(path, LAB_PATHS.webTicketProof)) return proofEndpointOf(request);
  if (isPath(path, LAB_PATHS.webTicketMex)) return 'webticket-mex';
  if (isPath(path, LAB_PATHS.webTicketPin)) return 'webticket';
  return undefined;
}

function metadataReply(document: string, request: LabRequest, endpoint: LabEndpoint, fqdn: string): LabResponse {
  // WS-MetadataExchange over POST (a WS-Transfer Get) gets the metadata inside a SOAP envelope of the request's version.
  const version = isSoap12(request) ? '1.2' : '1.1';
  const body = request.method === 'POST' ? buildEnvelope({ version, body: document.replace(/^<\?xml[^>]*\?>/, '') }) : document;
  return {
    kind: 'reply',
    status: 200,
    headers: { 'content-type': 'text/xml; charset=utf-8', 'x-ms-server-fqdn': fqdn },
    body,
    action: 'mex',
    endpoint,
    result: 'metadata',
  };
}

const notFound = (what: string): LabResponse =>
  ({ kind: 'reply', status: 404, headers: { 'content-type': 'text/html' }, body: '<h1>404 - File or directory not found.</h1>', result: what }) as LabResponse;

const isSoap12 = (request: Pick<LabRequest, 'headers'>): boolean => /^application\/soap\+xml/i.test(request.headers['content-type'] ?? '');

/** What metadata routes a layout takes away: `…/mex` (GET and POST), GET `…/mex`, or `?wsdl`. */
function metadataWithheld(context: PoolContext, request: LabRequest): LabResponse | undefined {
  const { layouts } = context.variants;
  const wsdlQuery = request.query.has('wsdl');
  if (layouts.includes('mex-wsdl-only') && !wsdlQuery) return notFound('mex-wsdl-only: metadata only at ?wsdl');
  if (layouts.includes('mex-post-only') && request.method === 'GET') {
    if (!wsdlQuery) return plainReply(405, 'POST a WS-MetadataExchange request\n', 'mex-post-only: GET on /mex');
    // What WCF shows on ?wsdl when HTTP GET metadata is off: a help page, with status 200.
    return {
      kind: 'reply',
      status: 200,
      headers: { 'content-type': 'text/html; charset=UTF-8' },
      body: '<html><head><title>Service</title></head><body><p>Metadata publishing for this service is currently disabled.</p></body></html>',
      result: 'mex-post-only: ?wsdl help page',
    };
  }
  return undefined;
}

/** The layouts' view of a request: SOAP 1.2 ports refuse SOAP 1.1 as WCF does (415). */
function refusedByBinding(context: PoolContext, request: LabRequest): LabResponse | undefined {
  if (!context.variants.layouts.includes('soap12') || request.method !== 'POST' || isSoap12(request)) return undefined;
  if (!isPath(request.path, LAB_PATHS.webTicketPin) && !isPath(request.path, LAB_PATHS.webTicketProof)) return undefined;
  const got = quoteText(request.headers['content-type'] ?? '(none)', 80);
  return plainReply(
    415,
    `Cannot process the message because the content type '${got}' was not the expected type 'application/soap+xml; charset=utf-8'.\n`,
    'soap12: SOAP 1.1 request refused',
  );
}

/** The answer as the served layouts write it (prefixes, whitespace, SOAP version, framing). */
function inLayout(context: PoolContext, request: LabRequest, response: LabResponse): LabResponse {
  if (response.kind !== 'reply') return response;
  const { layouts } = context.variants;
  const headers = { ...response.headers };
  if (layouts.includes('chunked')) headers['transfer-encoding'] = 'chunked';
  const contentType = headers['content-type'] ?? '';
  const soap12 = isSoap12(request) && /xml/i.test(contentType);
  const reshape = typeof response.body === 'string' && /xml/i.test(contentType) ? reshapeFor(layouts, soap12) : undefined;
  if (!reshape) return { ...response, headers };
  if (soap12) headers['content-type'] = 'application/soap+xml; charset=utf-8';
  try {
    return { ...response, headers, body: reshapeXml(response.body as string, reshape) };
  } catch (error) {
    // A body that is not XML after all (an empty fault reply) goes out as built.
    if (error instanceof XmlError) return { ...response, headers };
    throw error;
  }
}

export async function route(context: PoolContext, request: LabRequest, status: () => string): Promise<LabResponse> {
  return inLayout(context, request, refusedByBinding(context, request) ?? (await routeRequest(context, request, status)));
}

async function routeRequest(context: PoolContext, request: LabRequest, status: () => string): Promise<LabResponse> {
  const { path, method, role, faults } = request;
  if (method !== 'GET' && method !== 'POST') return plainReply(405, 'method not allowed\n', `method ${method}`);
  if (isPath(path, LAB_PATHS.status)) {
    return { kind: 'reply', status: 200, headers: { 'content-type': 'application/json' }, body: status(), result: 'status' };
  }
  const isCertProv = isPath(path, LAB_PATHS.certProv) || isPath(path, `${LAB_PATHS.certProv}/GetRootCertChain`);
  // The internal web site answers plain HTTP only for the anonymous certificate chain and its metadata (IIS 403.4 elsewhere).
  if (role === 'http' && !isCertProv && !isPath(path, LAB_PATHS.certProvMex)) return plainReply(403, '403.4 - SSL is required to view this resource.\n', 'SSL required');

  if (isCertProv) {
    if (method === 'GET' && request.query.has('wsdl')) {
      if (faults.has('certprov-mex-missing')) return notFound('certprov-mex-missing');
      return metadataWithheld(context, request) ?? metadataReply(certProvMex(context, request), request, 'certprov-mex', context.fqdn);
    }
    const action = method === 'POST' ? soapActionOf(request) : undefined;
    if (role === 'https' && method === 'POST' && action !== ACTION_GET_ROOT_CERT_CHAIN && !/GetRootCertChain/.test(request.body)) {
      return { kind: 'reply', status: 401, headers: { 'www-authenticate': 'Negotiate' }, body: '', action: action ?? '(none)', result: 'Windows authentication challenge' };
    }
    if (method === 'GET' && isPath(path, LAB_PATHS.certProv)) {
      return { kind: 'reply', status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: '<html><head><title>CertProvisioningService Service</title></head><body>CertProvisioningService</body></html>', result: 'service page' };
    }
    return rootChain(context, request);
  }
  if (isPath(path, LAB_PATHS.certProvMex)) {
    if (faults.has('certprov-mex-missing')) return notFound('certprov-mex-missing');
    return metadataWithheld(context, request) ?? metadataReply(certProvMex(context, request), request, 'certprov-mex', context.fqdn);
  }
  if (isPath(path, LAB_PATHS.webTicketProof)) {
    if (method !== 'POST') return plainReply(405, 'POST a SOAP request\n', 'GET on the proof port');
    return proofOperation(context, request);
  }
  if (isPath(path, LAB_PATHS.webTicketMex) || (isPath(path, LAB_PATHS.webTicket) && method === 'GET' && request.query.has('wsdl'))) {
    if (faults.has('webticket-mex-missing')) return notFound('webticket-mex-missing');
    return metadataWithheld(context, request) ?? metadataReply(webTicketMex(context, faults), request, 'webticket-mex', context.fqdn);
  }
  if (isPath(path, LAB_PATHS.webTicketPin)) {
    if (method !== 'POST') return plainReply(405, 'POST a SOAP request\n', 'GET on the PIN port');
    const oversized = faults.numeric('oversized-response');
    if (oversized !== undefined) {
      return {
        kind: 'stream',
        status: 200,
        headers: { 'content-type': 'text/xml; charset=utf-8' },
        head: '<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><!-- ',
        bytes: oversized,
        action: 'IssueToken',
        endpoint: 'webticket',
        result: `oversized response, ${oversized} bytes`,
      };
    }
    return issueToken(context, request);
  }
  if (method === 'POST' && isPath(path, LAB_PATHS.webTicket)) return otherWebTicketPort(context, 'negotiate');
  if (method === 'POST' && isPath(path, LAB_PATHS.webTicketCert)) return otherWebTicketPort(context, 'cert');
  if (method === 'POST' && isPath(path, LAB_PATHS.webTicketWsFed)) return otherWebTicketPort(context, 'wsfed');
  return notFound(`no such path`);
}
