import { describe, expect, it } from 'vitest';
import { parseEnvelope } from '../../src/soap/envelope.js';
import { buildFaultEnvelope } from '../../src/lab/wire/fault.js';
import {
  ACTION_RST_ISSUE,
  AUTH_CLAIMS_DIALECT,
  KEY_TYPE_SYMMETRIC,
  REQUEST_TYPE_ISSUE_2005_02,
  TOKEN_TYPE_SAML11,
  WST,
} from '../../src/soap/namespaces.js';
import { computeProofKey } from '../../src/soap/proof.js';
import {
  buildIssueTokenRequest,
  newClientEntropy,
  parseIssueTokenResponse,
  ticketProofKeys,
} from '../../src/soap/services/webticket.js';
import { buildIssueTokenResponse, buildSamlAssertion, readIssueTokenRequest, serverProofKey } from '../../src/lab/wire/webticket.js';
import { attr, child, descendant, textOf } from '../../src/soap/xml.js';

const APPLIES_TO = 'https://pool01.lab.test/CertProv/CertProvisioningService.svc/WebTicket_Proof';
const ASSERTION = buildSamlAssertion({
  assertionId: 'SamlSecurityToken-42',
  issuer: 'pool01.lab.test',
  issueInstant: '2024-05-01T10:00:00Z',
  notBefore: '2024-05-01T10:00:00Z',
  notOnOrAfter: '2024-05-01T18:00:00Z',
  subject: 'sip:jeff@lab.test',
  audience: APPLIES_TO,
});

describe('IssueToken request', () => {
  it('is written exactly as documented and read back by the server side', () => {
    const entropy = newClientEntropy();
    expect(entropy).toHaveLength(32);
    const built = buildIssueTokenRequest({
      to: 'https://pool01.lab.test/WebTicket/WebTicketService.svc/Pin',
      appliesTo: APPLIES_TO,
      clientEntropy: entropy,
      sipUri: 'sip:jeff@lab.test',
      context: 'ctx-1',
    });
    expect(built.action).toBe(ACTION_RST_ISSUE);
    expect(built.soapAction).toBe(`"${ACTION_RST_ISSUE}"`);
    const parsed = parseEnvelope(built.xml);
    const rst = descendant(parsed.kind === 'body' ? parsed.body : undefined, 'RequestSecurityToken')!;
    expect(rst.ns).toBe(WST);
    expect(rst.children.map((c) => c.name)).toEqual(['TokenType', 'RequestType', 'AppliesTo', 'Claims', 'Entropy', 'KeyType']);
    expect(attr(child(rst, 'Claims'), 'Dialect')).toBe(AUTH_CLAIMS_DIALECT);
    const read = readIssueTokenRequest(built.xml);
    expect(read).toEqual({
      ok: true,
      request: {
        context: 'ctx-1',
        tokenType: TOKEN_TYPE_SAML11,
        requestType: REQUEST_TYPE_ISSUE_2005_02,
        appliesTo: APPLIES_TO,
        claimedSipUri: 'sip:jeff@lab.test',
        clientEntropy: entropy,
        keyType: KEY_TYPE_SYMMETRIC,
      },
    });
  });

  it('omits Claims before the SIP URI is known and puts the credential header after the addressing headers', () => {
    const built = buildIssueTokenRequest({ to: 'https://p/Pin', appliesTo: APPLIES_TO, clientEntropy: newClientEntropy(), credentialHeader: '<wsse:Security><Cred/></wsse:Security>' });
    expect(built.xml).not.toContain('Claims');
    expect(built.context).toMatch(/^[0-9a-f-]{36}$/);
    const message = parseEnvelope(built.xml);
    expect(message.kind === 'body' && message.header!.children.map((c) => c.name)).toEqual(['To', 'ReplyTo', 'MessageID', 'Action', 'Security']);
    expect(readIssueTokenRequest(built.xml)).toMatchObject({ ok: true, request: { appliesTo: APPLIES_TO } });
    expect((readIssueTokenRequest(built.xml) as { request: object }).request).not.toHaveProperty('claimedSipUri');
  });

  it('reads an RST written by another client (default namespace, other order)', () => {
    const xml = `<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body>
      <RequestSecurityToken xmlns="${WST}" Context="c2"><KeyType>${KEY_TYPE_SYMMETRIC}</KeyType>
        <Entropy><BinarySecret>AAAA</BinarySecret></Entropy>
        <AppliesTo xmlns="http://www.w3.org/ns/ws-policy"><EndpointReference xmlns="http://www.w3.org/2005/08/addressing"><Address> ${APPLIES_TO} </Address></EndpointReference></AppliesTo>
        <TokenType>${TOKEN_TYPE_SAML11}</TokenType></RequestSecurityToken></Body></Envelope>`;
    expect(readIssueTokenRequest(xml)).toMatchObject({ ok: true, request: { context: 'c2', appliesTo: APPLIES_TO, clientEntropy: Buffer.alloc(3) } });
    expect(readIssueTokenRequest('<x/>')).toMatchObject({ ok: false });
  });
});

