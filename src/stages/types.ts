// The one signature every stage has (like blackbox_exporter's probers): a shared context in, an
// outcome out. Stages read what earlier stages left in `state`, write their own results there, and
// never reach for globals: options, transport, log, trace, clock and deadline all come in here.

import type { KeyObject } from 'node:crypto';
import type { X509Certificate } from 'node:crypto';
import type { InformSettings } from '../dhcp/inform-settings.js';
import type { ClientInterface } from '../dhcp/interfaces.js';
import type { KeyPair } from '../pki/keys.js';
import type { HttpTransport } from '../net/transport.js';
import type { ResolveRule } from '../net/resolve.js';
import type { UdpEndpoint } from '../net/udp-exchange.js';
import type { SipMessage } from '../sip/message.js';
import type { Discovered, Evidence, StageError, StageName } from '../model.js';
import type { PinHolder } from './pin-holder.js';
import type { PinEncoding } from '../soap/services/inferred/pin-credential.js';
import type { ProofKeyCandidate, ProofKeyInterpretation, WebTicket } from '../soap/services/webticket.js';
import type { MetadataRoute } from '../soap/services/mex.js';
import type { SoapVersion } from '../soap/envelope.js';
import type { FetchedMetadata } from './metadata.js';
import { BootstrapTestError } from '../errors.js';

/** DHCP settings of the discover stage: the `dhcp inform` set, plus an interface chosen beforehand. */
export interface DiscoverOptions extends InformSettings {
  /** The interface the INFORM speaks for; chosen from interfaceName/the default route when absent. */
  client?: ClientInterface;
}

/** Everything a run is configured with; the CLI builds it, tests and the demo build it directly. */
export interface PipelineOptions {
  phoneOrExt: string;
  targetUri?: string;
  targetFqdn?: string;
  registrarPort: number;
  /** Expected owner (`sip:user@domain`); checked after ResolveUser. */
  userSipAddress?: string;
  /** Extra PEM trust anchors (--ca-file), added to the downloaded chain. */
  extraTrustAnchors: string[];
  resolve: ResolveRule[];
  dhcp: DiscoverOptions;
  /** Overall deadline of the run. */
  timeoutMs: number;
  /** Per-stage limits; a stage never gets more than what is left of the overall deadline. */
  stageTimeoutsMs?: Partial<Record<StageName, number>>;
  /** undefined = the server's policy decides, else the inferred default (see the soap layer). */
  pinEncoding?: 'plain' | 'base64';
  rootChainShape?: string;
  resolveUserShape?: string;
  csrHash: 'sha1' | 'sha256';
  maxResponseBytes: number;
  connectTimeoutMs?: number;
  /** The last stage to run (`--stop-after certificate` = the cmdlet's run); default: the whole sign-in. */
  stopAfter?: StageName;
  /** --sip-domain; default: the domain of ResolveUser's SIP URI. */
  sipDomain?: string;
  /** --dns-server: the resolver the time and dns stages ask (else option 6 with --dns-from-dhcp, else the system's). */
  dnsServer?: UdpEndpoint;
  /** --dns-from-dhcp: ask the option-6 servers of the DHCP answer. */
  dnsFromDhcp?: boolean;
}

/** One line of the phone's-eye log (--verbose). */
export interface LogLine {
  /** ms since the run started. */
  atMs: number;
  stage: StageName;
  text: string;
  /**
   * 'inferred': a message shape from protocol.md's inferences was used; 'defaulted': a documented
   * default was used instead of server metadata; 'detail': extra facts (responders, certificates).
   */
  kind: 'step' | 'inferred' | 'defaulted' | 'detail' | 'warn';
  /** A multi-line block under the line (option bytes, request or response XML). */
  body?: string;
}

/** The stages' side of the --verbose log; the pipeline stamps stage and time, the CLI renders. */
export interface VerboseLog {
  step(text: string): void;
  /** A message shape that is our reconstruction (protocol.md [inferred]). */
  inferred(text: string): void;
  /** A documented default used because the server's metadata did not say. */
  defaulted(text: string): void;
  detail(text: string, body?: string): void;
  warn(text: string): void;
}

export interface Clock {
  now(): Date;
  /** ms since the run started (monotonic). */
  elapsedMs(): number;
}

/**
 * A web ticket as later stages need it. The ticket and its proof key are secret: they live in memory
 * only and never reach a report (evidence carries the times, not these).
 */
export interface HeldTicket {
  /** The ticket as the soap layer parsed it; handed back to it to build proof headers. */
  ticket: WebTicket;
  /** The key the proof is signed with when the policy is endorsing, and how it was made. */
  proofKey: Buffer;
  keyInterpretation: ProofKeyInterpretation;
  /**
   * The other reading of an ambiguous token response (webticket.ts ticketProofKeys), tried once with
   * the same ticket when CertProv refuses the first; absent when the response was explicit.
   */
  alternativeKey?: ProofKeyCandidate;
  /** The reading CertProv refused before it accepted `keyInterpretation` (for the report). */
  refusedInterpretation?: ProofKeyInterpretation;
}

/** The PIN port, found once per run and reused by the second ticket. */
export interface PinPort {
  /** The Web Ticket Service whose metadata named the port. */
  serviceUrl: string;
  /** As the metadata publishes it (the wsa:To of IssueToken). */
  address: string;
  /** Where IssueToken goes: the address, moved to https when published as http (https-address.ts). */
  url: string;
  name: string;
  encoding: PinEncoding;
  /** From the port's WSDL binding (soap vs soap12 namespace). */
  soapVersion: SoapVersion;
  /** Which way the Web Ticket metadata was read. */
  metadataRoute: MetadataRoute;
}

