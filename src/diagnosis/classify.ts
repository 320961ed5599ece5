// The lookup table of diagnosis.md 0.5 as data: (stage, observation) -> candidate ids, best first,
// and `diagnose`, which turns the candidates into the Diagnosis a report prints.

import { STAGE_CATALOG_SECTIONS, type Diagnosis, type DiagnosisSeverity, type Observation, type StageName } from '../model.js';
import { type CatalogEntry, type CatalogStage, CATALOG_STAGES, requireCatalogEntry, unclassifiedEntry } from './catalog.js';
import { parseObservation, type ParsedObservation } from './observation.js';

/** Our pipeline's stages on the catalog's stages (diagnosis.md 0.2); the list itself is in src/model.ts. */
export const PIPELINE_TO_CATALOG_STAGE: Readonly<Record<StageName, CatalogStage>> = STAGE_CATALOG_SECTIONS;

export function catalogStageOf(stage: StageName | CatalogStage): CatalogStage {
  return (PIPELINE_TO_CATALOG_STAGE as Record<string, CatalogStage>)[stage] ?? (stage as CatalogStage);
}

/** Facts beyond the observation that change the ranking (the "discriminators" of diagnosis.md). */
export interface DiagnosisContext {
  /** discover: UDP source port the INFORM went out from. */
  sourcePort?: number;
  /** discover: option 120 was missing too (every responder sent neither 43 nor 120). */
  option120Missing?: boolean;
  /** rootchain: port 80 works on the individual pool members while the VIP fails. */
  membersAnswerPort80?: boolean;
  /** rootchain: Location header of a 3xx. */
  location?: string;
  /** The run offered only TLS 1.0 (the Lync Phone Edition profile). */
  legacyTlsProfile?: boolean;
  /** The Lync ErrorId when it came in a form the observation does not carry (e.g. with an http: status). */
  errorId?: string | number;
  /** registrar: the 401 offered TLS-DSK. */
  tlsDskOffered?: boolean;
  /** registrar: the failure came after the TLS-DSK exchange. */
  afterTlsDsk?: boolean;
  /** The server's own reason text (OCSDiagnosticsFault Reason, X-Ms-diagnostics reason, faultstring). */
  serverReason?: string;
  /**
   * The admin named the web service address (--target-uri), so option 43 was not used: no
   * candidate or CHECK item may send them to option 43.
   */
  addressGivenByAdmin?: boolean;
}

/**
 * WS-Security fault codes (WSS 1.1 §12, and WS-Trust's for a token the service would not take) that
 * say the proof or the ticket was refused, whatever the operation: at ResolveUser or GetAndPublishCert
 * they are not "no such user".
 */
export const PROOF_REFUSAL_FAULT_CODES = [
  'FailedAuthentication',
  'InvalidSecurity',
  'InvalidSecurityToken',
  'FailedCheck',
  'MessageExpired',
  'SecurityTokenUnavailable',
  'UnsupportedSecurityToken',
] as const;

export function isProofRefusalFault(codeName: string): boolean {
  return (PROOF_REFUSAL_FAULT_CODES as readonly string[]).some((code) => code.toLowerCase() === codeName.toLowerCase());
}

/** Named predicates a row can require; kept by name so the table stays plain data. */
const CONDITIONS = {
  'source-port-not-68': (ctx: DiagnosisContext) => ctx.sourcePort !== undefined && ctx.sourcePort !== 68,
  'option-120-missing-too': (ctx: DiagnosisContext) => ctx.option120Missing === true,
  'members-answer-port-80': (ctx: DiagnosisContext) => ctx.membersAnswerPort80 === true,
  'location-is-https': (ctx: DiagnosisContext) => /^https:\/\//i.test(ctx.location ?? ''),
  'legacy-tls-profile': (ctx: DiagnosisContext) => ctx.legacyTlsProfile === true,
  'no-tls-dsk-offered': (ctx: DiagnosisContext) => ctx.tlsDskOffered === false && ctx.afterTlsDsk !== true,
  'after-tls-dsk': (ctx: DiagnosisContext) => ctx.afterTlsDsk === true,
} as const;
export type ConditionName = keyof typeof CONDITIONS;

