// Helpers the HTTP stages share: send a request under the stage's deadline, and turn an unwanted
// answer (HTTP status, SOAP fault, X-Ms-diagnostics, oversized or unreadable body) into a
// StageFailure whose observation the diagnosis table knows, with the server's words kept verbatim.

import { quoteText } from '../text.js';
import { observe } from '../diagnosis/observation.js';
import { ResponseTooLargeError } from '../net/errors.js';
import type { HttpResponse } from '../net/transport.js';
import type { SoapFault } from '../soap/envelope.js';
import { parseMsDiagnostics } from '../soap/envelope.js';
import type { Evidence, Observation } from '../model.js';
import { StageFailure, type StageContext } from './types.js';

export interface SendOptions {
  method: 'GET' | 'POST';
  url: string;
  label: string;
  headers?: Record<string, string>;
  body?: string;
  /**
   * The content observation to report when the body is too large to be what the step expects
   * (e.g. 'rstr-incomplete' for IssueToken): an endless answer is an unusable answer.
   */
  oversizedAs?: string;
  /** The PIN, a ticket or a proof is in the body: the transport sends it over verified https only. */
  carriesSecret?: boolean;
}

/** One HTTP exchange under the stage's deadline. Transport failures propagate as TransportErrors. */
export async function send(context: StageContext, request: SendOptions): Promise<HttpResponse> {
  try {
    const response = await context.transport.request({
      method: request.method,
      url: request.url,
      label: request.label,
      headers: request.headers,
      body: request.body,
      deadline: context.deadline,
      signal: context.signal,
      carriesSecret: request.carriesSecret,
    });
    // Which pool member answered: behind a load balancer each request may reach another front end.
    const frontEnd = response.headers['x-ms-server-fqdn'];
    if (frontEnd) context.log.detail(`${request.label}: HTTP ${response.status} from front end ${quoteText(frontEnd, 100)} (X-MS-Server-Fqdn)`);
    return response;
  } catch (error) {
    if (error instanceof ResponseTooLargeError && request.oversizedAs) {
      throw new StageFailure({ observation: observe.content(request.oversizedAs), message: error.message }, { ...error.evidence });
    }
    throw error;
  }
}

/** The headers diagnosis.md keeps as evidence of an HTTP error, by lower-case name, with their usual spelling. */
const EVIDENCE_HEADERS: Readonly<Record<string, string>> = {
  'x-ms-diagnostics': 'X-Ms-diagnostics',
  'x-ms-server-fqdn': 'X-MS-Server-Fqdn',
  location: 'Location',
  date: 'Date',
};

/** The server's own words, verbatim: X-Ms-diagnostics, X-MS-Server-Fqdn, Location, Date. */
export function serverEvidence(response: HttpResponse): Record<string, string> {
  const server: Record<string, string> = {};
  for (const [name, label] of Object.entries(EVIDENCE_HEADERS)) {
    const value = response.headers[name];
    if (value !== undefined) server[label] = value;
  }
  return server;
}

/** An HTTP status that is not what a step expected, in the diagnosis vocabulary (`http:<status>`). */
export function httpStatusFailure(response: HttpResponse): { observation: Observation; message: string; server: Record<string, string> } {
  const url = new URL(response.url);
  return {
    observation: observe.http(response.status),
    message: `HTTP ${response.status} from ${url.host}${url.pathname}`,
    server: serverEvidence(response),
  };
}

/** An HTTP status the step did not expect. Uses X-Ms-diagnostics when the server sent one. */
export function httpFailure(response: HttpResponse, evidence: Evidence = {}, preferDiagnostics = false): StageFailure {
  const failure = httpStatusFailure(response);
  const diagnostics = parseMsDiagnostics(response.headers['x-ms-diagnostics']);
  const server = { ...failure.server };
  let observation = failure.observation;
  let message = failure.message;
  if (diagnostics) {
    server.ErrorId = diagnostics.errorId;
    if (diagnostics.reason) server.Reason = diagnostics.reason;
    message += `: X-Ms-diagnostics ${diagnostics.errorId}${diagnostics.reason ? ` "${diagnostics.reason}"` : ''}`;
    if (preferDiagnostics) observation = observe.xMsDiagnostics(diagnostics.errorId);
  }
  const facts: Record<string, unknown> = {};
  if (response.headers.location) facts.location = response.headers.location;
  if (diagnostics) facts.errorId = diagnostics.errorId;
  if (diagnostics?.reason) facts.serverReason = diagnostics.reason;
  return new StageFailure({ observation, message, server }, { ...evidence, status: response.status }, facts);
}

/** A SOAP fault as an observation (`soap-fault:<code>:<ErrorId>`), faultcode and reasons verbatim. */
export function soapFaultFailure(fault: SoapFault, response: HttpResponse, evidence: Evidence = {}): StageFailure {
  const server: Record<string, string> = { ...serverEvidence(response), faultcode: fault.code };
  if (fault.reason) server.faultstring = fault.reason;
  if (fault.errorId !== undefined) server.ErrorId = fault.errorId;
  if (fault.diagnosticReason) server.Reason = fault.diagnosticReason;
  const id = fault.errorId !== undefined ? ` ErrorId ${fault.errorId}` : '';
  const reason = fault.diagnosticReason ?? fault.reason;
  return new StageFailure(
    {
      observation: observe.soapFault(fault.codeName, fault.errorId),
      message: `SOAP fault ${fault.code}${id}${reason ? `: "${reason}"` : ''} (HTTP ${response.status})`,
      server,
    },
    { ...evidence, status: response.status },
    {
      ...(fault.errorId !== undefined ? { errorId: fault.errorId } : {}),
      ...(reason ? { serverReason: reason } : {}),
    },
  );
}

/** A reply that arrived but lacks what the step needs. */
export function contentFailure(what: string, message: string, evidence: Evidence = {}): StageFailure {
  return new StageFailure({ observation: observe.content(what), message }, evidence);
}

/** The certificate-provisioning URL's origin with another path (the Web Ticket Service lives beside it). */
export function siblingUrl(base: URL, path: string): string {
  const url = new URL(base.toString());
  url.pathname = path;
  url.search = '';
  return url.toString();
}