describe('IssueToken response', () => {
  const serverEntropy = Buffer.alloc(32, 5);
  const clientEntropy = Buffer.alloc(32, 3);

  // WS-Trust 1.3 §4.4.3 as each lab layout writes it: which key comes first, and which second.
  it.each([
    ['computed-key', 'computed-key', ['computed-key']],
    ['proof-secret', 'proof-secret', ['binary-secret', 'computed-key']],
    ['legacy-entropy', 'proof-secret', ['binary-secret', 'computed-key']],
  ] as const)('reads the lab answer in the %s layout (material from %s, keys %j)', (layout, source, interpretations) => {
    const xml = buildIssueTokenResponse({ context: 'ctx', assertionXml: ASSERTION, proofMaterial: serverEntropy, created: '2024-05-01T10:00:00Z', expires: '2024-05-01T18:00:00Z', layout });
    const result = parseIssueTokenResponse(xml);
    expect(result.kind).toBe('ticket');
    if (result.kind !== 'ticket') return;
    expect(result.ticket).toMatchObject({
      assertionXml: ASSERTION,
      assertionId: 'SamlSecurityToken-42',
      created: '2024-05-01T10:00:00Z',
      expires: '2024-05-01T18:00:00Z',
      proofSource: source,
      tokenType: TOKEN_TYPE_SAML11,
      context: 'ctx',
    });
    expect(result.ticket.proofMaterial.equals(serverEntropy)).toBe(true);
    const keys = ticketProofKeys(result.ticket, clientEntropy);
    expect(keys.map((k) => k.interpretation)).toEqual(interpretations);
    // The server's key for the layout is one of the client's candidates, at the place the layout predicts.
    const serverKey = serverProofKey(layout, clientEntropy, serverEntropy);
    const position = layout === 'legacy-entropy' ? 1 : 0;
    expect(keys[position]?.key.equals(serverKey)).toBe(true);
    if (layout === 'computed-key') expect(serverKey.equals(computeProofKey(clientEntropy, serverEntropy))).toBe(true);
    if (layout === 'proof-secret') expect(serverKey.equals(serverEntropy)).toBe(true);
  });

  it('an EncryptedKey proof token is reported as unusable, not as a missing part', () => {
    const xml = buildIssueTokenResponse({ assertionXml: ASSERTION, proofMaterial: serverEntropy, created: '2024-05-01T10:00:00Z', expires: '2024-05-01T18:00:00Z', layout: 'encrypted-key' });
    expect(parseIssueTokenResponse(xml)).toEqual({ kind: 'unsupported-proof', reason: expect.stringContaining('EncryptedKey') });
  });

  it('a bare Entropy/BinarySecret without a ComputedKey is entropy first, the key itself second', () => {
    const xml = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><RequestSecurityTokenResponse xmlns="${WST}">
      <RequestedSecurityToken>${ASSERTION}</RequestedSecurityToken>
      <Entropy><BinarySecret>${serverEntropy.toString('base64')}</BinarySecret></Entropy>
      <Lifetime><Created>2024-05-01T10:00:00Z</Created><Expires>2024-05-01T18:00:00Z</Expires></Lifetime></RequestSecurityTokenResponse></s:Body></s:Envelope>`;
    const result = parseIssueTokenResponse(xml);
    if (result.kind !== 'ticket') throw new Error(JSON.stringify(result));
    expect(result.ticket.proofSource).toBe('entropy');
    const keys = ticketProofKeys(result.ticket, clientEntropy);
    expect(keys.map((k) => k.interpretation)).toEqual(['computed-key', 'binary-secret']);
    expect(keys[0]?.key.equals(computeProofKey(clientEntropy, serverEntropy))).toBe(true);
    expect(keys[1]?.key.equals(serverEntropy)).toBe(true);
  });

  it('reads a differently written answer: SOAP 1.2, default namespaces, reordered, assertion prefix declared on the envelope', () => {
    const xml = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" xmlns:u="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">
      <s:Body><RequestSecurityTokenResponseCollection xmlns="${WST}"><RequestSecurityTokenResponse>
        <Lifetime><u:Expires>2024-05-01T18:00:00Z</u:Expires><u:Created>2024-05-01T10:00:00Z</u:Created></Lifetime>
        <RequestedProofToken><ComputedKey>${WST}/CK/PSHA1</ComputedKey></RequestedProofToken>
        <Entropy><BinarySecret>${serverEntropy.toString('base64')}</BinarySecret></Entropy>
        <RequestedSecurityToken><saml:Assertion AssertionID="_abc" MajorVersion="1"><saml:X/></saml:Assertion></RequestedSecurityToken>
      </RequestSecurityTokenResponse></RequestSecurityTokenResponseCollection></s:Body></s:Envelope>`;
    const result = parseIssueTokenResponse(xml);
    expect(result.kind).toBe('ticket');
    if (result.kind !== 'ticket') return;
    expect(result.ticket.assertionXml).toBe(
      '<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" AssertionID="_abc" MajorVersion="1"><saml:X/></saml:Assertion>',
    );
    expect(result.ticket).toMatchObject({ assertionId: '_abc', created: '2024-05-01T10:00:00Z', proofSource: 'computed-key', computedKeyAlgorithm: `${WST}/CK/PSHA1` });
  });

  it('lists what is missing from an incomplete answer', () => {
    const xml = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><RequestSecurityTokenResponse xmlns="${WST}">
      <RequestedSecurityToken><Assertion xmlns="urn:oasis:names:tc:SAML:1.0:assertion"/></RequestedSecurityToken>
      <Lifetime><Created>2024-05-01T10:00:00Z</Created></Lifetime></RequestSecurityTokenResponse></s:Body></s:Envelope>`;
    expect(parseIssueTokenResponse(xml)).toEqual({ kind: 'incomplete', missing: ['assertion-id', 'lifetime', 'proof-key'] });
    const empty = '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><Nothing/></s:Body></s:Envelope>';
    expect(parseIssueTokenResponse(empty)).toEqual({ kind: 'incomplete', missing: ['assertion', 'lifetime', 'proof-key'] });
  });

  it('does not take a BinarySecret inside the assertion for server entropy', () => {
    const xml = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><RequestSecurityTokenResponse xmlns="${WST}">
      <RequestedSecurityToken><Assertion AssertionID="a" xmlns="urn:oasis:names:tc:SAML:1.0:assertion"><BinarySecret>AAAA</BinarySecret></Assertion></RequestedSecurityToken>
      <Lifetime><Created>x</Created><Expires>y</Expires></Lifetime></RequestSecurityTokenResponse></s:Body></s:Envelope>`;
    expect(parseIssueTokenResponse(xml)).toEqual({ kind: 'incomplete', missing: ['proof-key'] });
  });

  it('returns faults and unparsable answers as results', () => {
    const fault = parseIssueTokenResponse(buildFaultEnvelope({ code: 'wsse:FailedAuthentication', reason: 'no', diagnostics: { errorId: '28020', reason: 'No valid security token.' } }));
    expect(fault.kind === 'fault' && fault.fault.errorId).toBe('28020');
    expect(parseIssueTokenResponse('<html>')).toMatchObject({ kind: 'invalid' });
  });

  it('keeps the lab assertion readable: subject and audience in place', () => {
    const message = parseEnvelope(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>${ASSERTION}</s:Body></s:Envelope>`);
    const body = message.kind === 'body' ? message.body : undefined;
    expect(textOf(descendant(body, 'NameIdentifier'))).toBe('sip:jeff@lab.test');
    expect(textOf(descendant(body, 'Audience'))).toBe(APPLIES_TO);
  });
});