type RowStage = CatalogStage | StageName | 'any';

export interface LookupRow {
  /** Catalog stages, or a pipeline stage name when only that step applies (e.g. 'certprov-mex'). */
  readonly stages: readonly RowStage[];
  /**
   * Patterns over the observation, ':'-separated segments: a literal, '*' (any one segment, or at the
   * end any rest), 'Nxx' (an HTTP/SIP status class), or 'errorid:<n>' for a Lync ErrorId from a
   * soap-fault, x-ms-diag or the context.
   */
  readonly observations: readonly string[];
  readonly when?: ConditionName;
  /** Rows the document writes as "X (then its ranked children)" list the umbrella only; see expand. */
  readonly candidates: readonly string[];
  /** Expand umbrella ids into their ranked children. */
  readonly expand?: boolean;
  readonly severity?: DiagnosisSeverity;
  /** The row as diagnosis.md words it. */
  readonly row: string;
}

/**
 * Ordered: the first row that matches wins, so rows with a discriminator or a specific ErrorId come
 * before the general row for the same observation.
 */
export const LOOKUP_TABLE: readonly LookupRow[] = [
  // discover
  { stages: ['discover'], observations: ['local:*'], candidates: ['dhcp-local-socket-error'], row: 'local:EACCES/EADDRINUSE/ENETUNREACH' },
  {
    stages: ['discover'], observations: ['no-reply'], when: 'source-port-not-68',
    candidates: ['dhcp-unprivileged-port-silence', 'dhcp-voice-vlan-not-served', 'dhcp-inform-ignored', 'dhcp-registrar-dhcp-disabled'],
    row: 'no-reply, request sent from a port other than 68',
  },
  {
    stages: ['discover'], observations: ['no-reply'],
    candidates: ['dhcp-voice-vlan-not-served', 'dhcp-inform-ignored', 'dhcp-registrar-dhcp-disabled'],
    row: 'no-reply (from port 68, full retry schedule)',
  },
  {
    stages: ['discover'], observations: ['content:no-43'], when: 'option-120-missing-too',
    candidates: ['dhcp-registrar-dhcp-disabled', 'dhcp-no-option-43', 'dhcp-multiple-responders'],
    row: 'ACK, content:no-43, and no 120 either',
  },
  {
    stages: ['discover'], observations: ['content:no-43'],
    candidates: ['dhcp-no-option-43', 'dhcp-multiple-responders', 'dhcp-registrar-dhcp-disabled'],
    row: 'ACK, content:no-43',
  },
  { stages: ['discover'], observations: ['content:43-truncated'], candidates: ['dhcp-option-43-truncated'], row: 'ACK, 43 sub-option overruns or ends early' },
  { stages: ['discover'], observations: ['content:43'], candidates: ['dhcp-option-43-bad-values', 'dhcp-option-43-truncated'], row: 'ACK, 43 present but a sub-option missing or odd' },
  { stages: ['discover'], observations: ['udp:refused'], candidates: ['dhcp-voice-vlan-not-served'], row: 'ICMP port unreachable from the named DHCP server (nothing listens on that port)' },
  { stages: ['discover'], observations: ['content:inform-refused'], candidates: ['dhcp-inform-ignored'], row: 'only DHCPNAK (or other non-ACK) replies' },
  { stages: ['discover'], observations: ['content:no-120'], candidates: ['dhcp-no-option-120'], row: 'ACK, content:no-120' },
  { stages: ['discover'], observations: ['content:120'], candidates: ['dhcp-option-120-malformed'], row: 'ACK, 120 does not decode to one FQDN' },
  { stages: ['discover'], observations: ['content:multiple-responders'], candidates: ['dhcp-multiple-responders'], severity: 'fail', row: 'several ACKs with different 43/120' },
  { stages: ['discover'], observations: ['content:fqdn-inconsistent'], candidates: ['dhcp-fqdn-inconsistent'], row: 'hosts from 43 and 120 disagree with each other or with overrides' },

  // time
  { stages: ['time'], observations: ['content:no-time-source'], candidates: ['time-no-source-advertised'], row: 'no option 42/4 and no _ntp._udp SRV' },
  { stages: ['time'], observations: ['no-reply'], candidates: ['time-ntp-unreachable'], row: 'no-reply on UDP 123' },
  { stages: ['time'], observations: ['content:ntp-unsynchronised'], candidates: ['time-source-unsynchronised'], row: 'NTP reply with leap indicator 3 or stratum 0/16' },
  { stages: ['time'], observations: ['content:ntp-kiss-of-death'], candidates: ['time-kiss-of-death'], row: 'NTP reply with stratum 0 and a Kiss-o\'-Death code' },
  { stages: ['any'], observations: ['clock:*'], candidates: ['time-clock-skew'], row: 'clock: over the threshold' },

  // dns (names fail to resolve in whichever stage first needs them)
  { stages: ['any'], observations: ['local:EAI_AGAIN', 'local:SERVFAIL', 'local:REFUSED', 'local:ESERVFAIL', 'local:EREFUSED', 'dns:resolver-failure'], candidates: ['dns-resolver-failure'], row: 'local: SERVFAIL/REFUSED/timeout on every query' },
  { stages: ['any'], observations: ['dns:web-nxdomain'], candidates: ['dns-web-fqdn-nxdomain', 'dhcp-option-43-stale'], row: 'option-43 host NXDOMAIN/NODATA' },
  { stages: ['any'], observations: ['dns:registrar-nxdomain'], candidates: ['dns-registrar-fqdn-nxdomain'], row: 'option-120 host NXDOMAIN/NODATA' },
  { stages: ['any'], observations: ['dns:no-sipinternaltls'], candidates: ['dns-sipinternaltls-missing'], row: 'no _sipinternaltls._tcp SRV' },
  { stages: ['any'], observations: ['dns:srv-outside-domain'], candidates: ['dns-srv-target-outside-domain'], row: 'SRV target outside the SIP domain' },
  { stages: ['any'], observations: ['dns:srv-target-unresolvable'], candidates: ['dns-srv-target-unresolvable'], row: 'SRV target has no address' },
  { stages: ['dns'], observations: ['content:option120-outside-domains'], candidates: ['dns-option120-outside-domains'], row: 'option-120 host outside the SIP domain and options 15/119' },
  { stages: ['any'], observations: ['dns:srv-dhcp-disagree'], candidates: ['dns-srv-dhcp-disagree'], row: 'SRV target and option-120 host are different pools' },

  // rootchain
  { stages: ['rootchain'], observations: ['tcp:*'], when: 'members-answer-port-80', candidates: ['chain-lb-no-port80'], row: 'port 80 fails on the VIP but works on the members' },
  { stages: ['rootchain'], observations: ['tcp:*'], candidates: ['chain-port80-blocked', 'chain-lb-no-port80', 'dhcp-option-43-stale'], row: 'tcp:* on port 80' },
  { stages: ['rootchain'], observations: ['http:3xx'], when: 'location-is-https', candidates: ['chain-redirected-to-https'], row: 'http:3xx to https://' },
  { stages: ['rootchain'], observations: ['http:403', 'http:404', 'http:5xx'], candidates: ['chain-http-error', 'chain-download-disabled'], row: 'http:403/404/5xx' },
  { stages: ['rootchain'], observations: ['content:chain'], candidates: ['chain-empty-or-unparsable', 'chain-download-disabled'], row: 'http:200 without certificates' },
  { stages: ['rootchain', 'webticket', 'registrar'], observations: ['content:chain-no-anchor'], candidates: ['chain-missing-issuer'], row: 'chain does not verify the server certificate on 443/5061' },

  // TLS, shared by webticket and registrar
  { stages: ['webticket', 'registrar'], observations: ['tls:alert:70'], candidates: ['tls-legacy-protocol-refused'], row: 'tls:alert:70' },
  { stages: ['webticket', 'registrar'], observations: ['tls:closed', 'tcp:reset'], when: 'legacy-tls-profile', candidates: ['tls-legacy-protocol-refused'], row: 'tls:closed/tcp:reset when only TLS 1.0 is offered' },
  { stages: ['webticket', 'registrar'], observations: ['tls:alert:40'], candidates: ['tls-no-common-cipher', 'tls-legacy-protocol-refused'], row: 'tls:alert:40' },
  { stages: ['webticket', 'registrar'], observations: ['tls:verify:expired', 'tls:verify:not-yet-valid'], candidates: ['webticket-cert-expired', 'time-clock-skew'], row: 'tls:verify:expired/not-yet-valid' },

  // HTTP itself, shared by every web stage
  {
    stages: ['rootchain', 'webticket', 'resolveuser', 'certificate'], observations: ['content:http', 'content:http-headers-oversized'],
    candidates: ['http-response-malformed'], row: 'the answer is not valid HTTP (parser error, headers over the client limit)',
  },

  // Deadlines: what had arrived when the time ran out
  { stages: ['any'], observations: ['timeout:run'], candidates: ['run-deadline-exhausted'], row: "the run's --timeout ran out during the stage" },
  { stages: ['rootchain', 'webticket', 'resolveuser', 'certificate'], observations: ['timeout:slow'], candidates: ['http-answer-too-slow'], row: 'headers arrived, body still arriving at the deadline' },
  { stages: ['rootchain', 'resolveuser', 'certificate'], observations: ['timeout'], candidates: ['http-no-answer'], row: 'timeout with nothing received after the request' },
  { stages: ['webticket', 'resolveuser', 'certificate'], observations: ['tls:plain-http'], candidates: ['webticket-port-plain-http'], row: 'the TLS port answered the ClientHello in plain HTTP' },

  // webticket
  { stages: ['webticket'], observations: ['tcp:*'], candidates: ['webticket-port443-unreachable'], row: 'tcp:* on the option-43 port' },
  { stages: ['webticket'], observations: ['tls:verify:untrusted'], candidates: ['chain-missing-issuer', 'webticket-cert-untrusted'], row: 'tls:verify:untrusted' },
  { stages: ['webticket'], observations: ['tls:verify:name'], candidates: ['webticket-cert-name-mismatch', 'dhcp-option-43-stale'], row: 'tls:verify:name' },
  { stages: ['webticket'], observations: ['errorid:28000'], candidates: ['webticket-user-not-enabled'], row: 'ErrorId 28000' },
  {
    // 28020 "No valid security token." with FailedAuthentication is how a pool refuses the number and
    // PIN ([MS-OCAUTHWS] 3.2.4.1), in the fault or in X-Ms-diagnostics: the credential was read.
    stages: ['webticket'], observations: ['errorid:28020'],
    candidates: ['webticket-auth-rejected', 'webticket-request-not-understood', 'webticket-pin-auth-disabled'], expand: true,
    row: 'ErrorId 28020 (fault or X-Ms-diagnostics)',
  },
  {
    stages: ['webticket'], observations: ['http:400', 'http:415'],
    candidates: ['webticket-request-not-understood', 'webticket-pin-auth-disabled', 'webticket-auth-rejected'],
    row: 'http:400/415',
  },
  { stages: ['webticket'], observations: ['errorid:28001'], candidates: ['webticket-server-error'], row: 'ErrorId 28001' },
  {
    stages: ['webticket'], observations: ['soap-fault:FailedAuthentication:*', 'x-ms-diag:*'],
    candidates: ['webticket-auth-rejected'], expand: true,
    row: 'soap-fault:FailedAuthentication:* or x-ms-diag:* on the PIN request',
  },
  { stages: ['webticket'], observations: ['soap-fault:*'], candidates: ['webticket-server-error'], row: 'another non-authentication fault' },
  { stages: ['webticket'], observations: ['http:404', 'http:503', 'http:500'], candidates: ['webticket-http-error'], row: 'http:404/503, or a 500 without a parsable fault' },
  { stages: ['webticket'], observations: ['timeout'], candidates: ['webticket-no-response'], row: 'timeout after the request' },
  { stages: ['webticket'], observations: ['content:no-pin-port'], candidates: ['webticket-pin-auth-disabled'], row: 'service metadata has no PIN port' },
  { stages: ['webticket'], observations: ['content:metadata-unreadable'], candidates: ['webticket-metadata-unreadable'], row: 'service metadata arrived but is not readable WSDL' },
  { stages: ['webticket'], observations: ['content:rstr-incomplete'], candidates: ['webticket-rstr-incomplete'], row: 'http:200 but assertion, entropy or lifetime missing' },
  { stages: ['webticket'], observations: ['content:proof-key-unsupported'], candidates: ['webticket-proof-key-unsupported'], row: 'http:200, proof key as EncryptedKey or a ComputedKey other than PSHA1' },
  {
    stages: ['webticket', 'resolveuser', 'certificate'], observations: ['content:secret-not-https'],
    candidates: ['webticket-pin-port-not-https'], row: 'a PIN or ticket would have gone to an address that is not https (refused before sending)',
  },

  // resolveuser (our certprov-mex and resolveuser steps)
  { stages: ['certprov-mex'], observations: ['http:3xx', 'http:4xx', 'http:5xx'], candidates: ['resolve-mex-unavailable'], row: 'http:* error on CertProv /mex' },
  { stages: ['certprov-mex'], observations: ['content:metadata-unreadable'], candidates: ['resolve-metadata-unreadable'], row: 'CertProv metadata arrived but is not readable WSDL' },
  { stages: ['resolveuser'], observations: ['content:no-proof-port'], candidates: ['resolve-proof-endpoint-missing', 'cert-auth-disabled'], row: '/mex has no WebTicketProof port' },
  {
    stages: ['resolveuser', 'certificate'], observations: [...PROOF_REFUSAL_FAULT_CODES.map((code) => `soap-fault:${code}:*`), 'http:401', 'http:403'],
    candidates: ['resolve-proof-rejected', 'time-clock-skew'],
    row: 'a WS-Security fault (FailedAuthentication, InvalidSecurity, FailedCheck, MessageExpired, SecurityTokenUnavailable ...) or 401/403 with the ticket',
  },
  { stages: ['resolveuser'], observations: ['content:response-unreadable'], candidates: ['resolve-response-unparsable'], row: 'http:200 but not a readable SOAP message' },
  { stages: ['resolveuser'], observations: ['content:no-sip-uri', 'soap-fault:*'], candidates: ['resolve-no-user'], row: 'no SIP URI in the answer' },
  { stages: ['resolveuser'], observations: ['content:user-mismatch'], candidates: ['resolve-user-mismatch'], row: 'SIP URI differs from --user-sip-address' },

  // certificate
  { stages: ['certificate'], observations: ['errorinfo:*'], candidates: ['cert-errorinfo'], expand: true, row: 'errorinfo:*' },
  { stages: ['certificate'], observations: ['http:500'], candidates: ['cert-publish-failed'], row: 'http:500, intermittent' },
  { stages: ['certificate'], observations: ['content:no-certificate'], candidates: ['cert-response-unparsable'], row: 'http:200, no certificate found' },
  // Only a validity problem can come from a clock; a wrong key or subject never does.
  { stages: ['certificate'], observations: ['content:certificate-invalid:validity'], candidates: ['cert-issued-invalid', 'time-clock-skew'], row: 'certificate not valid now (not yet, or no longer)' },
  { stages: ['certificate'], observations: ['content:certificate-invalid:*'], candidates: ['cert-issued-invalid'], row: 'certificate with wrong key or subject' },
  { stages: ['certificate'], observations: ['content:certificate-short-validity'], candidates: ['cert-issued-invalid'], severity: 'warn', row: 'certificate with a short but usable validity' },

  // HTTP itself, after the stage-specific rows above (a certprov-mex redirect is its metadata missing)
  { stages: ['rootchain', 'webticket', 'resolveuser', 'certificate'], observations: ['http:3xx'], candidates: ['http-redirect-not-followed'], row: 'http:3xx (not followed)' },
  {
    stages: ['rootchain', 'webticket', 'resolveuser', 'certificate'], observations: ['content:oversized'],
    candidates: ['http-response-oversized'], row: 'the answer is larger than the response cap',
  },

  // registrar
  { stages: ['registrar'], observations: ['tcp:*'], candidates: ['registrar-port-unreachable'], row: 'tcp:* on 5061' },
  { stages: ['registrar'], observations: ['tls:verify:name'], candidates: ['registrar-cert-name-mismatch', 'dns-srv-target-outside-domain'], row: 'tls:verify:name' },
  { stages: ['registrar'], observations: ['tls:verify:untrusted'], candidates: ['chain-missing-issuer', 'registrar-cert-untrusted'], row: 'tls:verify:untrusted' },
  { stages: ['registrar'], observations: ['content:registrar-cert-name'], candidates: ['registrar-cert-name-mismatch', 'dns-srv-target-outside-domain'], row: 'certificate does not name the option-120 host or SRV target' },
  { stages: ['registrar'], observations: ['content:registrar-cert-wildcard'], candidates: ['registrar-cert-wildcard'], row: 'registrar certificate with wildcard names' },
  { stages: ['registrar'], observations: ['content:registrar-cert-sha1'], candidates: ['registrar-cert-sha1-chain'], row: 'SHA-1-signed certificate in the registrar chain' },
  { stages: ['registrar'], observations: ['content:tls-dsk-inner-alert'], candidates: ['registrar-tls-dsk-inner-alert', 'registrar-tls-dsk-rejected'], row: 'TLS alert inside gssapi-data' },
  { stages: ['registrar'], observations: ['content:tls-dsk-handshake'], candidates: ['registrar-cert-name-mismatch', 'registrar-cert-untrusted'], row: 'the inner TLS-DSK server certificate is refused (targetname, chain)' },
  { stages: ['registrar'], observations: ['content:bad-server-signature'], candidates: ['registrar-tls-dsk-bad-server-signature'], row: '200 OK unsigned or with a wrong rspauth' },
  { stages: ['registrar'], observations: ['content:client-version-blocked'], candidates: ['registrar-client-version-blocked', 'registrar-firmware-too-old'], row: '403 with a client-version ms-diagnostics' },
  { stages: ['registrar'], observations: ['content:redirected'], candidates: ['registrar-redirected'], row: '301/302 to another pool, followed once' },
  { stages: ['registrar'], observations: ['sip:401'], when: 'no-tls-dsk-offered', candidates: ['registrar-no-tls-dsk'], row: 'sip:401 without a TLS-DSK challenge' },
  { stages: ['registrar'], observations: ['sip:401', 'sip:403'], when: 'after-tls-dsk', candidates: ['registrar-tls-dsk-rejected', 'cert-publish-failed'], row: 'sip:401/403 after the TLS-DSK exchange' },
  { stages: ['registrar'], observations: ['content:sts-uri-differs'], candidates: ['registrar-sts-uri-differs'], row: 'TLS-DSK sts-uri host differs from the option-43 host' },
  { stages: ['registrar'], observations: ['sip:4xx', 'sip:5xx'], candidates: ['registrar-sip-error'], row: 'other final sip:4xx/5xx' },
];

