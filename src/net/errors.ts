// Typed transport failures. Each class carries a stable `code` (as undici's UND_ERR_* do) and the
// typed facts of the failure (TLS alert number, verification reason). The transport only says what
// happened on the wire; what that means for the deployment is decided by the layers above.

import { BootstrapTestError, type ErrorCode } from '../errors.js';

/** Why this tool rejected a server certificate. */
export type TlsVerifyReason = 'untrusted' | 'name' | 'expired' | 'not-yet-valid' | 'other';

/** Short printable facts about a failure (host, address, port, after ms, node or undici error code). */
export type TransportEvidence = Record<string, string | number>;

/** Base class: a network exchange failed before a usable HTTP response arrived. */
export class TransportError extends BootstrapTestError {
  declare readonly code: TransportErrorCode;
  readonly evidence: TransportEvidence;

  constructor(code: TransportErrorCode, message: string, evidence: TransportEvidence = {}) {
    super(code, message);
    this.evidence = evidence;
  }
}

export type TransportErrorCode = Extract<
  ErrorCode,
  | 'BT_CONNECT_TIMEOUT'
  | 'BT_CONNECT_REFUSED'
  | 'BT_CONNECTION_RESET'
  | 'BT_TLS_ALERT'
  | 'BT_TLS_CLOSED'
  | 'BT_TLS_VERIFY'
  | 'BT_TLS_PLAIN_HTTP'
  | 'BT_RESPONSE_TIMEOUT'
  | 'BT_RESPONSE_SLOW'
  | 'BT_RESPONSE_TOO_LARGE'
  | 'BT_RESPONSE_HEADERS_TOO_LARGE'
  | 'BT_NAME_RESOLUTION'
  | 'BT_PROTOCOL'
  | 'BT_SECRET_NOT_HTTPS'
  | 'BT_UDP_NO_REPLY'
  | 'BT_UDP_LOCAL'
  | 'BT_SIP_PROTOCOL'
>;

/** TCP connect did not complete in time (a filtered port or a host that is not there). */
export class ConnectTimeoutError extends TransportError {
  constructor(message: string, evidence?: TransportEvidence) {
    super('BT_CONNECT_TIMEOUT', message, evidence);
  }
}

/** The peer refused the TCP connection (RST to the SYN). */
export class ConnectRefusedError extends TransportError {
  constructor(message: string, evidence?: TransportEvidence) {
    super('BT_CONNECT_REFUSED', message, evidence);
  }
}

/** The connection was reset or closed by the peer outside a TLS handshake. */
export class ConnectionResetError extends TransportError {
  constructor(message: string, evidence?: TransportEvidence) {
    super('BT_CONNECTION_RESET', message, evidence);
  }
}

/** The server answered the handshake with a TLS alert. */
export class TlsAlertError extends TransportError {
  constructor(
    readonly alert: number,
    message: string,
    evidence?: TransportEvidence,
  ) {
    super('BT_TLS_ALERT', message, evidence);
  }
}

/** The peer dropped the connection during the TLS handshake without an alert. */
export class TlsClosedError extends TransportError {
  constructor(message: string, evidence?: TransportEvidence) {
    super('BT_TLS_CLOSED', message, evidence);
  }
}

/** This tool rejected the server certificate (chain, name or validity). */
export class TlsVerifyError extends TransportError {
  constructor(
    readonly reason: TlsVerifyReason,
    message: string,
    evidence?: TransportEvidence,
  ) {
    super('BT_TLS_VERIFY', message, evidence);
  }
}

/**
 * The port was expected to speak TLS and answered the ClientHello in plain HTTP (a status line came
 * back on a plain connection to the same address): the wrong port, or a load balancer's HTTP service.
 */
export class PlainHttpOnTlsPortError extends TransportError {
  constructor(message: string, evidence?: TransportEvidence) {
    super('BT_TLS_PLAIN_HTTP', message, evidence);
  }
}

/** The request went out on an open connection and nothing at all came back in time. */
export class ResponseTimeoutError extends TransportError {
  constructor(message: string, evidence?: TransportEvidence) {
    super('BT_RESPONSE_TIMEOUT', message, evidence);
  }
}