/** What the stages produce for each other, filled as the run goes. */
export interface RunState {
  discovered: Discovered;
  /** https://fqdn:port/CertProv/CertProvisioningService.svc (from option 43 or --target-uri). */
  certProvisioningUrl?: URL;
  /** The option-43 (or --target-uri) host: the name TLS must match. */
  webFqdn?: string;
  registrarFqdn?: string;
  rootChain?: { pems: string[]; certificates: X509Certificate[] };
  /** Web Ticket Service URL actually used. */
  webTicketUrl?: string;
  /** The PIN port chosen from the Web Ticket metadata (reused for the second ticket). */
  pinPort?: PinPort;
  firstTicket?: HeldTicket;
  certProv?: {
    /** The WebTicketProof port address as published: AppliesTo of the tickets and wsa:To of the calls. */
    proofAddress: string;
    /** Where the proof calls go: the address, moved to https when published as http (https-address.ts). */
    proofUrl: string;
    portName: string;
    /** 'endorsing' = the proof signature is required; 'signed' = ticket without signature. */
    policy: 'endorsing' | 'signed';
    issuerAddress?: string;
    actions: Record<string, string>;
    /** From the port's WSDL binding: the version the proof calls are sent in. */
    soapVersion: SoapVersion;
    /** The parsed metadata in the soap layer's own form. */
    metadata: unknown;
  };
  userSipUri?: string;
  secondTicket?: HeldTicket;
  /**
   * The CertProv metadata download, shared by the webticket stage (the ticket's AppliesTo is the
   * WebTicketProof port it names) and the certprov-mex stage (which reports on it): fetched once.
   */
  certProvMetadata?: Promise<FetchedMetadata>;
  /** The proof-key reading CertProv accepted, once a proof call succeeded; later tickets use it first. */
  acceptedProofKey?: ProofKeyInterpretation;
  /** The issued certificate as PEM (the register stage signs in with it and the run's private key). */
  issuedCertificatePem?: string;
  /** The SIP domain of the sign-in stages (--sip-domain or ResolveUser's URI). */
  sipDomain?: string;
  /** Server minus local clock from the time stage, ms (the register stage checks the SIP Date with it). */
  clockOffsetMs?: number;
  /** The registrar the dns stage chose: connect to address:port, expect `host` in its certificate. */
  registrarTarget?: RegistrarTarget;
}

export interface RegistrarTarget {
  host: string;
  address: string;
  port: number;
  source: 'srv' | 'option120';
}

/** One SIP message of the sign-in, for --trace (gssapi-data and signatures are not secret). */
export interface SipTraceEvent {
  direction: 'out' | 'in';
  message: SipMessage;
  peer: string;
  atMs: number;
}

export interface StageContext {
  readonly options: PipelineOptions;
  readonly state: RunState;
  readonly transport: HttpTransport;
  readonly log: VerboseLog;
  readonly clock: Clock;
  /** Aborts when this stage's deadline (or the run's) passes, or the run is interrupted. */
  readonly signal: AbortSignal;
  /**
   * When this stage's time is up, in performance.now() ms: the one deadline every wait of the stage
   * (HTTP requests included) computes what is left from. `signal` aborts at the same moment.
   */
  readonly deadline: number;
  readonly pin: PinHolder;
  /** RSA key pair, generation started when the run started. */
  readonly keyPair: Promise<KeyPair>;
  /** Sees every DHCP datagram (for --trace). HTTP exchanges go through the transport's hook. */
  readonly onDhcpPacket?: (event: { direction: 'out' | 'in'; bytes: Uint8Array; address: string; port: number; atMs: number }) => void;
  /** Sees every SIP message of the register stage (for --trace). */
  readonly onSipMessage?: (event: SipTraceEvent) => void;
}

/** What a stage hands back; the pipeline adds its name, timing and diagnosis. */
export interface StageOutcome {
  status: 'pass' | 'warn' | 'skipped';
  summary: string;
  evidence: Evidence;
  /** Something worth a diagnosis that does not stop the run (e.g. no option 120 with --target-fqdn unset). */
  warning?: StageError;
  /**
   * What the stage goes on learning after it returned, without holding up the next stages (discover's
   * listen window for other DHCP servers). The pipeline waits for it before the run ends and folds it
   * into this stage's report. Honours the stage's signal.
   */
  sequel?: Promise<StageSequel>;
}

/** What a stage learnt after it returned. */
export interface StageSequel {
  /** Merged into the stage's evidence. */
  evidence: Evidence;
  /** Replaces the stage-table line when set. */
  summary?: string;
  /** Something learnt late that fails the stage after all (e.g. a later DHCP server disagrees). */
  failure?: StageError;
}

export type Stage = (context: StageContext) => Promise<StageOutcome>;

/**
 * A stage that could not complete. Thrown by stages (TransportErrors are converted by the pipeline);
 * carries the observation for the diagnosis engine and the evidence gathered so far.
 */
export class StageFailure extends BootstrapTestError {
  readonly error: StageError;
  readonly evidence: Evidence;
  /** Facts for the diagnosis lookup beyond the observation (e.g. source port, findings). */
  readonly facts: Record<string, unknown>;

  constructor(error: StageError, evidence: Evidence = {}, facts: Record<string, unknown> = {}) {
    super('BT_STAGE_FAILURE', error.message);
    this.error = error;
    this.evidence = evidence;
    this.facts = facts;
  }
}
