// Stage 5, resolveuser: who do this number and PIN belong to? ResolveUser at the WebTicketProof
// address with the first ticket as proof; the SIP URI it names is checked against --user-sip-address.

import { CONTENT } from '../diagnosis/observation.js';
import {
  buildResolveUserRequest,
  DEFAULT_RESOLVE_USER_SHAPE,
  describeResolveUser,
  parseResolveUserResponse,
  RESOLVE_USER_SHAPES,
  type ResolveUserShape,
} from '../soap/services/inferred/resolve-user.js';
import { quoteText } from '../text.js';
import { contentFailure, httpFailure, soapFaultFailure } from './exchange.js';
import { callWithProof, proofKeyEvidence } from './ticket-client.js';
import type { StageContext, StageOutcome } from './types.js';

function shapeOf(context: StageContext): ResolveUserShape {
  const asked = context.options.resolveUserShape;
  if (asked === undefined) return DEFAULT_RESOLVE_USER_SHAPE;
  if (!(RESOLVE_USER_SHAPES as readonly string[]).includes(asked)) {
    throw new Error(`unknown ResolveUser shape "${asked}" (the CLI checks this before the run)`);
  }
  return asked as ResolveUserShape;
}

/** The same user, compared as diagnosis.md says: case-insensitively, with the sip: prefix. */
export function sameSipUri(a: string, b: string): boolean {
  const normal = (uri: string) => (/^sip:/i.test(uri) ? uri : `sip:${uri}`).toLowerCase();
  return normal(a) === normal(b);
}

export async function resolveUser(context: StageContext): Promise<StageOutcome> {
  const { state, log } = context;
  const proof = state.certProv;
  if (!proof || !state.firstTicket) throw new Error('resolveuser needs the proof address and the first ticket');
  const shape = shapeOf(context);
  log.step('Attempting ResolveUser()');
  log.inferred(`${describeResolveUser(shape).replace(/^inferred: /, '')}; switch with --resolve-user-shape ${RESOLVE_USER_SHAPES.join('|')}`);
  const response = await callWithProof(context, state.firstTicket, {
    operation: 'ResolveUser',
    build: (security, action, soapVersion) =>
      buildResolveUserRequest({ to: proof.proofAddress, action, security, shape, phoneOrExt: context.options.phoneOrExt, soapVersion }),
    oversizedAs: CONTENT.responseUnreadable,
  });
  const evidence = { url: proof.proofUrl, shape, proof: proof.policy, ...proofKeyEvidence(context, state.firstTicket) };
  const parsed = parseResolveUserResponse(response.text);
  if (parsed.kind === 'fault') throw soapFaultFailure(parsed.fault, response, evidence);
  if (response.status !== 200) throw httpFailure(response, evidence);
  if (parsed.kind === 'invalid') {
    const firstChars = quoteText(response.text.slice(0, 120), 120);
    throw contentFailure(CONTENT.responseUnreadable, `ResolveUser answer unreadable: ${parsed.reason}; it begins ${firstChars}`, { ...evidence, firstBytes: firstChars });
  }
  if (parsed.kind === 'no-user') throw contentFailure(CONTENT.noSipUri, `ResolveUser accepted the proof but named no user: ${parsed.detail}`, evidence);

  log.step('ResolveUser() webservice call successful');
  log.step(`The number and PIN belong to ${parsed.sipUri} (found in ${parsed.foundIn})`);
  state.userSipUri = parsed.sipUri;
  state.discovered.userSipUri = parsed.sipUri;
  const expected = context.options.userSipAddress;
  if (expected && !sameSipUri(expected, parsed.sipUri)) {
    throw contentFailure(CONTENT.userMismatch, `the number and PIN belong to ${parsed.sipUri}, not ${expected}`, {
      ...evidence,
      resolved: parsed.sipUri,
      expected,
    });
  }
  return {
    status: 'pass',
    summary: expected ? `${parsed.sipUri} (as expected)` : parsed.sipUri,
    evidence: { ...evidence, sipUri: parsed.sipUri, ...(expected ? { expected } : {}) },
  };
}
