// Web tickets the lab has issued, by AssertionID: what a later proof is checked against. Only the
// lab's memory holds the proof keys; nothing here is ever logged.

export interface IssuedTicket {
  assertionId: string;
  /** CK/PSHA1 of the client's and the lab's entropy. */
  proofKey: Buffer;
  sipUri: string;
  /** What the phone typed, for ResolveUser's `entity` shape. */
  phoneOrExt: string;
  /** The AppliesTo the ticket was asked for (its SAML Audience); proofs check it (ticketAudienceProblem). */
  appliesTo?: string;
  notBefore: number;
  expires: number;
}

/** Enough for any rehearsal; the oldest tickets go first when it fills up. */
const MAX_TICKETS = 10_000;

export class TicketStore {
  private readonly tickets = new Map<string, IssuedTicket>();
  private issued = 0;

  add(ticket: IssuedTicket, now: number): void {
    this.prune(now);
    if (this.tickets.size >= MAX_TICKETS) {
      const oldest = this.tickets.keys().next().value;
      if (oldest !== undefined) this.tickets.delete(oldest);
    }
    this.tickets.set(ticket.assertionId, ticket);
    this.issued += 1;
  }

  get(assertionId: string): IssuedTicket | undefined {
    return this.tickets.get(assertionId);
  }

  get issuedCount(): number {
    return this.issued;
  }

  private prune(now: number): void {
    for (const [id, ticket] of this.tickets) {
      if (ticket.expires < now - 3_600_000) this.tickets.delete(id);
    }
  }
}

/** Host and path, compared without case; scheme and port may differ (a published http:// address). */
function sameEndpoint(a: string, b: string): boolean {
  try {
    const left = new URL(a.trim());
    const right = new URL(b.trim());
    const path = (url: URL): string => url.pathname.toLowerCase().replace(/\/+$/, '');
    return left.hostname.toLowerCase() === right.hostname.toLowerCase() && path(left) === path(right);
  } catch {
    return false;
  }
}

/**
 * Why a ticket may not be used at `audience` (the WebTicketProof port address), or undefined when it
 * may: a service that checks the SAML audience refuses a ticket issued for any other AppliesTo.
 */
export function ticketAudienceProblem(ticket: Pick<IssuedTicket, 'appliesTo'>, audience: string): string | undefined {
  if (ticket.appliesTo === undefined) return 'the ticket names no audience (no AppliesTo in its request)';
  return sameEndpoint(ticket.appliesTo, audience) ? undefined : `the ticket was issued for ${ticket.appliesTo}, not for ${audience}`;
}
