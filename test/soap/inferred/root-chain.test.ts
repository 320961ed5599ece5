import { beforeAll, describe, expect, it } from 'vitest';
import { buildFaultEnvelope } from '../../../src/lab/wire/fault.js';
import { ACTION_GET_ROOT_CERT_CHAIN } from '../../../src/soap/namespaces.js';
import {
  buildRootChainRequest,
  DEFAULT_ROOT_CHAIN_VARIANT,
  describeRootChain,
  parseRootChainResponse,
  ROOT_CHAIN_VARIANTS,
} from '../../../src/soap/services/inferred/root-chain.js';
import { buildRootChainResponse, readRootChainRequest } from '../../../src/lab/wire/root-chain.js';
import { makeCa, type TestCa } from '../../pki/fixtures.js';

const URL = 'http://pool01.lab.test/CertProv/CertProvisioningService.svc';
let root: TestCa;
let issuing: TestCa;

beforeAll(() => {
  root = makeCa('Lab Root');
  issuing = makeCa('Lab Issuing', root);
});

describe('GetRootCertChain (inferred)', () => {
  it('defaults to the SOAP variant and describes both', () => {
    expect(DEFAULT_ROOT_CHAIN_VARIANT).toBe('soap');
    for (const variant of ROOT_CHAIN_VARIANTS) expect(describeRootChain(variant)).toMatch(/^inferred: GetRootCertChain/);
  });

  it('builds the SOAP POST with the AuthWebServices action', () => {
    const request = buildRootChainRequest('soap', URL);
    expect(request).toMatchObject({ method: 'POST', url: URL, headers: { soapaction: `"${ACTION_GET_ROOT_CERT_CHAIN}"`, 'content-type': 'text/xml; charset=utf-8' } });
  });

  it("uses the action and SOAP version the service's WSDL names, when given", () => {
    const request = buildRootChainRequest('soap', URL, { action: 'urn:x/IContract/GetRootCertChain', soapVersion: '1.2' });
    expect(request.headers).toEqual({ 'content-type': 'application/soap+xml; charset=utf-8; action="urn:x/IContract/GetRootCertChain"' });
    expect(request.body).toContain('"http://www.w3.org/2003/05/soap-envelope"');
    expect(request.body).toContain('<GetRootCertChain xmlns="http://schemas.microsoft.com/OCS/AuthWebServices/"/>');
  });

  it.each(ROOT_CHAIN_VARIANTS)('the lab recognises the %s variant, and only for the right request', (variant) => {
    const request = buildRootChainRequest(variant, `${URL}/`);
    expect(readRootChainRequest({ ...request, url: request.url.replace('http://pool01.lab.test', '') })).toEqual({ ok: true, variant });
  });

  it('the lab refuses other requests with a reason', () => {
    expect(readRootChainRequest({ method: 'GET', url: '/CertProv/CertProvisioningService.svc', headers: {} })).toMatchObject({ ok: false });
    expect(readRootChainRequest({ method: 'POST', url: '/x', headers: { soapaction: '"urn:other"' }, body: '<x/>' })).toMatchObject({ ok: false });
    expect(readRootChainRequest({ method: 'PUT', url: '/x', headers: {} })).toMatchObject({ ok: false });
  });

  it.each([
    ['soap', 'pkcs7', 'base64', 'element GetRootCertChainResult'],
    ['soap', 'certificate-list', 'base64', 'elements under GetRootCertChainResult'],
    ['get', 'pkcs7', 'der', 'HTTP body'],
    ['get', 'certificate-list', 'pem', 'HTTP body'],
  ] as const)('reads the %s answer in %s format and says which it got', (variant, format, encoding, foundIn) => {
    const answer = buildRootChainResponse(variant, { certificates: [root.der, issuing.der], format });
    const result = parseRootChainResponse({ body: answer.body, contentType: answer.headers['Content-Type'] });
    expect(result).toMatchObject({ kind: 'chain', format, encoding, foundIn });
    expect(result.kind === 'chain' && result.certificates.map((c) => c.toString('hex'))).toEqual([root.der.toString('hex'), issuing.der.toString('hex')]);
  });

  it('reads a chain in an unexpected element and namespace, with a wrong content type', () => {
    const b64 = root.der.toString('base64').replace(/.{76}/g, '$&\n');
    const body = `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><q:Answer xmlns:q="urn:q"><q:Meta>v1</q:Meta><q:Blob>${b64}</q:Blob></q:Answer></soap:Body></soap:Envelope>`;
    expect(parseRootChainResponse({ body, contentType: 'application/octet-stream' })).toMatchObject({ kind: 'chain', format: 'certificate-list', foundIn: 'element Blob' });
  });

  it('trusts the body over a wrong Content-Type (DER or base64 labelled as XML)', () => {
    expect(parseRootChainResponse({ body: buildRootChainResponse('get', { certificates: [root.der] }).body, contentType: 'text/xml' })).toMatchObject({ kind: 'chain', format: 'pkcs7', encoding: 'der' });
    expect(parseRootChainResponse({ body: root.der.toString('base64'), contentType: 'text/xml' })).toMatchObject({ kind: 'chain', encoding: 'base64' });
  });

  it('tells an empty or certificate-free answer from a fault', () => {
    expect(parseRootChainResponse({ body: '' })).toMatchObject({ kind: 'empty' });
    expect(parseRootChainResponse({ body: '<html><body>Forbidden</body></html>', contentType: 'text/html' })).toMatchObject({ kind: 'empty' });
    expect(parseRootChainResponse({ body: buildFaultEnvelope({ code: 's:Server', reason: 'EnableCertChainDownload is off' }), contentType: 'text/xml' })).toMatchObject({
      kind: 'fault',
      fault: { reason: 'EnableCertChainDownload is off' },
    });
    expect(parseRootChainResponse({ body: Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]) })).toMatchObject({ kind: 'empty' });
  });
});
