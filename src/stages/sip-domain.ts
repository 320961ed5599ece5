// The SIP domain of the sign-in stages: --sip-domain, else the domain of ResolveUser's SIP URI (a
// PIN phone learns it no earlier). Set once in the run state, with where it came from.

import { normaliseName, sipDomainFromUri } from '../dns/registrar-lookup.js';
import type { StageContext } from './types.js';

export function sipDomainOf(context: StageContext): string | undefined {
  const { options, state } = context;
  if (state.sipDomain) return state.sipDomain;
  const fromUri = state.userSipUri ? sipDomainFromUri(state.userSipUri) : undefined;
  const name = options.sipDomain ? normaliseName(options.sipDomain) : fromUri;
  if (!name) return undefined;
  state.sipDomain = name;
  state.discovered.sipDomain = { name, source: options.sipDomain ? 'option' : 'resolveuser' };
  return name;
}
