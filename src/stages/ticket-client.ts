// The web-ticket client, shared by the two ticket stages: read the Web Ticket Service's
// metadata, pick the PIN port, let its policy choose the credential encoding, send IssueToken once,
// and judge the answer (fault, X-Ms-diagnostics, incomplete token, clock). Any failed PIN request
// latches the PIN so that nothing in this run can send it again.

import { CONTENT, observe } from '../diagnosis/observation.js';
import { parseMsDiagnostics, soapHttpHeaders, type SoapVersion } from '../soap/envelope.js';
import { buildProofSecurity } from '../soap/proof.js';
import { SecretNotOverHttpsError } from '../net/errors.js';
import type { HttpResponse } from '../net/transport.js';
import { choosePinPort, soapVersionOf, type MexPolicy } from '../soap/services/mex.js';
import {
  buildIssueTokenRequest,
  newClientEntropy,
  parseIssueTokenResponse,
  ticketProofKey,
  type WebTicket,
} from '../soap/services/webticket.js';
import {
  buildPinCredentialHeader,
  DEFAULT_PIN_ENCODING,
  describePinCredential,
  encodingFromPolicy,
  type PinEncoding,
} from '../soap/services/inferred/pin-credential.js';
import type { Evidence } from '../model.js';
import { contentFailure, httpFailure, send, siblingUrl, soapFaultFailure } from './exchange.js';
import { secureTarget } from './https-address.js';
import { fetchMetadata } from './metadata.js';
import { StageFailure, type HeldTicket, type PinPort, type StageContext } from './types.js';

/** Documented location of the Web Ticket Service beside CertProv (protocol.md section 3). */
export const WEB_TICKET_SERVICE_PATH = '/WebTicket/WebTicketService.svc';

/** Beyond this, ticket times and the local clock disagree enough for servers to refuse the proof. */
const CLOCK_TOLERANCE_SECONDS = 300;

function chooseEncoding(context: StageContext, policy: MexPolicy | undefined): PinEncoding {
  const fromPolicy = encodingFromPolicy(policy);
  const option = context.options.pinEncoding;
  if (fromPolicy.encoding) {
    if (option && option !== fromPolicy.encoding) {
      context.log.warn(`--pin-encoding ${option} not used: the PIN port's policy asks for ${fromPolicy.encoding} (${fromPolicy.reason})`);
    } else {
      context.log.detail(`PIN encoding ${fromPolicy.encoding} from the server's policy (${fromPolicy.reason})`);
    }
    return fromPolicy.encoding;
  }
  if (option) {
    context.log.detail(`PIN encoding ${option} from --pin-encoding (${fromPolicy.reason})`);
    return option;
  }
  context.log.defaulted(`PIN encoding ${DEFAULT_PIN_ENCODING}: ${fromPolicy.reason}; switch with --pin-encoding plain|base64`);
  return DEFAULT_PIN_ENCODING;
}

/** Reads the Web Ticket Service metadata and picks the PIN port (first ticket stage). */
export async function findPinPort(context: StageContext): Promise<PinPort> {
  const base = context.state.certProvisioningUrl;
  if (!base) throw new Error('webticket needs the certificate provisioning URL from discover');
  const serviceUrl = siblingUrl(base, WEB_TICKET_SERVICE_PATH);
  context.log.step(`Connecting to web service : ${serviceUrl}`);
  context.log.defaulted(`Web Ticket Service at the documented path ${WEB_TICKET_SERVICE_PATH} on the option-43 host (the CertProv metadata that names it is read later)`);
  const metadata = await fetchMetadata(context, { serviceUrl, label: 'WebTicketService', subject: 'Web Ticket' });
  const choice = choosePinPort(metadata.mex);
  if (!choice.ok) {
    throw contentFailure(
      CONTENT.noPinPort,
      `Web Ticket metadata lists no PIN port (${choice.reason}); ports found: ${choice.found.join(', ') || 'none'}`,
      { portsFound: choice.found },
    );
  }
  context.log.step(`Found endpoint ${choice.port.name} at ${choice.port.address}`);
  const url = secureTarget(context.log, `PIN port ${choice.port.name}`, choice.port.address, metadata.url);
  const soapVersion = soapVersionOf(metadata.mex, choice.port.name);
  if (soapVersion !== '1.1') context.log.detail(`${choice.port.name} has a SOAP ${soapVersion} binding`);
  return {
    serviceUrl,
    address: choice.port.address,
    url,
    name: choice.port.name,
    encoding: chooseEncoding(context, choice.policy),
    soapVersion,
    metadataRoute: metadata.route,
  };
}

function secondsBetween(later: Date, earlier: Date): number {
  return (later.getTime() - earlier.getTime()) / 1000;
}

/** Ticket times against the local clock: a ticket from the future or already expired means skewed clocks. */
function checkTicketClock(context: StageContext, ticket: WebTicket, evidence: Evidence): void {
  const now = context.clock.now();
  const created = new Date(ticket.created);
  const expires = new Date(ticket.expires);
  if (Number.isNaN(created.getTime()) || Number.isNaN(expires.getTime())) {
    throw contentFailure(CONTENT.rstrIncomplete, `ticket Lifetime is not a date (Created "${ticket.created}", Expires "${ticket.expires}")`, evidence);
  }
  const ahead = secondsBetween(created, now);
  if (ahead > CLOCK_TOLERANCE_SECONDS) {
    throw new StageFailure(
      {
        observation: observe.clock(ahead),
        message: `the ticket was created ${Math.round(ahead)} s in the future by this host's clock (Created ${ticket.created}, now ${now.toISOString()})`,
      },
      { ...evidence, created: ticket.created, expires: ticket.expires, localTime: now.toISOString() },
    );
  }
  if (expires.getTime() <= now.getTime()) {
    const behind = secondsBetween(expires, now) - secondsBetween(expires, created);
    throw new StageFailure(
      {
        observation: observe.clock(behind),
        message: `the ticket had already expired when it arrived (Expires ${ticket.expires}, now ${now.toISOString()})`,
      },
      { ...evidence, created: ticket.created, expires: ticket.expires, localTime: now.toISOString() },
    );
  }
}

