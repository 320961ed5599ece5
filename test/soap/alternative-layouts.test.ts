// Alternative but valid server messages (fixtures/soap/**) for every answer the client reads: other
// SOAP versions, prefixes, namespace placements and versions, wrappers, ordering, BOM, CDATA,
// comments; faults in both SOAP versions; X-Ms-diagnostics variants. Each test asserts what a user
// would be shown, not how the parser got there.

import { createHmac, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseEnvelope, parseMsDiagnostics } from '../../src/soap/envelope.js';
import { parseGetAndPublishCertResponse } from '../../src/soap/services/certprov.js';
import { parseResolveUserResponse } from '../../src/soap/services/inferred/resolve-user.js';
import { parseRootChainResponse } from '../../src/soap/services/inferred/root-chain.js';
import { chooseCertProvPort, choosePinPort, parseMex, soapActionFor, type MexDocument } from '../../src/soap/services/mex.js';
import { parseIssueTokenResponse, ticketProofKeys } from '../../src/soap/services/webticket.js';

const fixture = (path: string): string => readFileSync(new URL(`../../fixtures/soap/${path}`, import.meta.url), 'utf8');
const fixtureBytes = (path: string): Buffer => readFileSync(new URL(`../../fixtures/soap/${path}`, import.meta.url));
const subject = (der: Buffer): string => new X509Certificate(der).subject;

