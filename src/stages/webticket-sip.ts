// Stage 6, webticket-sip: the second ticket, now with the user's SIP URI as a claim and the
// WebTicketProof address as AppliesTo, as the cmdlet asks before GetAndPublishCert.

import { requestTicket } from './ticket-client.js';
import type { StageContext, StageOutcome } from './types.js';

export async function webticketSip(context: StageContext): Promise<StageOutcome> {
  const { state } = context;
  const port = state.pinPort;
  const proof = state.certProv;
  if (!port || !proof || !state.userSipUri) throw new Error('webticket-sip needs the PIN port, the proof address and the SIP URI');
  // No check of our own for an earlier rejection: requestTicket's pin.reveal() refuses a latched PIN.
  const { held, evidence, lifetime } = await requestTicket(context, {
    port,
    appliesTo: proof.proofAddress,
    sipUri: state.userSipUri,
    label: 'IssueToken-sip',
  });
  state.secondTicket = held;
  state.discovered.webTicketExpires = held.ticket.expires;
  return { status: 'pass', summary: `ticket for ${state.userSipUri}, lifetime ${lifetime}`, evidence };
}