/** Ids to hint at when every stage passes and phones still fail (diagnosis.md 9). */
export const PASSING_BUT_PHONES_FAIL: readonly string[] = [
  'dhcp-voice-vlan-not-served',
  'dhcp-multiple-responders',
  'dhcp-option-43-stale',
  'time-ntp-unreachable',
  'dns-srv-target-outside-domain',
  'tls-legacy-protocol-refused',
  'chain-missing-issuer',
  'webticket-pin-option-hidden',
  'registrar-firmware-too-old',
];

function segmentMatches(pattern: string, value: string): boolean {
  if (pattern === '*') return value.length > 0;
  if (/^\dxx$/.test(pattern)) return /^\d{3}$/.test(value) && value[0] === pattern[0];
  return pattern.toLowerCase() === value.toLowerCase();
}

function patternMatches(pattern: string, observation: ParsedObservation, errorId: string | undefined): boolean {
  if (pattern.startsWith('errorid:')) return errorId !== undefined && pattern.slice('errorid:'.length) === errorId;
  const parts = pattern.split(':');
  const values = observation.segments;
  for (let index = 0; index < parts.length; index += 1) {
    const part = parts[index]!;
    const isLast = index === parts.length - 1;
    // A trailing '*' takes whatever is left, including nothing (a fault without an ErrorId).
    if (isLast && part === '*' && index > 0) return true;
    const value = values[index];
    if (value === undefined || !segmentMatches(part, value)) return false;
  }
  return parts.length === values.length;
}

