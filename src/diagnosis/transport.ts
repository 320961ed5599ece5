// What a transport failure means to the diagnosis: each TransportError code (plus its typed facts,
// the TLS alert number and the verification reason) reduced to one observation of diagnosis.md 0.3.
// The transport itself only names what happened; this is the one place that interprets it.

import type { Observation } from '../model.js';
import { UdpLocalError } from '../net/udp-exchange.js';
import { TlsAlertError, TlsVerifyError, type TransportError, type TransportErrorCode } from '../net/errors.js';
import { CONTENT, observe } from './observation.js';

const OBSERVATION_OF_CODE: Readonly<Record<TransportErrorCode, (error: TransportError) => Observation>> = {
  BT_CONNECT_TIMEOUT: () => observe.tcp('timeout'),
  BT_CONNECT_REFUSED: () => observe.tcp('refused'),
  BT_CONNECTION_RESET: () => observe.tcp('reset'),
  // An alert whose number could not be read is still the peer ending the handshake.
  BT_TLS_ALERT: (error) => (error instanceof TlsAlertError ? observe.tlsAlert(error.alert) : observe.tlsClosed()),
  BT_TLS_CLOSED: () => observe.tlsClosed(),
  BT_TLS_VERIFY: (error) => observe.tlsVerify(error instanceof TlsVerifyError ? error.reason : 'other'),
  BT_RESPONSE_TIMEOUT: () => observe.timeout(),
  BT_RESPONSE_TOO_LARGE: () => observe.content(CONTENT.oversized),
  BT_RESPONSE_HEADERS_TOO_LARGE: () => observe.content(CONTENT.httpHeadersOversized),
  BT_NAME_RESOLUTION: () => observe.local('ENOTFOUND'),
  BT_PROTOCOL: () => observe.content(CONTENT.httpMalformed),
  BT_SECRET_NOT_HTTPS: () => observe.content(CONTENT.secretNotHttps),
  BT_UDP_NO_REPLY: () => observe.noReply(),
  BT_UDP_LOCAL: (error) => observe.local(error instanceof UdpLocalError ? error.nodeCode : 'host'),
  BT_SIP_PROTOCOL: () => observe.content(CONTENT.sip),
};

/** The observation a transport failure stands for. */
export function observationOf(error: TransportError): Observation {
  return OBSERVATION_OF_CODE[error.code](error);
}
