// Every vector of the research notes' TLS-DSK section (§4.6) and the three [MS-SIPAE] epid examples.
import { describe, expect, it } from 'vitest';
import { newEpid, sipInstanceFromEpid, sipInstanceParam } from '../../src/sip/epid.js';
import { parseSipMessage } from '../../src/sip/message.js';
import { computeSignature, macForCipherSuite, signatureFields, signatureMatches, signatureString } from '../../src/sip/signature.js';
import { splitTlsDskKeyBlock, tls10MasterSecret, tls10Prf, tls10TlsDskKeys, TLS_DSK_EXPORTER_LABEL } from '../../src/sip/tls-dsk-keys.js';

const range = (from: number, to: number): Buffer => Buffer.from(Array.from({ length: to - from + 1 }, (_, index) => from + index));
const MASTER = range(0x00, 0x2f);
const CLIENT_RANDOM = range(0x40, 0x5f);
const SERVER_RANDOM = range(0x60, 0x7f);
const KEY_BLOCK =
  '6e3daed4a230fc4463075be7b8bade37c5e819df103909072423571b264c7235876c4a4f01a574537a1fe43d28b3e090ee39b69b5832077d0e153a38b49cfffb' +
  '8d56bdf4498cf0ed4542cbbad85b6fef6387449ed68e539712afa7bee6f1966eedf3871fed72cc8789dffeaf960cba247bc7cf48a0c923ff36ba9852364b1ecf';
const CLIENT_KEY = '8d56bdf4498cf0ed4542cbbad85b6fef6387449ed68e539712afa7bee6f1966e';
const SERVER_KEY = 'edf3871fed72cc8789dffeaf960cba247bc7cf48a0c923ff36ba9852364b1ecf';
const CONTEXT = { realm: 'SIP Communications Service', targetname: 'pool01.lab.test', version: 4 };

const REQUEST = parseSipMessage(
  Buffer.from(
    'REGISTER sip:lab.test SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:50000;branch=z9hG4bK1\r\nFrom: <sip:jeff@lab.test>;tag=1a2b3c4d\r\n' +
      'To: <sip:jeff@lab.test>\r\nCall-ID: 0123456789abcdef\r\nCSeq: 3 REGISTER\r\nContent-Length: 0\r\n\r\n',
  ),
);
const OK = parseSipMessage(
  Buffer.from(
    'SIP/2.0 200 OK\r\nFrom: <sip:jeff@lab.test>;tag=1a2b3c4d\r\nTo: <sip:jeff@lab.test>;tag=9f8e7d6c\r\nCall-ID: 0123456789abcdef\r\n' +
      'CSeq: 3 REGISTER\r\nExpires: 7200\r\nContent-Length: 0\r\n\r\n',
  ),
);

describe('TLS-DSK key derivation (§4.6 vectors)', () => {
  it('derives the 128-byte key block with the TLS 1.0 PRF and the EAP label', () => {
    const block = tls10Prf(MASTER, TLS_DSK_EXPORTER_LABEL, Buffer.concat([CLIENT_RANDOM, SERVER_RANDOM]), 128);
    expect(block.toString('hex')).toBe(KEY_BLOCK);
  });

  it('takes the client key from bytes 64-95 and the server key from 96-127', () => {
    const keys = tls10TlsDskKeys(MASTER, CLIENT_RANDOM, SERVER_RANDOM);
    expect(keys.clientKey.toString('hex')).toBe(CLIENT_KEY);
    expect(keys.serverKey.toString('hex')).toBe(SERVER_KEY);
    expect(() => splitTlsDskKeyBlock(Buffer.alloc(127))).toThrow(/127 bytes/);
  });

  it('derives the master secret from the pre-master 03 01 02..2f', () => {
    const preMaster = Buffer.concat([Buffer.from([0x03, 0x01]), range(0x02, 0x2f)]);
    expect(preMaster.length).toBe(48);
    expect(tls10MasterSecret(preMaster, CLIENT_RANDOM, SERVER_RANDOM).toString('hex')).toBe(
      '502678b0fb886a2d0384d31516c7e8663464c0fdf5b9f2c489fd3c67e77f0f42ec7da2335988ec2f63be90c6b6fb4986',
    );
  });
});

