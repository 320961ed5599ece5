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
  PROOF_KEY_INTERPRETATIONS,
  ticketProofKeys,
  type ProofKeyCandidate,
  type ProofKeyInterpretation,
  type WebTicket,
} from '../soap/services/webticket.js';
import { parseEnvelope } from '../soap/envelope.js';
import { isProofRefusalFault } from '../diagnosis/classify.js';
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
import { CLOCK_SKEW_FAIL_MS } from '../time/sources.js';

/** Documented location of the Web Ticket Service beside CertProv (protocol.md section 3). */
export const WEB_TICKET_SERVICE_PATH = '/WebTicket/WebTicketService.svc';


/**
 * The PIN credential's encoding, by the documented precedence: --pin-encoding > the PIN port's policy
 * > the default. An option that differs from the policy is used, with a warning naming both.
 */
function chooseEncoding(context: StageContext, policy: MexPolicy | undefined): PinEncoding {
  const fromPolicy = encodingFromPolicy(policy);
  const option = context.options.pinEncoding;
  if (option) {
    if (fromPolicy.encoding && fromPolicy.encoding !== option) {
      context.log.warn(`PIN encoding ${option} from --pin-encoding, although the PIN port's policy asks for ${fromPolicy.encoding} (${fromPolicy.reason})`);
    } else {
      context.log.detail(`PIN encoding ${option} from --pin-encoding (${fromPolicy.reason})`);
    }
    return option;
  }
  if (fromPolicy.encoding) {
    context.log.detail(`PIN encoding ${fromPolicy.encoding} from the server's policy (${fromPolicy.reason})`);
    return fromPolicy.encoding;
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
  context.log.defaulted(`Web Ticket Service at the documented path ${WEB_TICKET_SERVICE_PATH} on the option-43 host (the CertProv policy's ticket issuer is compared with it at certprov-mex)`);
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
  // The catalogue's time-clock-skew limit: beyond it servers refuse the proof.
  if (ahead * 1000 > CLOCK_SKEW_FAIL_MS) {
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

const PROOF_SOURCE_TEXT: Readonly<Record<WebTicket['proofSource'], string>> = {
  'computed-key': 'RequestedProofToken/ComputedKey with the server Entropy',
  entropy: 'the server Entropy (no ComputedKey named)',
  'proof-secret': 'RequestedProofToken/BinarySecret',
  elsewhere: 'a BinarySecret outside RequestedProofToken and Entropy',
};

/** The ticket with its proof key; a reading CertProv already accepted in this run goes first. */
function heldTicket(ticket: WebTicket, candidates: ProofKeyCandidate[], accepted: ProofKeyInterpretation | undefined): HeldTicket {
  const ordered = [...candidates].sort((a, b) => Number(b.interpretation === accepted) - Number(a.interpretation === accepted));
  const [primary, alternative] = ordered as [ProofKeyCandidate, ProofKeyCandidate | undefined];
  return {
    ticket,
    proofKey: primary.key,
    keyInterpretation: primary.interpretation,
    ...(alternative ? { alternativeKey: alternative } : {}),
  };
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
    const held = heldTicket(parsed.ticket, ticketProofKeys(parsed.ticket, clientEntropy), context.state.acceptedProofKey);
    const lifetime = lifetimeText(parsed.ticket);
    log.step(`Received web ticket valid until ${parsed.ticket.expires} (lifetime ${lifetime})`);
    log.detail(
      `Proof key from ${PROOF_SOURCE_TEXT[parsed.ticket.proofSource]}: ${PROOF_KEY_INTERPRETATIONS[held.keyInterpretation]}` +
        (held.alternativeKey ? `; if CertProv refuses it, once more with ${PROOF_KEY_INTERPRETATIONS[held.alternativeKey.interpretation]}` : ''),
    );
    return { held, evidence: { ...evidence, expires: parsed.ticket.expires, lifetime, proofKeyFrom: parsed.ticket.proofSource }, lifetime };
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
  if (parsed.kind === 'unsupported-proof') {
    throw contentFailure(CONTENT.proofKeyUnsupported, `the ticket came with a proof key this client cannot use: ${parsed.reason}`, evidence);
  }
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

/** A refusal of the proof or the ticket: HTTP 401/403 or a WS-Security fault (not "no such user"). */
function isProofRefusal(response: HttpResponse): boolean {
  if (response.status === 401 || response.status === 403) return true;
  const message = parseEnvelope(response.text);
  return message.kind === 'fault' && isProofRefusalFault(message.fault.codeName);
}

async function postWithProof(context: StageContext, held: HeldTicket, proofKey: Buffer | undefined, call: ProofCall): Promise<HttpResponse> {
  const proof = context.state.certProv;
  if (!proof) throw new Error(`${call.operation} needs the WebTicketProof address`);
  const request = call.build(buildProofSecurity(held.ticket, proofKey), proof.actions[call.operation], proof.soapVersion);
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

/**
 * Posts an operation to the WebTicketProof address with `held` as proof (protocol.md section 5):
 * signed with the proof key when the policy is endorsing, the bare ticket when it is only signed.
 * When the token response left the key's reading open and CertProv refuses the proof, the call is
 * made once more with the same ticket and the other reading (no PIN is sent); the one CertProv
 * accepts is kept on the ticket and in the run state for the next ticket.
 */
export async function callWithProof(context: StageContext, held: HeldTicket, call: ProofCall): Promise<HttpResponse> {
  const endorsing = context.state.certProv?.policy === 'endorsing';
  const first = await postWithProof(context, held, endorsing ? held.proofKey : undefined, call);
  if (!endorsing) return first;
  const alternative = held.alternativeKey;
  if (!isProofRefusal(first)) {
    context.state.acceptedProofKey = held.keyInterpretation;
    context.log.detail(`${call.operation}: CertProv accepted the proof signed with ${PROOF_KEY_INTERPRETATIONS[held.keyInterpretation]}`);
    return first;
  }
  if (!alternative) return first;
  delete held.alternativeKey;
  context.log.warn(
    `${call.operation}: CertProv refused the proof signed with ${PROOF_KEY_INTERPRETATIONS[held.keyInterpretation]} (HTTP ${first.status}); ` +
      `once more with the same ticket and ${PROOF_KEY_INTERPRETATIONS[alternative.interpretation]}`,
  );
  const second = await postWithProof(context, held, alternative.key, call);
  if (isProofRefusal(second)) return second;
  held.refusedInterpretation = held.keyInterpretation;
  held.proofKey = alternative.key;
  held.keyInterpretation = alternative.interpretation;
  context.state.acceptedProofKey = alternative.interpretation;
  context.log.step(`${call.operation}: CertProv accepted the proof key as ${PROOF_KEY_INTERPRETATIONS[alternative.interpretation]}`);
  return second;
}

/** Which proof-key reading a stage's calls went out with, for its evidence. */
export function proofKeyEvidence(context: StageContext, held: HeldTicket): Evidence {
  if (context.state.certProv?.policy !== 'endorsing') return {};
  return {
    proofKey: held.keyInterpretation,
    ...(held.refusedInterpretation ? { proofKeyRefused: held.refusedInterpretation } : {}),
  };
}
