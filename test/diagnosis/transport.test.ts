// Every transport error code, with its typed facts, maps to the observation the lookup table knows.

import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/diagnosis/classify.js';
import { observationOf } from '../../src/diagnosis/transport.js';
import {
  ConnectRefusedError,
  ConnectTimeoutError,
  ConnectionResetError,
  NameResolutionError,
  PlainHttpOnTlsPortError,
  ResponseSlowError,
  ProtocolError,
  ResponseHeadersTooLargeError,
  ResponseTimeoutError,
  ResponseTooLargeError,
  TlsAlertError,
  TlsClosedError,
  TlsVerifyError,
  type TransportError,
  type TransportErrorCode,
} from '../../src/net/errors.js';

const CASES: Array<[TransportError, TransportErrorCode, string]> = [
  [new ConnectTimeoutError('x'), 'BT_CONNECT_TIMEOUT', 'tcp:timeout'],
  [new ConnectRefusedError('x'), 'BT_CONNECT_REFUSED', 'tcp:refused'],
  [new ConnectionResetError('x'), 'BT_CONNECTION_RESET', 'tcp:reset'],
  [new TlsAlertError(70, 'x'), 'BT_TLS_ALERT', 'tls:alert:70'],
  [new TlsAlertError(40, 'x'), 'BT_TLS_ALERT', 'tls:alert:40'],
  [new TlsClosedError('x'), 'BT_TLS_CLOSED', 'tls:closed'],
  [new TlsVerifyError('untrusted', 'x'), 'BT_TLS_VERIFY', 'tls:verify:untrusted'],
  [new TlsVerifyError('name', 'x'), 'BT_TLS_VERIFY', 'tls:verify:name'],
  [new TlsVerifyError('expired', 'x'), 'BT_TLS_VERIFY', 'tls:verify:expired'],
  [new TlsVerifyError('not-yet-valid', 'x'), 'BT_TLS_VERIFY', 'tls:verify:not-yet-valid'],
  [new TlsVerifyError('other', 'x'), 'BT_TLS_VERIFY', 'tls:verify:other'],
  [new ResponseTimeoutError('x'), 'BT_RESPONSE_TIMEOUT', 'timeout'],
  [new ResponseTooLargeError('x'), 'BT_RESPONSE_TOO_LARGE', 'content:oversized'],
  [new ResponseHeadersTooLargeError('x'), 'BT_RESPONSE_HEADERS_TOO_LARGE', 'content:http-headers-oversized'],
  [new NameResolutionError('nxdomain', 'x'), 'BT_NAME_RESOLUTION', 'dns:web-nxdomain'],
  [new NameResolutionError('temporary', 'x'), 'BT_NAME_RESOLUTION', 'dns:resolver-failure'],
  [new ProtocolError('x'), 'BT_PROTOCOL', 'content:http'],
  [new PlainHttpOnTlsPortError('x'), 'BT_TLS_PLAIN_HTTP', 'tls:plain-http'],
  [new ResponseSlowError(12, 64, 'x'), 'BT_RESPONSE_SLOW', 'timeout:slow'],
];

describe('observationOf', () => {
  it("a name that does not exist is the registrar's in the registrar stage, the web services' elsewhere", () => {
    const nxdomain = new NameResolutionError('nxdomain', 'x');
    expect(observationOf(nxdomain, 'rootchain')).toBe('dns:web-nxdomain');
    expect(observationOf(nxdomain, 'registrar')).toBe('dns:registrar-nxdomain');
    expect(diagnose('rootchain', observationOf(nxdomain, 'rootchain')).id).toBe('dns-web-fqdn-nxdomain');
    expect(diagnose('registrar', observationOf(nxdomain, 'registrar')).id).toBe('dns-registrar-fqdn-nxdomain');
    expect(diagnose('webticket', observationOf(new NameResolutionError('temporary', 'x'))).id).toBe('dns-resolver-failure');
  });

  it.each(CASES)('%o has code %s and stands for %s', (error, code, observation) => {
    expect(error.code).toBe(code);
    expect(observationOf(error)).toBe(observation);
  });

  it('covers every transport error class', () => {
    const codes = new Set(CASES.map(([, code]) => code));
    expect([...codes].sort()).toEqual(
      [
        'BT_CONNECT_TIMEOUT', 'BT_CONNECT_REFUSED', 'BT_CONNECTION_RESET', 'BT_TLS_ALERT', 'BT_TLS_CLOSED', 'BT_TLS_VERIFY',
        'BT_RESPONSE_TIMEOUT', 'BT_RESPONSE_TOO_LARGE', 'BT_RESPONSE_HEADERS_TOO_LARGE', 'BT_NAME_RESOLUTION', 'BT_PROTOCOL',
        'BT_TLS_PLAIN_HTTP', 'BT_RESPONSE_SLOW',
      ].sort(),
    );
  });
});
