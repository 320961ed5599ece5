// Service metadata the way a WCF service may publish it (protocol.md section 8, "metadata first"):
// `GET …/mex`, then `GET …?wsdl`, then a WS-MetadataExchange request (a WS-Transfer Get POSTed to
// …/mex, SOAP 1.2 as WCF's mex bindings speak it). The first usable WSDL wins and the report names
// the way that worked. A document that arrives but cannot be read is a metadata problem with its
// first bytes shown, never mistaken for a missing port.

import { CONTENT } from '../diagnosis/observation.js';
import { addressingHeaders, buildEnvelope, soapHttpHeaders } from '../soap/envelope.js';
import { ACTION_WS_TRANSFER_GET } from '../soap/namespaces.js';
import { parseMex, type MetadataRoute, type MexDocument, type MexProblem } from '../soap/services/mex.js';
import type { HttpResponse } from '../net/transport.js';
import { quoteText } from '../text.js';
import { contentFailure, httpFailure, send } from './exchange.js';
import type { StageContext } from './types.js';

export interface FetchedMetadata {
  mex: MexDocument;
  route: MetadataRoute;
  /** Where the metadata came from (the origin port addresses are moved onto, https-address.ts). */
  url: string;
}

export interface MetadataRequest {
  /** The service URL, e.g. https://pool/WebTicket/WebTicketService.svc. */
  serviceUrl: string;
  /** Trace label prefix, e.g. 'WebTicketService'. */
  label: string;
  /** Who the metadata belongs to, for messages: 'Web Ticket' or 'CertProv'. */
  subject: string;
}

/** How many characters of an unreadable document the report shows. */
const FIRST_CHARS = 120;

interface Attempt {
  route: MetadataRoute;
  url: string;
  response: HttpResponse;
  problem?: { kind: MexProblem; reason: string };
}

/** The WS-MetadataExchange request: an empty WS-Transfer Get addressed to the mex endpoint. */
export function getMetadataRequest(mexUrl: string): { body: string; headers: Record<string, string> } {
  return {
    body: buildEnvelope({ version: '1.2', header: addressingHeaders({ to: mexUrl, action: ACTION_WS_TRANSFER_GET }), body: '' }),
    headers: soapHttpHeaders('1.2', ACTION_WS_TRANSFER_GET),
  };
}

function routes(serviceUrl: string): Array<{ route: MetadataRoute; url: string; method: 'GET' | 'POST' }> {
  const service = serviceUrl.replace(/\/+$/, '');
  const mexUrl = `${service}/mex`;
  return [
    { route: 'GET /mex', url: mexUrl, method: 'GET' },
    { route: 'GET ?wsdl', url: `${service}?wsdl`, method: 'GET' },
    { route: 'POST GetMetadata', url: mexUrl, method: 'POST' },
  ];
}

/** An HTML page (IIS error page, WCF's "metadata publishing is disabled" page) is "no metadata here", not a broken document. */
function isHtml(response: HttpResponse): boolean {
  return /html/i.test(response.headers['content-type'] ?? '') || /^\s*(<!doctype html|<html)/i.test(response.text.slice(0, 64));
}

/** Reads the metadata the first way that works; throws the StageFailure that says why none did. */
export async function fetchMetadata(context: StageContext, request: MetadataRequest): Promise<FetchedMetadata> {
  const attempts: Attempt[] = [];
  for (const { route, url, method } of routes(request.serviceUrl)) {
    if (attempts.length === 0) context.log.step(`Trying to download MEX data from ${url}`);
    else context.log.defaulted(`${request.subject} metadata not at ${attempts[attempts.length - 1]?.route}; trying ${route} ${url}`);
    const post = method === 'POST' ? getMetadataRequest(url) : undefined;
    const response = await send(context, {
      method,
      url,
      label: `${request.label}-${route === 'GET /mex' ? 'mex' : route === 'GET ?wsdl' ? 'wsdl' : 'getmetadata'}`,
      ...(post ? { headers: post.headers, body: post.body } : {}),
      oversizedAs: CONTENT.metadataUnreadable,
    });
    if (response.status === 200) {
      const parsed = parseMex(response.text);
      if (parsed.ok) {
        context.log.detail(`${request.subject} metadata read by ${route} (${response.body.length} bytes)`);
        return { mex: parsed.mex, route, url };
      }
      attempts.push({ route, url, response, problem: { kind: parsed.problem, reason: parsed.reason } });
    } else {
      attempts.push({ route, url, response });
    }
  }
  throw metadataFailure(request.subject, attempts);
}

function metadataFailure(subject: string, attempts: Attempt[]): Error {
  const tried = attempts.map((a) => `${a.route} → ${a.response.status}`).join(', ');
  // A document that came with 200 and is not an HTML page was meant as metadata: its defect is the news.
  const meantAsMetadata = attempts.find((a) => a.problem && !isHtml(a.response));
  const onlyPages = attempts.every((a) => a.problem) ? attempts[0] : undefined;
  const unreadable = meantAsMetadata ?? onlyPages;
  if (unreadable?.problem) {
    const firstChars = quoteText(unreadable.response.text.slice(0, FIRST_CHARS), FIRST_CHARS);
    return contentFailure(
      CONTENT.metadataUnreadable,
      `${subject} metadata from ${unreadable.route} is not usable WSDL: ${unreadable.problem.reason}; it begins ${firstChars} (${unreadable.response.body.length} bytes; tried ${tried})`,
      { url: unreadable.url, metadataTried: tried, firstBytes: firstChars },
    );
  }
  // Otherwise the first HTTP error (normally that of …/mex) says why there is no metadata.
  const first = attempts.find((a) => !a.problem) ?? attempts[0];
  if (!first) return new Error('no metadata route was tried');
  return httpFailure(first.response, { url: first.url, metadataTried: tried });
}