describe('TLS-DSK message signature (§4.6 vectors)', () => {
  const clientKey = Buffer.from(CLIENT_KEY, 'hex');
  const serverKey = Buffer.from(SERVER_KEY, 'hex');
  const requestString = signatureString(signatureFields(REQUEST, CONTEXT, { rand: '3f2a1b0c', num: 1 }));
  const okString = signatureString(signatureFields(OK, CONTEXT, { rand: '1d9666d9', num: 1 }));

  it('builds the request string from the REGISTER', () => {
    expect(requestString).toBe(
      '<TLS-DSK><3f2a1b0c><1><SIP Communications Service><pool01.lab.test><0123456789abcdef><3><REGISTER><sip:jeff@lab.test><1a2b3c4d><sip:jeff@lab.test><><><><>',
    );
  });

  it('signs it with HMAC-SHA1 and HMAC-MD5 under the client key', () => {
    expect(computeSignature(clientKey, 'sha1', requestString)).toBe('EE283CF7118795A315899973A400392D060ECAEE');
    expect(computeSignature(clientKey, 'md5', requestString)).toBe('025987993381AB044BF19DF59177D79E');
  });

  it('builds the 200 OK string with the To tag, Expires and the status code', () => {
    expect(okString).toBe(
      '<TLS-DSK><1d9666d9><1><SIP Communications Service><pool01.lab.test><0123456789abcdef><3><REGISTER><sip:jeff@lab.test><1a2b3c4d><sip:jeff@lab.test><9f8e7d6c><><><7200><200>',
    );
  });

  it('verifies the lower-case rspauth under the server key, and refuses it under the client key or altered', () => {
    const rspauth = '52ec2c644af989605c7064cbd0cdb6393a02cbbc';
    expect(computeSignature(serverKey, 'sha1', okString)).toBe(rspauth.toUpperCase());
    expect(signatureMatches(serverKey, 'sha1', okString, rspauth)).toBe(true);
    expect(signatureMatches(clientKey, 'sha1', okString, rspauth)).toBe(false);
    expect(signatureMatches(serverKey, 'sha1', okString, rspauth.slice(0, -1) + 'd')).toBe(false);
    expect(signatureMatches(serverKey, 'sha1', okString, 'zz')).toBe(false);
  });

  it('uses the [MS-SIP] short list for version < 3 (no To URI, no identity)', () => {
    expect(signatureFields(OK, { ...CONTEXT, version: 2 }, { rand: '1d9666d9', num: 1 })).toEqual([
      'TLS-DSK', '1d9666d9', '1', 'SIP Communications Service', 'pool01.lab.test', '0123456789abcdef', '3', 'REGISTER', 'sip:jeff@lab.test', '1a2b3c4d', '9f8e7d6c', '7200', '200',
    ]);
  });

  it('splits P-Asserted-Identity into its sip: and tel: URIs', () => {
    const withIdentity = parseSipMessage(
      Buffer.from('SIP/2.0 200 OK\r\nCSeq: 4 REGISTER\r\nP-Asserted-Identity: "Jeff" <sip:jeff@lab.test>, <tel:+15551234>\r\nContent-Length: 0\r\n\r\n'),
    );
    const fields = signatureFields(withIdentity, CONTEXT, { rand: 'a', num: 2 });
    expect(fields.slice(12, 14)).toEqual(['sip:jeff@lab.test', 'tel:+15551234']);
  });

  it('picks the MAC from the negotiated suite', () => {
    expect(macForCipherSuite('TLS_RSA_WITH_AES_128_CBC_SHA')).toBe('sha1');
    expect(macForCipherSuite('TLS_RSA_WITH_RC4_128_MD5')).toBe('md5');
    expect(macForCipherSuite('TLS_RSA_WITH_AES_256_CBC_SHA256')).toBe('sha256');
    expect(macForCipherSuite('TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384')).toBe('sha384');
    expect(macForCipherSuite('TLS_AES_128_CCM_8')).toBeUndefined();
  });
});

describe('epid → +sip.instance ([MS-SIPAE] 4.1, 4.2, 4.5 examples)', () => {
  it.each([
    ['8248ca9ebb', '4233FD41-093B-5FD6-B5D2-651ED55969E6'],
    ['2ebb6f264f', '124841E4-264D-52E8-96C5-D22AA8CDC316'],
    ['c32b51b28c', '782873E3-EC25-5E64-B374-0FF05E0839A5'],
  ])('%s → %s', (epid, instance) => {
    expect(sipInstanceFromEpid(epid)).toBe(instance);
  });

  it('formats the Contact parameter and makes 10-hex-digit epids', () => {
    expect(sipInstanceParam('8248ca9ebb')).toBe('"<urn:uuid:4233FD41-093B-5FD6-B5D2-651ED55969E6>"');
    expect(newEpid()).toMatch(/^[0-9a-f]{10}$/);
  });
});
