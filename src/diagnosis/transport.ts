// What a transport failure means to the diagnosis: each TransportError code (plus its typed facts,
// the TLS alert number and the verification reason) reduced to one observation of diagnosis.md 0.3.
// The transport itself only names what happened; this is the one place that interprets it.

import type { Observation, StageName } from '../model.js';
import { UdpLocalError } from '../net/udp-exchange.js';
import { NameResolutionError, TlsAlertError, TlsVerifyError, type TransportError, type TransportErrorCode } from '../net/errors.js';
import type { CatalogStage } from './catalog.js';
import { catalogStageOf } from './classify.js';
import { CONTENT, DNS, observe } from './observation.js';

/**
 * A name that does not exist is a deployment fault: the registrar's name when the registrar stage
 * looked it up, else the web services' (option-43 or --target-uri host). No answer at all is the resolver's.
 */
function nameResolution(error: TransportError, stage: StageName | CatalogStage | undefined): Observation {
  if (error instanceof NameResolutionError && error.reason === 'temporary') return observe.dns(DNS.resolverFailure);
  const registrar = stage !== undefined && catalogStageOf(stage) === 'registrar';
  return observe.dns(registrar ? DNS.registrarNxdomain : DNS.webNxdomain);
}

const OBSERVATION_OF_CODE: Readonly<Record<TransportErrorCode, (error: TransportError, stage?: StageName | CatalogStage) => Observation>> = {
  BT_CONNECT_TIMEOUT: () => observe.tcp('timeout'),
  BT_CONNECT_REFUSED: () => observe.tcp('refused'),
  BT_CONNECTION_RESET: () => observe.tcp('reset'),
  // An alert whose number could not be read is still the peer ending the handshake.
  BT_TLS_ALERT: (error) => (error instanceof TlsAlertError ? observe.tlsAlert(error.alert) : observe.tlsClosed()),
  BT_TLS_CLOSED: () => observe.tlsClosed(),
  BT_TLS_VERIFY: (error) => observe.tlsVerify(error instanceof TlsVerifyError ? error.reason : 'other'),
  BT_TLS_PLAIN_HTTP: () => observe.tlsPlainHttp(),
  BT_RESPONSE_TIMEOUT: () => observe.timeout(),
  BT_RESPONSE_SLOW: () => observe.slowAnswer(),
  BT_RESPONSE_TOO_LARGE: () => observe.content(CONTENT.oversized),
  BT_RESPONSE_HEADERS_TOO_LARGE: () => observe.content(CONTENT.httpHeadersOversized),
  BT_NAME_RESOLUTION: nameResolution,
  BT_PROTOCOL: () => observe.content(CONTENT.httpMalformed),
  BT_SECRET_NOT_HTTPS: () => observe.content(CONTENT.secretNotHttps),
  BT_UDP_NO_REPLY: () => observe.noReply(),
  BT_UDP_LOCAL: (error) => observe.local(error instanceof UdpLocalError ? error.nodeCode : 'host'),
  BT_SIP_PROTOCOL: () => observe.content(CONTENT.sip),
};

/** The observation a transport failure stands for (the stage decides whose name did not resolve). */
export function observationOf(error: TransportError, stage?: StageName | CatalogStage): Observation {
  return OBSERVATION_OF_CODE[error.code](error, stage);
}
