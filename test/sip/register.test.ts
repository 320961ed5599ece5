import { describe, expect, it } from 'vitest';
import { findTlsDskChallenge, parseAuthHeader } from '../../src/sip/auth-params.js';
import { headerValue, parseSipMessage, serializeSipMessage } from '../../src/sip/message.js';
import { buildRegister, challengeContext, newRegisterDialog, signRequest, verifyServerSignature, type TlsDskSecurityAssociation } from '../../src/sip/register.js';
import { computeSignature, signatureFields, signatureString } from '../../src/sip/signature.js';

// Keys of the research notes' §4.6 vector.
const SA: TlsDskSecurityAssociation = {
  realm: 'SIP Communications Service',
  targetname: 'pool01.lab.test',
  opaque: 'ABCD0123',
  version: 4,
  keys: {
    clientKey: Buffer.from('8d56bdf4498cf0ed4542cbbad85b6fef6387449ed68e539712afa7bee6f1966e', 'hex'),
    serverKey: Buffer.from('edf3871fed72cc8789dffeaf960cba247bc7cf48a0c923ff36ba9852364b1ecf', 'hex'),
  },
  mac: 'sha1',
  cnum: 0,
};
const dialog = { ...newRegisterDialog({ sipUri: 'sip:jeff@lab.test', sipDomain: 'lab.test', localAddress: '127.0.0.1', localPort: 50000, epid: '8248ca9ebb', userAgent: 'bootstrap-test' }) };

describe('REGISTER building and signing', () => {
  it('shapes the REGISTER like pidgin-sipe, with +sip.instance derived from the epid', () => {
    const register = buildRegister(dialog, 1);
    expect(register.uri).toBe('sip:lab.test');
    expect(headerValue(register, 'From')).toBe(`<sip:jeff@lab.test>;tag=${dialog.fromTag};epid=8248ca9ebb`);
    expect(headerValue(register, 'Contact')).toContain('+sip.instance="<urn:uuid:4233FD41-093B-5FD6-B5D2-651ED55969E6>"');
    expect(headerValue(register, 'Expires')).toBeUndefined();
    expect(headerValue(buildRegister(dialog, 5, { expires: 0 }), 'Expires')).toBe('0');
    const reparsed = parseSipMessage(serializeSipMessage(register));
    expect(reparsed.headers).toEqual([...register.headers, { name: 'Content-Length', value: '0' }]);
  });

  it('signs with crand/cnum and the client key, counting cnum up', () => {
    const { request, sa } = signRequest(buildRegister(dialog, 4), SA, '3f2a1b0c');
    expect(sa.cnum).toBe(1);
    const authorization = parseAuthHeader(headerValue(request, 'Authorization') ?? '');
    expect(authorization.params.get('crand')).toBe('3f2a1b0c');
    expect(authorization.params.get('cnum')).toBe('1');
    expect(authorization.params.get('opaque')).toBe('ABCD0123');
    const expected = computeSignature(SA.keys.clientKey, 'sha1', signatureString(signatureFields(request, SA, { rand: '3f2a1b0c', num: 1 })));
    expect(authorization.params.get('response')).toBe(expected);
    expect(signRequest(request, sa).sa.cnum).toBe(2);
  });

  it('reads realm, targetname, version and opaque from a challenge', () => {
    const challenge = findTlsDskChallenge(['TLS-DSK opaque="0A0B", realm="SIP Communications Service", targetname="fe01.lab.test", version=4']);
    expect(challengeContext(challenge!)).toEqual({ realm: 'SIP Communications Service', targetname: 'fe01.lab.test', opaque: '0A0B', version: 4 });
  });
});

describe('the registrar signature on its answers', () => {
  const ok = (info?: string): ReturnType<typeof parseSipMessage> =>
    parseSipMessage(
      Buffer.from(
        'SIP/2.0 200 OK\r\nFrom: <sip:jeff@lab.test>;tag=1a2b3c4d\r\nTo: <sip:jeff@lab.test>;tag=9f8e7d6c\r\nCall-ID: 0123456789abcdef\r\n' +
          `CSeq: 3 REGISTER\r\nExpires: 7200\r\n${info ? `Authentication-Info: ${info}\r\n` : ''}Content-Length: 0\r\n\r\n`,
      ),
    );
  const info = (rspauth: string): string =>
    `TLS-DSK qop="auth", opaque="ABCD0123", srand="1d9666d9", snum="1", rspauth="${rspauth}", targetname="pool01.lab.test", realm="SIP Communications Service", version=4`;

  it('accepts the §4.6 rspauth and refuses a changed one', () => {
    expect(verifyServerSignature(ok(info('52ec2c644af989605c7064cbd0cdb6393a02cbbc')), SA)).toEqual({ kind: 'valid', srand: '1d9666d9', snum: '1' });
    expect(verifyServerSignature(ok(info('52ec2c644af989605c7064cbd0cdb6393a02cbbd')), SA)).toEqual({ kind: 'invalid', reason: 'rspauth does not verify with the server key' });
  });

  it('calls a 200 without Authentication-Info unsigned and an incomplete one invalid', () => {
    expect(verifyServerSignature(ok(), SA)).toEqual({ kind: 'unsigned' });
    expect(verifyServerSignature(ok('TLS-DSK qop="auth", srand="1d9666d9"'), SA).kind).toBe('invalid');
    expect(verifyServerSignature(ok('NTLM rspauth="00"'), SA).kind).toBe('invalid');
  });
});