/** Slow is not silent: the headers came, the body was still arriving when the deadline passed. */
export class ResponseSlowError extends TransportError {
  constructor(
    readonly headersAfterMs: number,
    readonly bodyBytes: number,
    message: string,
    evidence?: TransportEvidence,
  ) {
    super('BT_RESPONSE_SLOW', message, evidence);
  }
}

/** The response body exceeded the configured cap; reading stopped there. */
export class ResponseTooLargeError extends TransportError {
  constructor(message: string, evidence?: TransportEvidence) {
    super('BT_RESPONSE_TOO_LARGE', message, evidence);
  }
}

/** The response headers exceeded the HTTP client's limit (undici's 16 KiB by default). */
export class ResponseHeadersTooLargeError extends TransportError {
  constructor(message: string, evidence?: TransportEvidence) {
    super('BT_RESPONSE_HEADERS_TOO_LARGE', message, evidence);
  }
}

/**
 * Why a name did not resolve: 'nxdomain' = the DNS said the name does not exist (ENOTFOUND, a
 * deployment fault); 'temporary' = no answer could be had (EAI_AGAIN: a resolver or network problem).
 */
export type NameResolutionReason = 'nxdomain' | 'temporary';

/** The host name could not be resolved (no --resolve entry and no usable DNS answer). */
export class NameResolutionError extends TransportError {
  constructor(
    readonly reason: NameResolutionReason,
    message: string,
    evidence?: TransportEvidence,
  ) {
    super('BT_NAME_RESOLUTION', message, evidence);
  }
}

/** The server's bytes were not HTTP (garbage, bad chunked encoding, an HTTP parser error). */
export class ProtocolError extends TransportError {
  constructor(message: string, evidence?: TransportEvidence) {
    super('BT_PROTOCOL', message, evidence);
  }
}

/**
 * A request carrying a secret (the PIN, a ticket or its proof) was about to go to a URL that is not
 * https; it was refused before any connection, so nothing left this host.
 */
export class SecretNotOverHttpsError extends TransportError {
  constructor(message: string, evidence?: TransportEvidence) {
    super('BT_SECRET_NOT_HTTPS', message, evidence);
  }
}

/** Sorts OpenSSL/Node certificate verification codes into the reasons worth telling apart. */
export function tlsVerifyReason(nodeCode: string | undefined): TlsVerifyReason {
  switch (nodeCode) {
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'CERT_UNTRUSTED':
    case 'CERT_SIGNATURE_FAILURE':
      return 'untrusted';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return 'name';
    case 'CERT_HAS_EXPIRED':
      return 'expired';
    case 'CERT_NOT_YET_VALID':
      return 'not-yet-valid';
    default:
      return 'other';
  }
}

/** OpenSSL alert names as they appear in Node error codes (ERR_SSL_TLSV1_ALERT_<NAME>), by RFC 8446 number. */
const TLS_ALERTS: Readonly<Record<string, number>> = {
  HANDSHAKE_FAILURE: 40,
  BAD_CERTIFICATE: 42,
  UNSUPPORTED_CERTIFICATE: 43,
  CERTIFICATE_REVOKED: 44,
  CERTIFICATE_EXPIRED: 45,
  CERTIFICATE_UNKNOWN: 46,
  ILLEGAL_PARAMETER: 47,
  UNKNOWN_CA: 48,
  ACCESS_DENIED: 49,
  DECODE_ERROR: 50,
  DECRYPT_ERROR: 51,
  PROTOCOL_VERSION: 70,
  INSUFFICIENT_SECURITY: 71,
  INTERNAL_ERROR: 80,
  INAPPROPRIATE_FALLBACK: 86,
  USER_CANCELLED: 90,
  UNRECOGNIZED_NAME: 112,
};

/**
 * The alert number of a TLS alert the peer sent: from Node's error code when it names the alert,
 * else from OpenSSL's "SSL alert number N" in the message (older OpenSSL builds name no alert).
 */
export function tlsAlertNumber(code: string, message: string): number | undefined {
  const named = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_([A-Z_]+)$/.exec(code)?.[1];
  if (named !== undefined && TLS_ALERTS[named] !== undefined) return TLS_ALERTS[named];
  const match = /alert number (\d+)/i.exec(message);
  return match ? Number(match[1]) : undefined;
}