/** P_SHA1 (RFC 2246 §5) written out here, independent of src/soap/psha1.ts. */
function pSha1(secret: Buffer, seed: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  let a = seed;
  let total = 0;
  while (total < length) {
    a = createHmac('sha1', secret).update(a).digest();
    const block = createHmac('sha1', secret).update(Buffer.concat([a, seed])).digest();
    out.push(block);
    total += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

describe('web ticket responses', () => {
  test('SOAP 1.2, RSTR without a collection, BOM + declaration, 2005/02 Lifetime, default-namespace Assertion, CDATA secret', () => {
    const text = fixtureBytes('webticket/rstr-soap12-bare-bom.xml').toString('utf8');
    expect(text.charCodeAt(0)).toBe(0xfeff);
    const result = parseIssueTokenResponse(text);
    if (result.kind !== 'ticket') throw new Error(`expected a ticket, got ${JSON.stringify(result)}`);
    expect(result.ticket.assertionId).toBe('SamlSecurityToken-4b0f6c1e-94b6-4a8f-9a43-2b3c5e7d9f01');
    expect(result.ticket.created).toBe('2025-11-23T13:00:00.000Z');
    expect(result.ticket.expires).toBe('2025-11-23T21:00:00.000Z');
    // RequestedProofToken/BinarySecret: the key itself by WS-Trust 1.3 §4.4.3, server entropy second.
    expect(result.ticket.proofMaterial.toString('latin1')).toBe('fake-server-entropy-32-bytes-000');
    expect(result.ticket.proofSource).toBe('proof-secret');
    expect(ticketProofKeys(result.ticket, Buffer.alloc(32, 1)).map((k) => k.interpretation)).toEqual(['binary-secret', 'computed-key']);
    expect(result.ticket.context).toBe('5e0e2f4c-1d1e-4a4b-8c57-6a0b4f6f9d11');
    // Carried on byte for byte, standing alone with its default namespace.
    expect(result.ticket.assertionXml.startsWith('<Assertion xmlns="urn:oasis:names:tc:SAML:1.0:assertion" MajorVersion="1"')).toBe(true);
    expect(text).toContain(result.ticket.assertionXml);
  });

  test('ComputedKey (2005/02 CK/PSHA1) with the server entropy in Entropy: the proof key is P_SHA1(client, server)', () => {
    const result = parseIssueTokenResponse(fixture('webticket/rstrc-computed-key.xml'));
    if (result.kind !== 'ticket') throw new Error(`expected a ticket, got ${JSON.stringify(result)}`);
    expect(result.ticket.context).toBe('7f3a');
    expect(result.ticket.proofSource).toBe('computed-key');
    expect(result.ticket.computedKeyAlgorithm).toBe('http://schemas.xmlsoap.org/ws/2005/02/trust/CK/PSHA1');
    const server = Buffer.from('server-entropy-for-computed-key!');
    expect(result.ticket.proofMaterial.equals(server)).toBe(true);
    const client = Buffer.alloc(32, 7);
    const keys = ticketProofKeys(result.ticket, client);
    expect(keys).toHaveLength(1);
    expect(keys[0]?.key.equals(pSha1(client, server, 32))).toBe(true);
    expect(result.ticket.assertionXml.startsWith('<saml:Assertion xmlns:saml=')).toBe(true);
  });

  test('a ComputedKey algorithm other than PSHA1 is reported, not silently computed as PSHA1', () => {
    const result = parseIssueTokenResponse(fixture('webticket/rstrc-unknown-computed-key.xml'));
    expect(result).toEqual({ kind: 'unsupported-proof', reason: expect.stringContaining('http://example.test/trust/CK/SomethingElse') });
  });
});

describe('faults', () => {
  test('SOAP 1.2: Code/Subcode, the English one of several Reason Texts, Detail/OCSDiagnosticsFault', () => {
    const message = parseEnvelope(fixture('faults/soap12-fault-ocs-diagnostics.xml'));
    if (message.kind !== 'fault') throw new Error(`expected a fault, got ${message.kind}`);
    expect(message.fault).toMatchObject({
      version: '1.2',
      code: 's:Sender',
      subcodes: ['wsse:FailedAuthentication'],
      codeName: 'FailedAuthentication',
      errorId: '28020',
      diagnosticReason: 'No valid security token.',
    });
    expect(message.fault.reason).toBe('No valid security token.');
  });

  test('SOAP 1.1 with a fault code prefix declared on faultcode and the diagnostics as attributes', () => {
    const message = parseEnvelope(fixture('faults/soap11-fault-client-prefixes.xml'));
    if (message.kind !== 'fault') throw new Error(`expected a fault, got ${message.kind}`);
    expect(message.fault).toMatchObject({ version: '1.1', code: 'a:FailedAuthentication', codeName: 'FailedAuthentication', errorId: '28020', diagnosticReason: 'No valid security token.' });
  });

  test('SOAP 1.1 soap:Client with prefixed diagnostics and a CDATA reason', () => {
    const message = parseEnvelope(fixture('faults/soap11-fault-client-no-detail.xml'));
    if (message.kind !== 'fault') throw new Error(`expected a fault, got ${message.kind}`);
    expect(message.fault).toMatchObject({ code: 'soap:Client', codeName: 'Client', reason: 'User is not SIP enabled.', errorId: '28000', diagnosticReason: 'User is not SIP enabled.' });
  });

  test('X-Ms-diagnostics with extra fields, spaces, unquoted values and two headers joined by a comma', () => {
    const lines = fixture('faults/x-ms-diagnostics-headers.txt')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'));
    const parsed = lines.map((line) => parseMsDiagnostics(line));
    expect(parsed[0]).toMatchObject({ errorId: '28020', source: 'pool01.site-a.test', reason: 'No valid security token.', fault: 'wsse:FailedAuthentication' });
    expect(parsed[1]).toMatchObject({ errorId: '28020', reason: 'No valid security token.', fault: 'wsse:FailedAuthentication' });
    expect(parsed[1]?.fields).toMatchObject({ 'ms-diagnostics-public': 'true', hresult: 'C3E93C1C(SIPPROXY_E_EPROUTING_MSG_NON_SIP_URI)' });
    expect(parsed[2]).toMatchObject({ errorId: '28000', source: 'pool01.site-a.test', reason: 'User is not SIP enabled.' });
    expect(parsed[2]?.fields.appname).toBe('WebTicket');
    // Two X-Ms-diagnostics headers arrive joined as one value; the first is the server's own.
    expect(parsed[3]).toMatchObject({ errorId: '28020', source: 'pool01.site-a.test', reason: 'No valid security token.', fault: 'wsse:FailedAuthentication' });
  });
});

describe('metadata (MEX / WSDL / WS-Policy)', () => {
  const read = (path: string): MexDocument => {
    const result = parseMex(fixture(path));
    if (!result.ok) throw new Error(result.reason);
    return result.mex;
  };

  test('WCF: several WSDL documents, wsdl:import, soap12 and soap11 bindings, a PolicyReference naming the other document', () => {
    const mex = read('mex/certprov-wcf-multi-document.xml');
    const choice = chooseCertProvPort(mex);
    if (!choice.ok) throw new Error(choice.reason);
    expect(choice.port.name).toBe('CertProvisioningServiceWebTicketProof_SHA1');
    expect(choice.port.address).toBe('https://pool01.site-a.test/CertProv/CertProvisioningService.svc/WebTicket_Proof_SHA1');
    expect(choice.endorsing).toBe(true);
    expect(choice.issuerAddress).toBe('https://pool01.site-a.test/WebTicket/WebTicketService.svc/WebTicket');
    expect(choice.policy?.id).toBe('CertProvisioningServiceWebTicketProof_SHA1_policy');
    expect(soapActionFor(mex, choice.port.name, 'GetAndPublishCert')?.action).toBe('http://schemas.microsoft.com/OCS/AuthWebServices/GetAndPublishCert');
    // An empty soapAction in the binding falls back to the port type's wsaw:Action.
    expect(soapActionFor(mex, choice.port.name, 'ResolveUser')?.action).toBe('http://schemas.microsoft.com/OCS/AuthWebServices/CertProvisioningService/ResolveUser');
    expect(mex.ports.find((p) => p.name.endsWith('_Soap12'))?.address).toBe(
      'https://pool01.site-a.test/CertProv/CertProvisioningService.svc/WebTicket_Proof_SHA1_Soap12',
    );
  });

  test('WS-Policy 1.5 policy in its own section, attached with PolicyURIs, xml:id, signed supporting IssuedToken with IssuerName', () => {
    const mex = read('mex/certprov-policy-uris-signed.xml');
    const choice = chooseCertProvPort(mex);
    if (!choice.ok) throw new Error(choice.reason);
    expect(choice.port.address).toBe('https://pool01.site-a.test/CertProv/CertProvisioningService.svc/WebTicket_Proof');
    expect(choice.policy?.id).toBe('WebTicketProofPolicy');
    expect(choice.endorsing).toBe(false);
    expect(choice.issuerAddress).toBe('https://pool01.site-a.test/WebTicket/WebTicketService.svc');
    expect(soapActionFor(mex, choice.port.name, 'GetAndPublishCert')?.action).toBe('http://schemas.microsoft.com/OCS/AuthWebServices/GetAndPublishCert');
  });

  test('Web Ticket Service with soap12 ports: the PIN port and its UsernameToken policy', () => {
    const mex = read('mex/webticket-soap12-username-policy.xml');
    const choice = choosePinPort(mex);
    if (!choice.ok) throw new Error(choice.reason);
    expect(choice.port).toMatchObject({ name: 'WebTicketServicePin', address: 'https://pool01.site-a.test/WebTicket/WebTicketService.svc/Pin' });
    expect(choice.policy?.usernameToken).toEqual({ nested: ['WssUsernameToken10'], base64Hint: false });
    expect(soapActionFor(mex, 'WebTicketServicePin', 'IssueToken')?.action).toBe('http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue');
  });
});

describe('GetAndPublishCert responses', () => {
  test('PKCS#7 chain first inside RequestedSecurityToken, CRLF as &#xD;&#xA;, ErrorInfo i:nil: the certificate is the X.509 one', () => {
    const result = parseGetAndPublishCertResponse(fixture('certprov/gapc-chain-first-nil-errorinfo.xml'));
    if (result.kind !== 'certificate') throw new Error(`expected a certificate, got ${JSON.stringify(result)}`);
    expect(subject(result.certificateDer)).toBe('CN=jeff@site-a.test');
    expect(result.chain?.map(subject).sort()).toEqual(['CN=Site A Root CA', 'CN=jeff@site-a.test']);
  });

  test('certificate beside a PKCS#7 chain, followed by an empty ErrorInfo', () => {
    const result = parseGetAndPublishCertResponse(fixture('certprov/gapc-cert-beside-chain.xml'));
    if (result.kind !== 'certificate') throw new Error(`expected a certificate, got ${JSON.stringify(result)}`);
    expect(subject(result.certificateDer)).toBe('CN=jeff@site-a.test');
    expect(result.chain).toHaveLength(2);
  });

  test('SOAP 1.2, only a PKCS#7 (issuer first) in CDATA: the issued certificate is the leaf, not the CA', () => {
    const result = parseGetAndPublishCertResponse(fixture('certprov/gapc-soap12-pkcs7-only.xml'));
    if (result.kind !== 'certificate') throw new Error(`expected a certificate, got ${JSON.stringify(result)}`);
    expect(subject(result.certificateDer)).toBe('CN=jeff@site-a.test');
    expect(result.chain?.map(subject)).toContain('CN=Site A Root CA');
  });

  test('ErrorInfo with attributes', () => {
    expect(parseGetAndPublishCertResponse(fixture('certprov/gapc-errorinfo-attributes.xml'))).toMatchObject({
      kind: 'error-info',
      code: '0x80094801',
      text: 'The request contains no certificate template information.',
    });
  });

  test('ErrorInfo with child elements, a comment and a nil member', () => {
    expect(parseGetAndPublishCertResponse(fixture('certprov/gapc-errorinfo-children.xml'))).toMatchObject({
      kind: 'error-info',
      code: 'CSRKeySizeTooSmall',
      text: 'The key size of the certificate request is 512 bits; at least 1024 bits are required.',
    });
  });
});

describe('ResolveUser answers (inferred shapes)', () => {
  test('a bare user@domain as the operation result', () => {
    expect(parseResolveUserResponse(fixture('resolve-user/result-bare-user-at-domain.xml'))).toMatchObject({ kind: 'user', sipUri: 'sip:jeff@site-a.test' });
  });

  test('SOAP 1.2, nested result with a tel: line URI beside it and the scheme in capitals', () => {
    expect(parseResolveUserResponse(fixture('resolve-user/soap12-nested-upper-scheme.xml'))).toMatchObject({
      kind: 'user',
      sipUri: 'sip:jeff@site-a.test',
      foundIn: 'element SipUri',
    });
  });
});

describe('root chain answers (inferred shapes)', () => {
  test('SOAP 1.2 with a CRLF-wrapped base64 PKCS#7 in CDATA', () => {
    const result = parseRootChainResponse({ body: fixture('root-chain/soap12-cdata-pkcs7.xml'), contentType: 'application/soap+xml; charset=utf-8' });
    if (result.kind !== 'chain') throw new Error(`expected a chain, got ${JSON.stringify(result)}`);
    expect(result.format).toBe('pkcs7');
    expect(result.certificates.map(subject)).toEqual(['CN=Site A Root CA']);
  });

  test('a certificate list with a nil entry and a nil ErrorInfo beside it', () => {
    const result = parseRootChainResponse({ body: fixture('root-chain/certificate-list-with-nil.xml') });
    if (result.kind !== 'chain') throw new Error(`expected a chain, got ${JSON.stringify(result)}`);
    expect(result.certificates.map(subject)).toEqual(['CN=Site A Root CA']);
  });
});