function lifetimeText(ticket: WebTicket): string {
  const ms = new Date(ticket.expires).getTime() - new Date(ticket.created).getTime();
  const minutes = Math.round(ms / 60_000);
  return minutes >= 120 ? `${Math.round(minutes / 60)} h` : `${minutes} min`;
}

export interface TicketRequest {
  port: PinPort;
  appliesTo: string;
  sipUri?: string;
  label: string;
}

/** One IssueToken with the PIN. Latches the PIN on any answer that is not a ticket. */
export async function requestTicket(context: StageContext, request: TicketRequest): Promise<{ held: HeldTicket; evidence: Evidence; lifetime: string }> {
  const { log, pin } = context;
  const evidence: Evidence = {
    url: request.port.url,
    port: request.port.name,
    encoding: request.port.encoding,
    appliesTo: request.appliesTo,
    metadata: request.port.metadataRoute,
    soap: request.port.soapVersion,
  };
  log.step('Using PIN authentication');
  log.inferred(describePinCredential(request.port.encoding).replace(/^inferred: /, ''));
  const clientEntropy = newClientEntropy();
  const credentialHeader = buildPinCredentialHeader({
    phoneOrExt: context.options.phoneOrExt,
    pin: pin.reveal(),
    encoding: request.port.encoding,
  });
  const soap = buildIssueTokenRequest({
    to: request.port.address,
    appliesTo: request.appliesTo,
    clientEntropy,
    credentialHeader,
    sipUri: request.sipUri,
    soapVersion: request.port.soapVersion,
  });
  log.step(request.sipUri ? `Requesting new web ticket for ${request.sipUri}` : 'Requesting new web ticket');

  let response;
  try {
    response = await send(context, {
      method: 'POST',
      url: request.port.url,
      label: request.label,
      headers: soapHttpHeaders(request.port.soapVersion, soap.action),
      body: soap.xml,
      oversizedAs: CONTENT.rstrIncomplete,
      carriesSecret: true,
    });
  } catch (error) {
    // The PIN may have reached the server; an unanswered attempt still counts toward lockout. A
    // request refused before it left (not https) did not use the PIN up.
    if (!(error instanceof SecretNotOverHttpsError)) pin.markRejected('no usable answer to the PIN request');
    throw error;
  }

  const parsed = parseIssueTokenResponse(response.text);
  if (parsed.kind === 'ticket' && response.status === 200) {
    checkTicketClock(context, parsed.ticket, evidence);
    const held: HeldTicket = { ticket: parsed.ticket, proofKey: ticketProofKey(parsed.ticket, clientEntropy) };
    const lifetime = lifetimeText(parsed.ticket);
    log.step(`Received web ticket valid until ${parsed.ticket.expires} (lifetime ${lifetime}; server entropy from ${parsed.ticket.entropySource})`);
    return { held, evidence: { ...evidence, expires: parsed.ticket.expires, lifetime }, lifetime };
  }

  log.step('Could not get web ticket');
  const diagnostics = parseMsDiagnostics(response.headers['x-ms-diagnostics']);
  if (parsed.kind === 'fault') {
    pin.markRejected(`SOAP fault ${parsed.fault.code}${parsed.fault.errorId ? ` ErrorId ${parsed.fault.errorId}` : ''}`);
    throw soapFaultFailure(parsed.fault, response, evidence);
  }
  if (response.status !== 200) {
    pin.markRejected(`HTTP ${response.status}${diagnostics ? ` X-Ms-diagnostics ${diagnostics.errorId}` : ''}`);
    throw httpFailure(response, evidence, true);
  }
  pin.markRejected('the answer held no usable ticket');
  if (parsed.kind === 'incomplete') {
    throw contentFailure(CONTENT.rstrIncomplete, `token response without ${parsed.missing.join(', ')}`, { ...evidence, missing: parsed.missing });
  }
  throw contentFailure(CONTENT.rstrIncomplete, `token response unreadable: ${parsed.kind === 'invalid' ? parsed.reason : 'no ticket'}`, evidence);
}

export interface ProofCall {
  /** The operation as the WSDL names it, e.g. 'ResolveUser'; also the trace label. */
  operation: string;
  /** Builds the SOAP request around the WS-Security proof header and the WSDL's action, when given. */
  build: (security: string, action: string | undefined, soapVersion: SoapVersion) => { xml: string; action: string };
  /** The observation for an answer too large to read. */
  oversizedAs: string;
}

/**
 * Posts an operation to the WebTicketProof address with `held` as proof (protocol.md section 5):
 * signed with the proof key when the policy is endorsing, the bare ticket when it is only signed.
 */
export async function callWithProof(context: StageContext, held: HeldTicket, call: ProofCall): Promise<HttpResponse> {
  const proof = context.state.certProv;
  if (!proof) throw new Error(`${call.operation} needs the WebTicketProof address`);
  const request = call.build(
    buildProofSecurity(held.ticket, proof.policy === 'endorsing' ? held.proofKey : undefined),
    proof.actions[call.operation],
    proof.soapVersion,
  );
  return send(context, {
    method: 'POST',
    url: proof.proofUrl,
    label: call.operation,
    headers: soapHttpHeaders(proof.soapVersion, request.action),
    body: request.xml,
    oversizedAs: call.oversizedAs,
    carriesSecret: true,
  });
}
