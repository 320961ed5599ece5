// The result of one bootstrap run, as every renderer (table, summary, --verbose, --json, metrics) sees it.
// Stages produce it; renderers only read it. Nothing in here may hold a secret (PIN, entropy, proof key,
// SAML assertion, private key): values are redacted before they are stored.

/**
 * The one list of pipeline stages, in run order (issue 4), each with the catalogue section
 * (diagnosis.md 0.2) its failures are looked up in. Names are stable: they appear in JSON and metric
 * labels. The list lives here, in the base layer, because report/ and diagnosis/ name stages too and
 * must not import the stages. Everything else a stage has (its module, budget, budget rule, whether it
 * speaks HTTP) is in src/stages/registry.ts, whose type is keyed on these names, so a stage missing
 * there or unknown here does not compile. Adding a stage = its file, one line here, one registry entry.
 */
export const STAGE_CATALOG_SECTIONS = {
  discover: 'discover',
  rootchain: 'rootchain',
  webticket: 'webticket',
  'certprov-mex': 'resolveuser',
  resolveuser: 'resolveuser',
  'webticket-sip': 'webticket',
  certificate: 'certificate',
  // The phone's sign-in after the cmdlet's last step (issue 12); `--stop-after certificate` ends before them.
  time: 'time',
  dns: 'dns',
  'registrar-tls': 'registrar',
  register: 'registrar',
} as const;
export type StageName = keyof typeof STAGE_CATALOG_SECTIONS;
/** Run order; derived from STAGE_CATALOG_SECTIONS (string keys keep their insertion order). */
export const STAGE_NAMES = Object.keys(STAGE_CATALOG_SECTIONS) as readonly StageName[];

export type StageStatus = 'pass' | 'warn' | 'fail' | 'skipped' | 'not-run';

/** Severity of a catalog entry in diagnosis.md. 'unknown' = the host could not test (Nagios UNKNOWN). */
export type DiagnosisSeverity = 'fail' | 'warn' | 'info' | 'unknown' | 'device-only';

/** What the engine saw, reduced to one observation (diagnosis.md section 0.3), e.g. 'tcp:refused'. */
export type Observation = string;

export interface Diagnosis {
  /** Stable catalog id, e.g. 'chain-port80-blocked', or '<prefix>-unclassified'. */
  id: string;
  severity: DiagnosisSeverity;
  /** The catalog's one-line Diagnosis. */
  summary: string;
  /** Other candidate ids, best first. */
  alsoPossible: string[];
  /** Merged CHECK lists of the candidates, duplicates removed, top id first. */
  check: string[];
  /** The few CHECK lines the summary shows (SUMMARY_CHECK_LINES), ranked by what was observed. */
  briefCheck?: string[];
}

/** A failure as observed: what happened on the wire, verbatim server ids and reasons. */
export interface StageError {
  observation: Observation;
  /** One line: what was observed, e.g. 'connect ECONNREFUSED 127.0.0.1:80 after 3 ms'. */
  message: string;
  /** Server-provided identifiers kept verbatim (ErrorId, Reason, fault code, X-Ms-diagnostics ...). */
  server?: Record<string, string>;
}

/** Evidence values: short, printable, never secret. */
export type Evidence = Record<string, string | number | boolean | string[]>;

export interface StageReport {
  name: StageName;
  status: StageStatus;
  /**
   * The pool's and the network's time in ms (0 when not run): the stage's wall time from its first
   * byte (its code loaded) to its end, less this tool's own work on the main thread (clientMs) and
   * any wait for the key pair.
   */
  ms: number;
  /** Wall time of the stage in ms, code loading excluded; absent when not run. */
  wallMs?: number;
  /** This tool's own work (main-thread busy time) inside the stage, in ms; absent when not run. */
  clientMs?: number;
  /** The deadline the stage ran under, in ms (its own limit or what was left of --timeout). */
  deadlineMs?: number;
  /** One line for the stage table. */
  summary: string;
  evidence: Evidence;
  /** Notes worth a line (warnings, inferred shapes used, defaults taken instead of metadata). */
  notes: string[];
  error?: StageError;
  diagnosis?: Diagnosis;
}

export interface CertificateInfo {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  sha256Fingerprint: string;
}

/** What the run found out, for --json and the summary. */
export interface Discovered {
  targetUri?: string;
  targetFqdn?: string;
  /** Where the values came from. */
  source: { targetUri: 'dhcp' | 'option' | 'none'; targetFqdn: 'dhcp' | 'option' | 'none' };
  dhcpResponders?: Array<{ server: string; address: string; ms: number; certProvisioningUrl?: string; sipServers: string[] }>;
  rootChainFormat?: 'pkcs7' | 'certificate-list';
  trustedRoots?: CertificateInfo[];
  webTicketExpires?: string;
  userSipUri?: string;
  deviceId?: string;
  issuedCertificate?: CertificateInfo;
  /** Options 42, 4, 6, 15 and 119 of the answer discovery used (absent when DHCP was skipped). */
  dhcpNetwork?: DhcpNetworkOptions;
  /** The SIP domain the sign-in stages used, and where it came from. */
  sipDomain?: { name: string; source: 'option' | 'resolveuser' };
  /** The time stage's verdict on this host's clock (server minus local, ms). */
  clock?: { source: string; offsetMs: number; stratum: number; roundTripMs: number };
  /** Where the register stage signed in (after a redirect: the pool it was sent to). */
  registrar?: { host: string; address: string; port: number; source: 'srv' | 'option120' | 'redirect' };
}

/** The network options a phone asks for besides 43/120 (decoded, empty when absent). */
export interface DhcpNetworkOptions {
  ntpServers: string[];
  timeServers: string[];
  dnsServers: string[];
  domainName?: string;
  domainSearch: string[];
}

export interface RunReport {
  /** Cmdlet summary fields. */
  targetUri: string;
  targetFqdn: string;
  /** 'Interrupted': stopped by a signal (Ctrl-C, SIGTERM) before it finished; says nothing about the pool. */
  result: 'Success' | 'Failure' | 'Interrupted';
  /**
   * What a phone would have waited, in ms: the sum of the stages' pool-and-network times (the first
   * usable DHCP answer, not the listen window for other servers). Renderers format it as
   * hh:mm:ss.fffffff, to the 100 ns tick.
   */
  latencyMs: number;
  /** The whole run's wall time in ms: loading, this tool's work and the DHCP listen window included. */
  wallMs?: number;
  /** How long the run sat waiting for its RSA key pair (0 when it was ready in time); absent when no stage needed it. */
  keyWaitMs?: number;
  /** `<id>: <diagnosis>` of the failing stage, empty on success. */
  error: string;
  stages: StageReport[];
  discovered: Discovered;
  startedAt: string;
  /** Set when the run was told to end after this stage (`--stop-after`); later stages are not part of it. */
  stoppedAfter?: StageName;
  /** Every connection the run opened and, for TLS, the certificate the server presented (--json, -v). */
  serverConnections?: ServerConnection[];
}

/** One connection of the run, as the report shows it. */
export interface ServerConnection {
  host: string;
  address: string;
  port: number;
  tlsProtocol?: string;
  /** The certificate the server presented (absent for plain HTTP and resumed TLS sessions). */
  certificate?: { subject: string; sans: string; issuer: string; validTo: string; daysLeft: number; fingerprint256: string };
}
