// What every lab service reads: the pool's names and addresses, its directory and PKI, the served
// variants of the inferred messages, and the server clock (which the clock faults move).

import type { PinEncoding } from '../soap/services/inferred/pin-credential.js';
import type { ResolveUserShape } from '../soap/services/inferred/resolve-user.js';
import type { ResolveUserResponseLayout } from './wire/resolve-user.js';
import type { RootChainVariant } from '../soap/services/inferred/root-chain.js';
import type { RootChainAnswerFormat } from './wire/root-chain.js';
import type { TokenLayout } from './wire/webticket.js';
import type { LabDirectory } from './directory.js';
import type { WireLayout } from './layouts.js';
import type { FaultSet } from './faults.js';
import type { PinLedger } from './pin-ledger.js';
import type { PoolPki } from './pool-pki.js';
import type { TicketStore } from './tickets.js';

export const LAB_PATHS = {
  certProv: '/CertProv/CertProvisioningService.svc',
  certProvMex: '/CertProv/CertProvisioningService.svc/mex',
  webTicketProof: '/CertProv/CertProvisioningService.svc/WebTicket_Proof',
  webTicket: '/WebTicket/WebTicketService.svc',
  webTicketMex: '/WebTicket/WebTicketService.svc/mex',
  /** The PIN port's address is the lab's choice (the real one is not public); clients read it from /mex. */
  webTicketPin: '/WebTicket/WebTicketService.svc/Pin',
  webTicketCert: '/WebTicket/WebTicketService.svc/Cert',
  webTicketWsFed: '/WebTicket/WebTicketService.svc/WsFed_bearer',
  status: '/lab/status',
} as const;

export interface LabUrls {
  /** The port-80 role: what phones download the root chain from. */
  certProvAnonymous: string;
  /** The option 43 URL (https, 443 role). */
  certProv: string;
  certProvMex: string;
  webTicketProof: string;
  webTicket: string;
  webTicketMex: string;
  webTicketPin: string;
  /** JSON: faults, counters (on the HTTP listener). */
  status: string;
}

export function labUrls(fqdn: string, httpPort: number, httpsPort: number): LabUrls {
  const http = `http://${fqdn}${httpPort === 80 ? '' : `:${httpPort}`}`;
  const https = `https://${fqdn}${httpsPort === 443 ? '' : `:${httpsPort}`}`;
  return {
    certProvAnonymous: `${http}${LAB_PATHS.certProv}`,
    certProv: `${https}${LAB_PATHS.certProv}`,
    certProvMex: `${https}${LAB_PATHS.certProvMex}`,
    webTicketProof: `${https}${LAB_PATHS.webTicketProof}`,
    webTicket: `${https}${LAB_PATHS.webTicket}`,
    webTicketMex: `${https}${LAB_PATHS.webTicketMex}`,
    webTicketPin: `${https}${LAB_PATHS.webTicketPin}`,
    status: `${http}${LAB_PATHS.status}`,
  };
}

/** Which inferred message shapes the pool serves (a real pool serves one; the lab can serve any). */
export interface ServedVariants {
  pinEncoding: PinEncoding;
  rootChainVariant: RootChainVariant | 'any';
  rootChainFormat: RootChainAnswerFormat;
  resolveUserShape: ResolveUserShape | 'any';
  resolveUserLayout: ResolveUserResponseLayout;
  /** The ResolveUser action the CertProv WSDL names and the lab accepts. */
  resolveUserAction: string;
  /** How the token response carries the proof key (wire/webticket.ts TOKEN_LAYOUTS). */
  tokenLayout: TokenLayout;
  /** 'endorsing' requires the proof signature; 'signed' takes the ticket without one. */
  proofPolicy: 'endorsing' | 'signed';
  /** Valid layouts of metadata and answers (src/lab/layouts.ts), any combination. */
  layouts: readonly WireLayout[];
}

/** The variants a caller asked for; unset ones default to what the client sends (services.ts). */
export type RequestedVariants = Partial<ServedVariants>;

export interface LabSettings {
  certValidityHours: number;
  ticketLifetimeMinutes: number;
  /** Timestamp tolerance on proofs (WCF's default is 5 minutes). */
  proofSkewMs: number;
}

export interface LabCounters {
  ticketsIssued: number;
  certificatesIssued: number;
  proofRejections: number;
  resolveUserCalls: number;
}

export interface PoolContext {
  fqdn: string;
  registrarFqdn: string;
  urls: LabUrls;
  directory: LabDirectory;
  ledger: PinLedger;
  tickets: TicketStore;
  pki: PoolPki;
  variants: ServedVariants;
  settings: LabSettings;
  counters: LabCounters;
  /** The real clock of the lab process (ms). */
  realNow: () => number;
  /** Certificates GetAndPublishCert published (SHA-256 fingerprint → SIP URI); the registrar accepts only these. */
  published: Map<string, string>;
}

/** The server's clock under the current faults: clock-ahead / clock-behind move it. */
export function serverNow(context: PoolContext, faults: FaultSet): number {
  const ahead = faults.numeric('clock-ahead') ?? 0;
  const behind = faults.numeric('clock-behind') ?? 0;
  return context.realNow() + (ahead - behind) * 1000;
}

/** `2030-01-01T00:00:00.000Z` → `2030-01-01T00:00:00Z`, the form WCF writes in tickets. */
export function wcfTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
