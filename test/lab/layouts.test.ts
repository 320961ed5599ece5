// Each --variant really changes what the lab puts on the wire (the e2e tests show the client copes;
// these show there was something to cope with), and the reshaped documents mean the same thing.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../src/lab/index.js';
import { parseLayouts, WIRE_LAYOUT_NAMES, type WireLayout } from '../../src/lab/layouts.js';
import { reshapeXml } from '../../src/lab/wire/reshape.js';
import { parseEnvelope } from '../../src/soap/envelope.js';
import { chooseCertProvPort, choosePinPort, parseMex, soapActionFor, soapVersionOf } from '../../src/soap/services/mex.js';
import { ACTION_GET_AND_PUBLISH_CERT, OCS_AUTH, SOAP12_ENVELOPE } from '../../src/soap/namespaces.js';
import { call, pathOf } from './helpers.js';

const labs = new Map<WireLayout, Lab>();
beforeAll(async () => {
  for (const layout of ['mex-wsdl-only', 'mex-post-only', 'mex-split', 'soap12', 'wcf-default-actions', 'ports-reordered', 'chunked'] as const) {
    labs.set(layout, await startLab({ dhcp: false, layouts: [layout], keyBits: 1024 }));
  }
});
afterAll(async () => {
  await Promise.all([...labs.values()].map((lab) => lab.stop()));
});
const labWith = (layout: WireLayout): Lab => labs.get(layout) as Lab;

