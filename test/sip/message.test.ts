import { describe, expect, it } from 'vitest';
import {
  AuthParamsError,
  buildTlsDskAuthorization,
  buildTlsDskServerHeader,
  findTlsDskChallenge,
  offeredSchemes,
  parseAuthHeader,
} from '../../src/sip/auth-params.js';
import {
  headerValue,
  headerValues,
  parseNameAddr,
  parseSipMessage,
  serializeSipMessage,
  SipFormatError,
  takeSipMessage,
  withHeader,
  type SipRequest,
} from '../../src/sip/message.js';

// The Kamailio route of the research notes produced this 401 (Lync-shaped challenges).
const CHALLENGE_401 =
  'SIP/2.0 401 Unauthorized\r\n' +
  'Via: SIP/2.0/TLS 127.0.0.1:50000;branch=z9hG4bK1;rport=50000\r\n' +
  'From: <sip:jeff@lab.test>;tag=1a2b3c4d\r\n' +
  'To: <sip:jeff@lab.test>;tag=b27e1a1d\r\n' +
  'Call-ID: 0123456789abcdef\r\n' +
  'CSeq: 1 REGISTER\r\n' +
  'WWW-Authenticate: NTLM realm="SIP Communications Service", targetname="pool01.lab.test", version=4\r\n' +
  'WWW-Authenticate: TLS-DSK realm="SIP Communications Service", targetname="pool01.lab.test", version=4, sts-uri="https://pool01.lab.test:443/CertProv/CertProvisioningService.svc"\r\n' +
  'Date: Mon, 30 Nov 2026 00:16:13 GMT\r\n' +
  'Content-Length: 0\r\n\r\n';