function rowApplies(row: LookupRow, stage: StageName | CatalogStage): boolean {
  const catalogStage = catalogStageOf(stage);
  return row.stages.some((rowStage) => {
    if (rowStage === 'any' || rowStage === stage) return true;
    // A row that names a pipeline step applies to that step only, not to its whole catalog stage.
    return (CATALOG_STAGES as readonly string[]).includes(rowStage) && rowStage === catalogStage;
  });
}

export interface Classification {
  /** Candidate ids, best first (umbrellas expanded into their children). */
  readonly candidates: readonly string[];
  readonly severity: DiagnosisSeverity;
  /** The matching row, or undefined when nothing fits and the result is `<prefix>-unclassified`. */
  readonly row?: LookupRow;
}

/** Severity of time-clock-skew from the offset: 5 minutes is fatal for tokens, about 1 minute is worth a warning. */
export function clockSkewSeverity(offsetSeconds: number): DiagnosisSeverity {
  const magnitude = Math.abs(offsetSeconds);
  if (magnitude >= 300) return 'fail';
  if (magnitude > 60) return 'warn';
  return 'info';
}

export function classify(stage: StageName | CatalogStage, observation: Observation, context: DiagnosisContext = {}): Classification {
  const parsed = parseObservation(observation);
  const errorId = parsed.errorId ?? (context.errorId === undefined ? undefined : String(context.errorId).trim());
  const row = LOOKUP_TABLE.find(
    (candidate) =>
      rowApplies(candidate, stage) &&
      (candidate.when === undefined || CONDITIONS[candidate.when](context)) &&
      candidate.observations.some((pattern) => patternMatches(pattern, parsed, errorId)),
  );
  const isLocal = parsed.kind === 'local';
  if (!row) return { candidates: [], severity: isLocal ? 'unknown' : 'fail' };

  const candidates: string[] = [];
  for (const id of row.candidates) {
    candidates.push(id);
    if (row.expand) candidates.push(...rankedByServerReason(requireCatalogEntry(id).children ?? [], context.serverReason));
  }
  const top = requireCatalogEntry(candidates[0]!);
  let severity = row.severity ?? top.severity;
  if (parsed.kind === 'clock') severity = clockSkewSeverity(Number(parsed.segments[1]));
  // Whatever the row, a step this host could not carry out says nothing about the deployment (Nagios UNKNOWN).
  if (isLocal) severity = 'unknown';
  return { candidates: unique(candidates), severity, row };
}

