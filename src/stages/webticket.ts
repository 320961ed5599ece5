// Stage 3, webticket: HTTPS to the Web Ticket Service, verified against the downloaded root (the
// transport holds the anchors), metadata first, then IssueToken with the extension and PIN.
//
// The ticket is for the CertProv WebTicketProof port (its AppliesTo), which only the CertProv metadata
// names, so that metadata is read first, as pidgin-sipe does (service metadata, then the ticket).
// The stages keep the cmdlet's order: certprov-mex still reports on that metadata after this stage.

import { chooseCertProvPort } from '../soap/services/mex.js';
import { certProvMetadata } from './certprov-mex.js';
import { findPinPort, requestTicket } from './ticket-client.js';
import { StageFailure, type StageContext, type StageOutcome } from './types.js';
import { TransportError, type TransportErrorCode } from '../net/errors.js';

/** Transport failures that mean the CertProv metadata answer arrived broken, not that the pool was out of reach. */
const BROKEN_ANSWER: ReadonlySet<TransportErrorCode> = new Set(['BT_RESPONSE_TOO_LARGE', 'BT_RESPONSE_HEADERS_TOO_LARGE', 'BT_PROTOCOL']);

/**
 * The first ticket's AppliesTo: the WebTicketProof port address from the CertProv metadata. When that
 * metadata is unusable the option-43 service stands in, so that the PIN is still tested; the
 * certprov-mex stage then fails with the metadata's own diagnosis.
 */
async function ticketAudience(context: StageContext): Promise<{ appliesTo: string; source: 'certprov-metadata' | 'option-43' }> {
  const { state, log } = context;
  const fallback = state.certProvisioningUrl?.toString() ?? '';
  let problem: string;
  try {
    const { mex } = await certProvMetadata(context);
    const choice = chooseCertProvPort(mex);
    if (choice.ok) {
      log.detail(`First ticket AppliesTo ${choice.port.address} (the ${choice.port.name} port of the CertProv metadata)`);
      return { appliesTo: choice.port.address, source: 'certprov-metadata' };
    }
    problem = 'it names no WebTicketProof port';
  } catch (error) {
    // Reaching the pool over HTTPS is this stage's (its first HTTPS contact: TCP, TLS, the deadline);
    // an answer that arrived but is unusable, however broken, is certprov-mex's to report.
    if (!(error instanceof StageFailure || (error instanceof TransportError && BROKEN_ANSWER.has(error.code)))) throw error;
    problem = error.message;
  }
  log.defaulted(`First ticket AppliesTo ${fallback}: the CertProv metadata is not usable (${problem}); certprov-mex reports it`);
  return { appliesTo: fallback, source: 'option-43' };
}

export async function webticket(context: StageContext): Promise<StageOutcome> {
  const { state } = context;
  if (!state.certProvisioningUrl) throw new Error('webticket needs the certificate provisioning URL from discover');
  const audience = await ticketAudience(context);
  const port = await findPinPort(context);
  state.pinPort = port;
  state.webTicketUrl = port.url;
  const { held, evidence, lifetime } = await requestTicket(context, { port, appliesTo: audience.appliesTo, label: 'IssueToken' });
  state.firstTicket = held;
  state.discovered.webTicketExpires = held.ticket.expires;
  return {
    status: 'pass',
    summary: `ticket via ${port.name}, lifetime ${lifetime}`,
    evidence: { ...evidence, appliesToFrom: audience.source },
  };
}