describe('metadata layouts', () => {
  it('mex-wsdl-only: …/mex is 404, ?wsdl has the WSDL', async () => {
    const lab = labWith('mex-wsdl-only');
    expect((await call(lab, { path: pathOf(lab.urls.certProvMex) })).status).toBe(404);
    const wsdl = await call(lab, { path: `${pathOf(lab.urls.certProv)}?wsdl` });
    expect(wsdl.status).toBe(200);
    expect(parseMex(wsdl.text).ok).toBe(true);
  });

  it('mex-post-only: GET …/mex is 405, ?wsdl is an HTML help page, the GetMetadata POST answers', async () => {
    const lab = labWith('mex-post-only');
    expect((await call(lab, { path: pathOf(lab.urls.webTicketMex) })).status).toBe(405);
    const page = await call(lab, { path: `${pathOf(lab.urls.webTicket)}?wsdl` });
    expect(page.headers['content-type']).toMatch(/html/);
    expect(parseMex(page.text).ok).toBe(false);
  });

  it('mex-split: the service and the bindings are in different WSDL documents, and still read as one', async () => {
    const lab = labWith('mex-split');
    const text = (await call(lab, { path: pathOf(lab.urls.certProvMex) })).text;
    expect(text.match(/<wsx:MetadataSection /g)?.length).toBe(3);
    expect(text).toContain('<wsdl:import ');
    const mex = parseMex(text);
    if (!mex.ok) throw new Error(mex.reason);
    expect(chooseCertProvPort(mex.mex)).toMatchObject({ ok: true, endorsing: true, port: { address: lab.urls.webTicketProof } });
  });

  it('soap12: the proof and PIN ports are soap12 bindings and refuse SOAP 1.1 with 415', async () => {
    const lab = labWith('soap12');
    const certProv = parseMex((await call(lab, { path: pathOf(lab.urls.certProvMex) })).text);
    const webTicket = parseMex((await call(lab, { path: pathOf(lab.urls.webTicketMex) })).text);
    if (!certProv.ok || !webTicket.ok) throw new Error('metadata unreadable');
    expect(soapVersionOf(certProv.mex, 'CertProvisioningServiceWebTicketProof_SHA1')).toBe('1.2');
    expect(soapVersionOf(certProv.mex, 'CertProvisioningServiceWinNegotiate')).toBe('1.1');
    expect(soapVersionOf(webTicket.mex, 'WebTicketServicePin')).toBe('1.2');
    const refused = await call(lab, { method: 'POST', path: pathOf(lab.urls.webTicketProof), headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${ACTION_GET_AND_PUBLISH_CERT}"` }, body: '<x/>' });
    expect(refused.status).toBe(415);
    const fault = await call(lab, {
      method: 'POST',
      path: pathOf(lab.urls.webTicketProof),
      headers: { 'content-type': `application/soap+xml; charset=utf-8; action="${ACTION_GET_AND_PUBLISH_CERT}"` },
      body: `<s:Envelope xmlns:s="${SOAP12_ENVELOPE}"><s:Body/></s:Envelope>`,
    });
    expect(fault.headers['content-type']).toMatch(/^application\/soap\+xml/);
    const message = parseEnvelope(fault.text);
    expect(message).toMatchObject({ kind: 'fault', version: '1.2', fault: { codeName: 'FailedAuthentication', errorId: '28020' } });
  });

  it("wcf-default-actions: no soapAction in the binding; the client derives WCF's default", async () => {
    const lab = labWith('wcf-default-actions');
    const text = (await call(lab, { path: pathOf(lab.urls.certProvMex) })).text;
    expect(text).not.toContain('soapAction=');
    const mex = parseMex(text);
    if (!mex.ok) throw new Error(mex.reason);
    expect(soapActionFor(mex.mex, 'CertProvisioningServiceWebTicketProof_SHA1', 'ResolveUser')).toEqual({
      action: `${OCS_AUTH}ICertProvisioningService/ResolveUser`,
      source: 'wcf-default',
    });
  });

  it('ports-reordered: the decoy comes first, the client still picks the _SHA1 port by name and policy', async () => {
    const lab = labWith('ports-reordered');
    const mex = parseMex((await call(lab, { path: pathOf(lab.urls.certProvMex) })).text);
    if (!mex.ok) throw new Error(mex.reason);
    expect(mex.mex.ports[0]?.name).not.toBe('CertProvisioningServiceWebTicketProof_SHA1');
    expect(chooseCertProvPort(mex.mex)).toMatchObject({ ok: true, port: { name: 'CertProvisioningServiceWebTicketProof_SHA1' } });
    const pin = parseMex((await call(lab, { path: pathOf(lab.urls.webTicketMex) })).text);
    if (!pin.ok) throw new Error(pin.reason);
    expect(pin.mex.ports.at(-1)?.name).not.toBe('WebTicketServicePin');
    expect(choosePinPort(pin.mex)).toMatchObject({ ok: true, port: { name: 'WebTicketServicePin' } });
  });

  it('chunked: answers carry Transfer-Encoding chunked and no Content-Length', async () => {
    const reply = await call(labWith('chunked'), { path: pathOf(labWith('chunked').urls.webTicketMex) });
    expect(reply.headers['transfer-encoding']).toBe('chunked');
    expect(reply.headers['content-length']).toBeUndefined();
  });
});

describe('reshapeXml', () => {
  const FAULT =
    '<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:wsse="urn:x">' +
    '<s:Body><s:Fault><faultcode>wsse:FailedAuthentication</faultcode><faultstring xml:lang="en-US">No valid security token.</faultstring>' +
    '<detail><OCSDiagnosticsFault xmlns="urn:component:Microsoft.Rtc.WebAuthentication.2010"><Ms-Diagnostics-Fault><ErrorId>28020</ErrorId>' +
    '<Reason>No valid security token.</Reason></Ms-Diagnostics-Fault></OCSDiagnosticsFault></detail></s:Fault></s:Body></s:Envelope>';
  const BODY =
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><r:Answer xmlns:r="urn:r" xmlns:u="urn:u" u:Id="x" Uri="https://a/b">' +
    `<r:Data>${'QUJD'.repeat(40)}</r:Data><u:When>2030-01-01T00:00:00Z</u:When></r:Answer></s:Body></s:Envelope>`;

  it.each(['default-namespaces', 'rebound-prefixes', 'hoisted'] as const)('%s keeps every element in its namespace', (prefixes) => {
    const out = reshapeXml(BODY, { prefixes, padded: false, soap12: false });
    expect(out).not.toBe(BODY);
    const message = parseEnvelope(out);
    if (message.kind !== 'body') throw new Error(`not a body: ${out}`);
    expect(message.payload).toMatchObject({ name: 'Answer', ns: 'urn:r' });
    expect(message.payload?.attributes.find((a) => a.name === 'Id')).toMatchObject({ ns: 'urn:u', value: 'x' });
    expect(message.payload?.children.map((c) => `${c.ns} ${c.name}`)).toEqual(['urn:r Data', 'urn:u When']);
  });

  it('padded: whitespace around values and URIs, base64 wrapped with CRLF', () => {
    const out = reshapeXml(BODY, { prefixes: 'as-written', padded: true, soap12: false });
    expect(out).toContain('Uri=" https://a/b "');
    expect(out).toMatch(/<r:Data>\r\n\t [A-Za-z0-9+/]{64}\r\n/);
    expect(out).toContain('<u:When>\r\n\t 2030-01-01T00:00:00Z\r\n\t</u:When>');
  });

  it('soap12 turns a SOAP 1.1 fault into a SOAP 1.2 fault with the same code, reason and ErrorId', () => {
    const message = parseEnvelope(reshapeXml(FAULT, { prefixes: 'as-written', padded: false, soap12: true }));
    expect(message).toMatchObject({
      kind: 'fault',
      version: '1.2',
      fault: { code: 's:Sender', subcodes: ['wsse:FailedAuthentication'], codeName: 'FailedAuthentication', reason: 'No valid security token.', errorId: '28020' },
    });
  });

  it('unknown variant names are refused with the list', () => {
    expect(() => parseLayouts(['soap13'])).toThrow(/unknown variant "soap13" \(known: .*soap12/);
    expect(parseLayouts(WIRE_LAYOUT_NAMES)).toEqual(WIRE_LAYOUT_NAMES);
  });
});