/**
 * What the server's own words point at, by catalogue id: a reason naming a locked PIN puts
 * webticket-pin-locked before webticket-pin-wrong (a locked PIN is not a wrong PIN). The first
 * pattern that matches wins; the ids are children of an umbrella the wire cannot tell apart.
 */
const SERVER_REASON_HINTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\block/i, 'webticket-pin-locked'],
  [/\bexpired?\b/i, 'webticket-pin-expired'],
  [/\bno pin\b|pin is not set|not set|has no pin/i, 'webticket-pin-not-set'],
  [/more than one|ambiguous|duplicate/i, 'webticket-extension-ambiguous'],
  [/not (sip|lync|voice)[ -]?enabled|not enabled|disabled user|enterprise voice/i, 'webticket-user-not-enabled'],
  [/line ?uri|no user|not found|unknown (user|number)|dial plan/i, 'webticket-number-not-on-lineuri'],
  [/\b(wrong|incorrect|invalid|not valid|mismatch)\b/i, 'webticket-pin-wrong'],
];

/** The children with the one the server's reason names moved to the front; unchanged without a hint. */
export function rankedByServerReason(children: readonly string[], reason: string | undefined): string[] {
  const hinted = reason === undefined ? undefined : SERVER_REASON_HINTS.find(([pattern, id]) => pattern.test(reason) && children.includes(id))?.[1];
  return hinted === undefined ? [...children] : [hinted, ...children.filter((id) => id !== hinted)];
}

