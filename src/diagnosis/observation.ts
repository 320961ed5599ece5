// The observation vocabulary of diagnosis.md 0.3: what a stage saw, reduced to one short string that
// the lookup table (classify.ts) can match. Builders here keep the spelling in one place so stages
// never hand-assemble strings like 'soap-fault:FailedAuthentication:28020'.

import type { Observation } from '../model.js';
import type { TlsVerifyReason } from '../net/errors.js';

export type TcpFailure = 'timeout' | 'refused' | 'reset';

/** Drops an XML namespace prefix: 'wsse:FailedAuthentication' -> 'FailedAuthentication'. */
function localName(qualified: string): string {
  const trimmed = qualified.trim();
  const colon = trimmed.lastIndexOf(':');
  return colon === -1 ? trimmed : trimmed.slice(colon + 1);
}

/** Observation segments are separated by ':' so free text inside one must not contain it. */
function segment(value: string | number): string {
  return String(value).trim().replace(/[:\s]+/g, '-');
}

export const observe = {
  /** The tool could not do the step on its own host (bind, permission, route, resolver). */
  local: (code: string): Observation => `local:${segment(code)}`,
  noReply: (): Observation => 'no-reply',
  tcp: (failure: TcpFailure): Observation => `tcp:${failure}`,
  /** A datagram to a named UDP server came back as ICMP port unreachable. */
  udpRefused: (): Observation => 'udp:refused',
  tlsAlert: (alert: number): Observation => `tls:alert:${alert}`,
  tlsClosed: (): Observation => 'tls:closed',
  tlsVerify: (reason: TlsVerifyReason): Observation => `tls:verify:${reason}`,
  http: (status: number): Observation => `http:${status}`,
  /** A port expected to speak TLS answered in plain HTTP. */
  tlsPlainHttp: (): Observation => 'tls:plain-http',
  /** The request went out on an open connection and nothing came back in time. */
  timeout: (): Observation => 'timeout',
  /** The headers came back, the body was still arriving at the deadline. */
  slowAnswer: (): Observation => 'timeout:slow',
  /** The run's overall --timeout ran out during the stage. */
  runDeadline: (): Observation => 'timeout:run',
  /** A SOAP fault; the fault code may carry a prefix (wsse:, s:, a:), the ErrorId may be absent. */
  soapFault: (faultCode: string, errorId?: string | number): Observation =>
    `soap-fault:${segment(localName(faultCode)) || 'unknown'}:${errorId === undefined ? '' : segment(errorId)}`,
  xMsDiagnostics: (errorId: string | number): Observation => `x-ms-diag:${segment(errorId)}`,
  errorInfo: (code: string | number): Observation => `errorinfo:${segment(code)}`,
  /** A reply came but a required part is missing or invalid ('no-43', '120', 'chain', ...). */
  content: (what: string): Observation => `content:${segment(what)}`,
  sip: (status: number): Observation => `sip:${status}`,
  /** Clock difference in seconds (positive or negative). */
  clock: (offsetSeconds: number): Observation => `clock:${Math.round(offsetSeconds)}`,
  dns: (what: string): Observation => `dns:${segment(what)}`,
  /**
   * The issued certificate failed a check. 'validity' when it is not valid now (a clock can explain
   * that), else the first other problem (wrong key, subject, signature: no clock explains those).
   */
  certificateInvalid: (problems: readonly string[]): Observation => {
    const validity = problems.some((problem) => problem === 'expired' || problem === 'not-yet-valid');
    return `content:${CONTENT.certificateInvalid}:${validity ? 'validity' : segment(problems[0] ?? 'other')}`;
  },
} as const;

/**
 * The `content:` values the lookup table knows, so stages and the table agree on spelling.
 * Anything else is still a valid observation; it just classifies as `<prefix>-unclassified`.
 */
