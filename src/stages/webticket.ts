// Stage 3, webticket: HTTPS to the Web Ticket Service, verified against the downloaded root (the
// transport holds the anchors), metadata first, then IssueToken with the extension and PIN.

import { findPinPort, requestTicket } from './ticket-client.js';
import type { StageContext, StageOutcome } from './types.js';

export async function webticket(context: StageContext): Promise<StageOutcome> {
  const { state, log } = context;
  const certProv = state.certProvisioningUrl;
  if (!certProv) throw new Error('webticket needs the certificate provisioning URL from discover');
  const port = await findPinPort(context);
  state.pinPort = port;
  state.webTicketUrl = port.url;
  // The phone asks before it has read the CertProv metadata, so the ticket is for the option-43 service.
  const appliesTo = certProv.toString();
  log.defaulted(`First ticket AppliesTo ${appliesTo} (the option-43 service; the WebTicketProof address is not known yet)`);
  const { held, evidence, lifetime } = await requestTicket(context, { port, appliesTo, label: 'IssueToken' });
  state.firstTicket = held;
  state.discovered.webTicketExpires = held.ticket.expires;
  return { status: 'pass', summary: `ticket via ${port.name}, lifetime ${lifetime}`, evidence };
}