function unique(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

/** CHECK lists of the candidates, top id first, duplicates removed (compared case- and space-insensitively). */
export function mergeChecks(entries: readonly CatalogEntry[]): string[] {
  const seen = new Set<string>();
  const merged: string[] = [];
  for (const entry of entries) {
    for (const item of entry.check) {
      const key = item.trim().replace(/\s+/g, ' ').toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      merged.push(item);
    }
  }
  return merged;
}

/** How many CHECK lines the summary shows: about one terminal screenful with the rest of the summary. */
export const SUMMARY_CHECK_LINES = 5;
/** Of those, how many come from the top candidate before each other candidate gets its first line. */
const TOP_CANDIDATE_LINES = 3;

/** A DHCP cause or an option-43 CHECK item is moot when the admin gave the address on the command line. */
const DISCOVERY_ITEM = /option[ -]43|sub-option|DHCP/i;

function withoutDiscovery(entries: readonly CatalogEntry[], context: DiagnosisContext): CatalogEntry[] {
  if (!context.addressGivenByAdmin) return [...entries];
  const kept = entries.filter((entry, index) => index === 0 || entry.stage !== 'discover');
  return kept.map((entry) => ({ ...entry, check: entry.check.filter((item) => !DISCOVERY_ITEM.test(item)) }));
}

/**
 * The CHECK lines for the summary, ranked by what was observed: the top candidate's first lines, then
 * the first line of each other candidate, then whatever of the merged list still fits.
 */
export function briefChecks(entries: readonly CatalogEntry[], max = SUMMARY_CHECK_LINES): string[] {
  const merged = mergeChecks(entries);
  const [top, ...others] = entries;
  const ranked = mergeChecks([
    { ...(top ?? entries[0]!), check: (top?.check ?? []).slice(0, TOP_CANDIDATE_LINES) },
    ...others.map((entry) => ({ ...entry, check: entry.check.slice(0, 1) })),
  ]);
  const brief = [...ranked, ...merged.filter((item) => !ranked.includes(item))];
  return brief.slice(0, max);
}

function diagnosisOf(entries: readonly CatalogEntry[], severity: DiagnosisSeverity): Diagnosis {
  const top = entries[0]!;
  return {
    id: top.id,
    severity,
    summary: top.diagnosis,
    alsoPossible: entries.slice(1).map((entry) => entry.id),
    check: mergeChecks(entries),
    briefCheck: briefChecks(entries),
  };
}

/**
 * The diagnosis for what a stage observed: the top id, the other candidates as "also possible",
 * the top id's one-line Diagnosis and the merged CHECK list. Nothing fits -> `<prefix>-unclassified`.
 */
export function diagnose(stage: StageName | CatalogStage, observation: Observation, context: DiagnosisContext = {}): Diagnosis {
  const classification = classify(stage, observation, context);
  if (classification.candidates.length === 0) {
    return diagnosisOf(withoutDiscovery([unclassifiedEntry(catalogStageOf(stage))], context), classification.severity);
  }
  return diagnosisOf(withoutDiscovery(classification.candidates.map(requireCatalogEntry), context), classification.severity);
}

/** A diagnosis for a known id (stages that decide the id themselves, e.g. a warn found on the way). */
export function diagnosisFor(id: string, alsoPossible: readonly string[] = [], severity?: DiagnosisSeverity): Diagnosis {
  const entries = [id, ...alsoPossible].map(requireCatalogEntry);
  return diagnosisOf(entries, severity ?? entries[0]!.severity);
}