describe('SIP message codec', () => {
  it('parses a status line, repeated headers and the body', () => {
    const message = parseSipMessage(Buffer.from(CHALLENGE_401));
    expect(message).toMatchObject({ kind: 'response', status: 401, reason: 'Unauthorized' });
    expect(headerValues(message, 'www-authenticate')).toHaveLength(2);
    expect(headerValue(message, 'DATE')).toBe('Mon, 30 Nov 2026 00:16:13 GMT');
  });

  it('reads LF-only line ends, folded lines and compact header names', () => {
    const message = parseSipMessage(Buffer.from('REGISTER sip:lab.test SIP/2.0\ni: abc\nf: <sip:a@lab.test>\n ;tag=9\nl: 2\n\nhi'));
    expect(message).toMatchObject({ kind: 'request', method: 'REGISTER', uri: 'sip:lab.test' });
    expect(headerValue(message, 'Call-ID')).toBe('abc');
    expect(headerValue(message, 'From')).toBe('<sip:a@lab.test> ;tag=9');
    expect(parseNameAddr(headerValue(message, 'from') ?? '')).toEqual({ uri: 'sip:a@lab.test', tag: '9' });
    expect(message.body.toString()).toBe('hi');
  });

  it('writes CRLF, headers in order and a Content-Length equal to the body', () => {
    const request: SipRequest = {
      kind: 'request',
      method: 'REGISTER',
      uri: 'sip:lab.test',
      headers: [
        { name: 'Call-ID', value: 'x' },
        { name: 'Content-Length', value: '99' },
        { name: 'CSeq', value: '1 REGISTER' },
      ],
      body: Buffer.from('abc'),
    };
    expect(serializeSipMessage(request).toString()).toBe('REGISTER sip:lab.test SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 REGISTER\r\nContent-Length: 3\r\n\r\nabc');
    expect(() => serializeSipMessage(withHeader(request, 'Subject', 'a\r\nInjected: 1'))).toThrow(SipFormatError);
  });

  it('replaces a header in place and drops its other instances', () => {
    const message = parseSipMessage(Buffer.from('SIP/2.0 200 OK\r\nA: 1\r\nt: <sip:x@y>\r\nTo: <sip:z@y>\r\nB: 2\r\n\r\n'));
    expect(withHeader(message, 'To', '<sip:new@y>').headers).toEqual([
      { name: 'A', value: '1' },
      { name: 'To', value: '<sip:new@y>' },
      { name: 'B', value: '2' },
    ]);
    expect(withHeader(message, 'Expires', '0').headers.at(-1)).toEqual({ name: 'Expires', value: '0' });
  });

  it('frames stream messages by Content-Length and waits for the rest', () => {
    const two = Buffer.from('\r\n' + CHALLENGE_401 + 'SIP/2.0 200 OK\r\nCSeq: 2 REGISTER\r\nContent-Length: 4\r\n\r\nbody');
    const first = takeSipMessage(two);
    expect(first?.message).toMatchObject({ status: 401 });
    expect(takeSipMessage(first!.rest.subarray(0, first!.rest.length - 1))).toBeUndefined();
    const second = takeSipMessage(first!.rest);
    expect(second?.message.body.toString()).toBe('body');
    expect(second?.rest.length).toBe(0);
    expect(takeSipMessage(Buffer.from('SIP/2.0 200 OK\r\nCSeq: 1 X'))).toBeUndefined();
  });

  it('refuses stream messages without a usable Content-Length, over-long heads and bad start lines', () => {
    expect(() => takeSipMessage(Buffer.from('SIP/2.0 200 OK\r\nCSeq: 1 X\r\n\r\n'))).toThrow(/no Content-Length/);
    expect(() => takeSipMessage(Buffer.from('SIP/2.0 200 OK\r\nContent-Length: -1\r\n\r\n'))).toThrow(/not a number/);
    expect(() => takeSipMessage(Buffer.alloc(70 * 1024, 0x41))).toThrow(/exceed/);
    expect(() => parseSipMessage(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'))).toThrow(/not a SIP request or status line/);
  });
});

describe('TLS-DSK authentication parameters', () => {
  const values = headerValues(parseSipMessage(Buffer.from(CHALLENGE_401)), 'WWW-Authenticate');

  it('finds the TLS-DSK challenge with its parameters verbatim', () => {
    const challenge = findTlsDskChallenge(values);
    expect(challenge?.params.get('realm')).toBe('SIP Communications Service');
    expect(challenge?.params.get('targetname')).toBe('pool01.lab.test');
    expect(challenge?.params.get('version')).toBe('4');
    expect(challenge?.params.get('sts-uri')).toBe('https://pool01.lab.test:443/CertProv/CertProvisioningService.svc');
    expect(offeredSchemes(values)).toEqual(['NTLM', 'TLS-DSK']);
    expect(findTlsDskChallenge(values.slice(0, 1))).toBeUndefined();
  });

  it('keeps hex case and reads escapes, unquoted tokens and odd spacing', () => {
    const parsed = parseAuthHeader('TLS-DSK opaque="0A1B2C3D" ,srand = "AbCd0123",snum=1, realm="a \\"b\\""');
    expect(Object.fromEntries(parsed.params)).toEqual({ opaque: '0A1B2C3D', srand: 'AbCd0123', snum: '1', realm: 'a "b"' });
    expect(() => parseAuthHeader('TLS-DSK realm="open')).toThrow(AuthParamsError);
    expect(() => parseAuthHeader('"x"')).toThrow(/no scheme/);
  });

  it('builds the Authorization header in pidgin-sipe order', () => {
    expect(
      buildTlsDskAuthorization({ opaque: 'ABCD0123', realm: 'SIP Communications Service', targetname: 'pool01.lab.test', gssapiData: 'FgMB', version: 4 }),
    ).toBe('TLS-DSK qop="auth", opaque="ABCD0123", realm="SIP Communications Service", targetname="pool01.lab.test", gssapi-data="FgMB", version=4');
    expect(buildTlsDskAuthorization({ realm: 'r', targetname: 't', crand: '3f2a1b0c', cnum: 1, response: 'EE' })).toBe(
      'TLS-DSK qop="auth", realm="r", targetname="t", crand="3f2a1b0c", cnum="1", response="EE"',
    );
    expect(() => buildTlsDskAuthorization({ realm: 'a"b', targetname: 't' })).toThrow(AuthParamsError);
  });

  it('round-trips a server header', () => {
    const header = buildTlsDskServerHeader([['qop', 'auth'], ['opaque', 'ABCD0123'], ['srand', '1d9666d9'], ['snum', '1'], ['rspauth', '52ec'], ['version', 4]]);
    expect(header).toBe('TLS-DSK qop="auth", opaque="ABCD0123", srand="1d9666d9", snum="1", rspauth="52ec", version=4');
    expect(parseAuthHeader(header).params.get('rspauth')).toBe('52ec');
  });
});