export const CONTENT = {
  noOption43: 'no-43',
  option43BadValues: '43',
  /** A sub-option runs past the end of the reassembled option 43, or later sub-options are cut off. */
  option43Truncated: '43-truncated',
  /** Every DHCP server that answered refused the INFORM (DHCPNAK or another non-ACK type). */
  informRefused: 'inform-refused',
  noOption120: 'no-120',
  option120Malformed: '120',
  /** Several ACKs whose 43/120 differ. */
  multipleResponders: 'multiple-responders',
  fqdnInconsistent: 'fqdn-inconsistent',
  /** HTTP 200 on the root-chain call, but no certificate could be read. */
  chain: 'chain',
  /** The downloaded chain does not anchor the server certificate on 443/5061. */
  chainNoAnchor: 'chain-no-anchor',
  /** Web Ticket metadata lists no PIN port. */
  noPinPort: 'no-pin-port',
  /** A metadata document arrived but is not readable WSDL (malformed, oversized, no definitions). */
  metadataUnreadable: 'metadata-unreadable',
  /** An operation's answer arrived with 200 but is not a readable SOAP message. */
  responseUnreadable: 'response-unreadable',
  /** The server's bytes were not valid HTTP (parser error, bad chunked encoding). */
  httpMalformed: 'http',
  /** The response headers were larger than the HTTP client accepts. */
  httpHeadersOversized: 'http-headers-oversized',
  /** The response body was larger than the configured cap. */
  oversized: 'oversized',
  /** A request carrying the PIN or a ticket was addressed to a URL that is not https; refused unsent. */
  secretNotHttps: 'secret-not-https',
  /** The registrar closed the connection or sent bytes that are not SIP. */
  sip: 'sip',
  /** Token response without assertion, entropy or lifetime. */
  rstrIncomplete: 'rstr-incomplete',
  /** Token response whose proof key the client cannot use (EncryptedKey, a ComputedKey other than PSHA1). */
  proofKeyUnsupported: 'proof-key-unsupported',
  /** CertProv /mex lists no CertProvisioningServiceWebTicketProof port. */
  noProofPort: 'no-proof-port',
  noSipUri: 'no-sip-uri',
  userMismatch: 'user-mismatch',
  /** GetAndPublishCert answered 200 without a readable certificate. */
  noCertificate: 'no-certificate',
  /** Wrong subject, key, chain or validity on the issued certificate. */
  certificateInvalid: 'certificate-invalid',
  /** Issued certificate is fine but its validity is short (warn). */
  certificateShortValidity: 'certificate-short-validity',
  stsUriDiffers: 'sts-uri-differs',
  noTimeSource: 'no-time-source',
  ntpUnsynchronised: 'ntp-unsynchronised',
  ntpKissOfDeath: 'ntp-kiss-of-death',
  /** The option-120 host is inside neither the SIP domain nor a domain of options 15/119. */
  option120OutsideDomains: 'option120-outside-domains',
  /** The registrar certificate does not name a host the phone uses (option 120, SRV target). */
  registrarCertName: 'registrar-cert-name',
  registrarCertWildcard: 'registrar-cert-wildcard',
  registrarCertSha1: 'registrar-cert-sha1',
  /** A TLS alert came back inside gssapi-data. */
  tlsDskInnerAlert: 'tls-dsk-inner-alert',
  /** Our TLS engine refused the registrar's inner flight (certificate, targetname). */
  tlsDskHandshake: 'tls-dsk-handshake',
  /** The 200 to the signed REGISTER carried no or a wrong rspauth. */
  badServerSignature: 'bad-server-signature',
  clientVersionBlocked: 'client-version-blocked',
  redirected: 'redirected',
} as const;

/** The `dns:` values the lookup table knows. */
export const DNS = {
  webNxdomain: 'web-nxdomain',
  registrarNxdomain: 'registrar-nxdomain',
  noSipInternalTls: 'no-sipinternaltls',
  srvOutsideDomain: 'srv-outside-domain',
  srvTargetUnresolvable: 'srv-target-unresolvable',
  srvDhcpDisagree: 'srv-dhcp-disagree',
  /** No usable answer from the resolver (EAI_AGAIN, SERVFAIL, REFUSED, timeouts). */
  resolverFailure: 'resolver-failure',
} as const;

/** The parts of an observation the lookup table looks at. */
export interface ParsedObservation {
  readonly raw: Observation;
  /** First segment: 'tcp', 'http', 'soap-fault', 'no-reply' ... */
  readonly kind: string;
  readonly segments: readonly string[];
  /** The Lync ErrorId carried by a soap-fault or x-ms-diag observation. */
  readonly errorId?: string;
}

export function parseObservation(raw: Observation): ParsedObservation {
  const segments = raw.trim().split(':');
  const kind = segments[0] ?? '';
  let errorId: string | undefined;
  if (kind === 'soap-fault' && segments[2]) errorId = segments[2];
  if (kind === 'x-ms-diag' && segments[1]) errorId = segments[1];
  return errorId === undefined ? { raw, kind, segments } : { raw, kind, segments, errorId };
}
