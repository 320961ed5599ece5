import { beforeAll, describe, expect, it } from 'vitest';
import { buildPkcs7CertsOnly } from '../../src/lab/wire/pkcs7.js';
import { parseEnvelope } from '../../src/soap/envelope.js';
import { buildFaultEnvelope } from '../../src/lab/wire/fault.js';
import { ACTION_GET_AND_PUBLISH_CERT, OCS_AUTH, REQUEST_TYPE_ISSUE, TOKEN_TYPE_X509V3, VALUE_TYPE_PKCS10 } from '../../src/soap/namespaces.js';
import {
  buildGetAndPublishCertRequest,
  newDeviceId,
  parseGetAndPublishCertResponse,
  wrapBase64,
} from '../../src/soap/services/certprov.js';
import {
  buildErrorInfoResponse,
  buildGetAndPublishCertResponse,
  readGetAndPublishCertRequest,
} from '../../src/lab/wire/certprov.js';
import { attr, descendant } from '../../src/soap/xml.js';
import { makeCa, type TestCa } from '../pki/fixtures.js';

let root: TestCa;
let user: TestCa;
const csrDer = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 256));

beforeAll(() => {
  root = makeCa('Lab Root');
  user = makeCa('jeff@lab.test', root);
});

describe('GetAndPublishCert request', () => {
  it('is written as documented and read back by the server side', () => {
    const built = buildGetAndPublishCertRequest({
      to: 'https://pool/CertProv/CertProvisioningService.svc/WebTicket_Proof',
      security: '<wsse:Security><T/></wsse:Security>',
      entity: 'sip:jeff@lab.test',
      csrDer,
      requestId: 'req-1',
    });
    expect(built.action).toBe(ACTION_GET_AND_PUBLISH_CERT);
    expect(built.deviceId).toMatch(/^\{[0-9a-f-]{36}\}$/);
    const message = parseEnvelope(built.xml);
    const operation = message.kind === 'body' ? message.payload : undefined;
    expect(operation?.ns).toBe(OCS_AUTH);
    expect(attr(operation, 'Entity')).toBe('jeff@lab.test');
    expect(attr(descendant(operation, 'BinarySecurityToken'), 'ValueType')).toBe(VALUE_TYPE_PKCS10);
    const base64 = /#Base64Binary">([^<]*)</.exec(built.xml)![1]!;
    expect(base64.split('\r\n').every((line) => line.length <= 76)).toBe(true);
    expect(base64.split('\r\n')[0]).toHaveLength(76);
    expect(readGetAndPublishCertRequest(built.xml)).toEqual({
      ok: true,
      request: { csrDer, deviceId: built.deviceId, entity: 'jeff@lab.test', requestId: 'req-1', tokenType: TOKEN_TYPE_X509V3, requestType: REQUEST_TYPE_ISSUE },
    });
  });

  it('makes a distinct braced GUID per call and wraps base64 at 76 with CRLF', () => {
    expect(newDeviceId()).not.toBe(newDeviceId());
    expect(wrapBase64(Buffer.alloc(120, 1))).toBe(`${'AQEB'.repeat(19)}\r\n${'AQEB'.repeat(19)}\r\nAQEBAQEB`);
  });

  it('server side refuses a body that is not GetAndPublishCert or has no CSR', () => {
    const envelope = (body: string) => `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>${body}</s:Body></s:Envelope>`;
    expect(readGetAndPublishCertRequest(envelope('<ResolveUser/>'))).toMatchObject({ ok: false });
    expect(readGetAndPublishCertRequest(envelope('<GetAndPublishCert><BinarySecurityToken>!!</BinarySecurityToken></GetAndPublishCert>'))).toMatchObject({ ok: false });
  });
});

describe('GetAndPublishCert response', () => {
  it('reads the certificate and the PKCS#7 chain of the lab answer', () => {
    const xml = buildGetAndPublishCertResponse({ certificateDer: user.der, chainPkcs7: buildPkcs7CertsOnly([root.der]), requestId: 'r' });
    const result = parseGetAndPublishCertResponse(xml);
    expect(result.kind).toBe('certificate');
    if (result.kind !== 'certificate') return;
    expect(result.certificateDer.equals(user.der)).toBe(true);
    expect(result.chain?.map((c) => c.equals(root.der))).toEqual([true]);
  });

  it('reads a differently written answer: other prefixes, wrapped base64, chain after the token', () => {
    const wrapped = user.der.toString('base64').replace(/.{64}/g, '$&\r\n');
    const xml = `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>
      <r:GetAndPublishCertResponse xmlns:r="${OCS_AUTH}"><t:RequestSecurityTokenResponse xmlns:t="http://docs.oasis-open.org/ws-sx/ws-trust/200512">
        <t:RequestedSecurityToken><b:BinarySecurityToken xmlns:b="urn:whatever" ValueType="x">${wrapped}</b:BinarySecurityToken></t:RequestedSecurityToken>
        <b:BinarySecurityToken xmlns:b="urn:whatever" ValueType="urn:x#PKCS7">not base64!</b:BinarySecurityToken>
      </t:RequestSecurityTokenResponse></r:GetAndPublishCertResponse></e:Body></e:Envelope>`;
    const result = parseGetAndPublishCertResponse(xml);
    expect(result.kind === 'certificate' && result.certificateDer.equals(user.der)).toBe(true);
    expect(result.kind === 'certificate' && result.chain).toBeUndefined();
  });

  it('reports ErrorInfo with code and text verbatim, element or attribute style', () => {
    expect(parseGetAndPublishCertResponse(buildErrorInfoResponse({ code: '0x80070005', text: 'Data store unavailable.' }))).toMatchObject({
      kind: 'error-info',
      code: '0x80070005',
      text: 'Data store unavailable.',
    });
    const attributeStyle = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><GetAndPublishCertResponse xmlns="${OCS_AUTH}">
      <ErrorInfo ErrorCode="42" Message="Key too short"/></GetAndPublishCertResponse></s:Body></s:Envelope>`;
    expect(parseGetAndPublishCertResponse(attributeStyle)).toMatchObject({ kind: 'error-info', code: '42', text: 'Key too short' });
    const textOnly = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><R><ErrorInfo> Something broke </ErrorInfo></R></s:Body></s:Envelope>`;
    expect(parseGetAndPublishCertResponse(textOnly)).toEqual({ kind: 'error-info', text: 'Something broke', raw: 'Something broke' });
  });

  it('distinguishes no certificate, faults and junk', () => {
    const empty = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><GetAndPublishCertResponse/></s:Body></s:Envelope>`;
    expect(parseGetAndPublishCertResponse(empty)).toMatchObject({ kind: 'no-certificate' });
    expect(parseGetAndPublishCertResponse(buildFaultEnvelope({ code: 's:Server', reason: 'x' }))).toMatchObject({ kind: 'fault' });
    expect(parseGetAndPublishCertResponse('')).toMatchObject({ kind: 'invalid' });
  });
});
