import { createHash, createHmac } from 'node:crypto';
import { DOMParser, type Element as XmlDomElement } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { addressingHeaders, buildEnvelope } from '../../src/soap/envelope.js';
import { buildProofSecurity, computeProofKey, pSha1, type ProofTicket } from '../../src/soap/proof.js';
import { exclusiveC14n, exclusiveC14nOf, verifyProofSecurity } from '../../src/lab/wire/proof.js';

// Published WS-Trust CK/PSHA1 reference values (Microsoft.IdentityModel's WsTrust tests, class PSHA1):
// issuer (server) entropy, requestor (client) entropy, expected key.
const VECTORS = [
  ['Tq8ysLdDYf4SRAzKlKWaf14shAbEANn57emcsU+Uzfw=', 'OdlDaIG2ND9CtF8EseCHpRZ6iiIDVxiV2+Z7O7mXDIs=', 'LdNuhTLMQzJQxjfQpULDuJQxvcDnyw+/Ez8DyS8QI8g='],
  ['/tWCs/QgG3BFLjL6eJ9+oyUXA4i5A0p+ZmGGIdWZymc=', 'V8SpcxeTAeY94TILrUpoMoCE8gR1WafwcOL/PDLRLuA=', '6cyhRfSSaiyYZWW4hmV17xI3Hm5pBIDgHyv05EH8bKY='],
  ['zyWv2YzpTqni7xMbZe4EE5EAdtNYZAcrAe5DU5qcZ5M=', 'iyO21lrrmRDm9cUMC6RZRqAJ16JuRrRLOM7fGR3QHFw=', 'ixTqFuS9mii2fkv1/z3BbQ=='],
] as const;

const b64 = (s: string): Buffer => Buffer.from(s, 'base64');

describe('P_SHA1 / CK/PSHA1', () => {
  it.each(VECTORS)('matches the published vector (server %s)', (server, client, key) => {
    expect(computeProofKey(b64(client), b64(server), b64(key).length).toString('base64')).toBe(key);
  });

  it('is the client entropy as secret, the server entropy as seed (swapping gives another key)', () => {
    const [server, client, key] = VECTORS[0];
    expect(computeProofKey(b64(server), b64(client)).toString('base64')).not.toBe(key);
  });

  it('follows the TLS 1.0 construction block by block', () => {
    const secret = Buffer.from('secret');
    const seed = Buffer.from('seed');
    const hmac = (data: Buffer): Buffer => createHmac('sha1', secret).update(data).digest();
    const a1 = hmac(seed);
    const a2 = hmac(a1);
    const expected = Buffer.concat([hmac(Buffer.concat([a1, seed])), hmac(Buffer.concat([a2, seed]))]).subarray(0, 32);
    expect(pSha1(secret, seed, 32).equals(expected)).toBe(true);
    expect(computeProofKey(secret, seed)).toHaveLength(32);
  });
});

const ASSERTION =
  '<saml:Assertion MajorVersion="1" MinorVersion="1" AssertionID="SamlSecurityToken-1d0f" Issuer="pool" ' +
  'xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion"><saml:Conditions NotBefore="2024-05-01T10:00:00Z"/></saml:Assertion>';
const TICKET: ProofTicket = {
  assertionXml: ASSERTION,
  assertionId: 'SamlSecurityToken-1d0f',
  created: '2024-05-01T10:00:00.000Z',
  expires: '2024-05-01T18:00:00.000Z',
};
const KEY = computeProofKey(Buffer.alloc(32, 7), Buffer.alloc(32, 9));
const NOW = Date.parse('2024-05-01T10:05:00Z');

const request = (security: string): string =>
  buildEnvelope({ header: addressingHeaders({ to: 'https://pool/proof', action: 'urn:ResolveUser' }) + security, body: '<ResolveUser/>' });

const verify = (xml: string, overrides: Partial<Parameters<typeof verifyProofSecurity>[1]> = {}) =>
  verifyProofSecurity(xml, {
    keyFor: (id) => (id === TICKET.assertionId ? KEY : undefined),
    now: NOW,
    ...overrides,
  });

describe('proof header', () => {
  it('carries Timestamp, the Assertion byte for byte, and a signature the server accepts', () => {
    const security = buildProofSecurity(TICKET, KEY);
    expect(security).toContain(ASSERTION);
    expect(security.indexOf('Timestamp')).toBeLessThan(security.indexOf('Assertion'));
    expect(security.indexOf('Assertion')).toBeLessThan(security.indexOf('<Signature'));
    expect(security).toContain('wsu:Id="timestamp"');
    expect(security).toContain('<Reference URI="#timestamp">');
    expect(security).toContain('#SAMLAssertionID">SamlSecurityToken-1d0f</wsse:KeyIdentifier>');
    expect(verify(request(security))).toEqual({ ok: true, assertionId: TICKET.assertionId, signed: true, created: TICKET.created, expires: TICKET.expires });
  });

  it('signs canonical SignedInfo exactly as emitted', () => {
    const security = buildProofSecurity(TICKET, KEY);
    const signedInfo = /<SignedInfo[\s\S]*<\/SignedInfo>/.exec(security)![0];
    expect(exclusiveC14nOf(signedInfo)).toBe(signedInfo);
    const value = /<SignatureValue>([^<]+)</.exec(security)![1];
    expect(value).toBe(createHmac('sha1', KEY).update(signedInfo).digest('base64'));
  });

  // The client writes Timestamp and SignedInfo in canonical form instead of canonicalising them:
  // whatever goes into a ticket's times, the bytes it hashes must be what a verifier computes.
  it.each([
    ['ordinary ticket times', TICKET],
    ['times holding markup characters, a carriage return and non-ASCII text', { ...TICKET, created: 'a & b < c > d "e" \'f\'\r\ng\th', expires: 'zeit\u00e4 \u2603 &amp; ]]>' }],
  ])('emits Timestamp and SignedInfo exactly as exclusive c14n of them inside the sent envelope (%s)', (_label, ticket) => {
    const security = buildProofSecurity(ticket, KEY);
    const document = new DOMParser().parseFromString(request(security), 'text/xml');
    const element = (name: string): XmlDomElement => document.getElementsByTagNameNS('*', name)[0] as unknown as XmlDomElement;
    const timestamp = /<wsu:Timestamp[\s\S]*<\/wsu:Timestamp>/.exec(security)![0];
    const signedInfo = /<SignedInfo[\s\S]*<\/SignedInfo>/.exec(security)![0];
    expect(timestamp).toBe(exclusiveC14n(element('Timestamp')));
    expect(signedInfo).toBe(exclusiveC14n(element('SignedInfo')));
    // The values travel intact: a verifier reads back exactly the ticket's times.
    expect(element('Created').textContent).toBe(ticket.created);
    expect(element('Expires').textContent).toBe(ticket.expires);
    const digest = /<DigestValue>([^<]+)</.exec(security)![1];
    expect(digest).toBe(createHash('sha1').update(exclusiveC14n(element('Timestamp'))).digest('base64'));
  });

  it('accepts a header reordered and wrapped in a SOAP 1.2 envelope with other prefixes', () => {
    const security = buildProofSecurity(TICKET, KEY);
    const timestamp = /<wsu:Timestamp[\s\S]*<\/wsu:Timestamp>/.exec(security)![0];
    const signature = /<Signature[\s\S]*<\/Signature>/.exec(security)![0];
    const xml =
      '<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Header>' +
      '<o:Security xmlns:o="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">\n  ' +
      `${signature}\n  ${ASSERTION}\n  ${timestamp}\n</o:Security></env:Header><env:Body/></env:Envelope>`;
    expect(verify(xml)).toMatchObject({ ok: true, signed: true });
  });

  it.each([
    ['a changed Expires', (x: string) => x.replace('18:00:00.000Z', '23:00:00.000Z'), 'bad-digest'],
    ['a changed SignatureValue', (x: string) => x.replace(/<SignatureValue>./, '<SignatureValue>A'), 'bad-signature'],
    ['a changed DigestValue', (x: string) => x.replace(/<DigestValue>./, '<DigestValue>A'), 'bad-digest'],
    ['a reference to something else', (x: string) => x.replace('URI="#timestamp"', 'URI="#body"'), 'bad-reference'],
    ['no signature', (x: string) => x.replace(/<Signature[\s\S]*<\/Signature>/, ''), 'missing-signature'],
    ['no timestamp', (x: string) => x.replace(/<wsu:Timestamp[\s\S]*<\/wsu:Timestamp>/, ''), 'missing-timestamp'],
    ['an rsa-sha1 method', (x: string) => x.replace('xmldsig#hmac-sha1', 'xmldsig#rsa-sha1'), 'unsupported-algorithm'],
    ['a KeyIdentifier naming another assertion', (x: string) => x.replace('">SamlSecurityToken-1d0f</wsse:KeyIdentifier>', '">other</wsse:KeyIdentifier>'), 'bad-reference'],
  ])('rejects %s', (_label, tamper, reason) => {
    expect(verify(tamper(request(buildProofSecurity(TICKET, KEY))))).toMatchObject({ ok: false, reason });
  });

  it('rejects a signature made with another key', () => {
    const forged = buildProofSecurity(TICKET, computeProofKey(Buffer.alloc(32, 1), Buffer.alloc(32, 9)));
    expect(verify(request(forged))).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('rejects a ticket the server never issued', () => {
    expect(verify(request(buildProofSecurity(TICKET, KEY)), { keyFor: () => undefined })).toMatchObject({
      ok: false,
      reason: 'unknown-assertion',
      assertionId: TICKET.assertionId,
    });
  });

  it('checks the timestamp window against the supplied clock and skew', () => {
    const xml = request(buildProofSecurity(TICKET, KEY));
    expect(verify(xml, { now: Date.parse('2024-05-01T09:57:00Z') })).toMatchObject({ ok: true });
    expect(verify(xml, { now: Date.parse('2024-05-01T09:50:00Z') })).toMatchObject({ ok: false, reason: 'not-yet-valid' });
    expect(verify(xml, { now: Date.parse('2024-05-01T09:50:00Z'), skewMs: 60_000 })).toMatchObject({ ok: false, reason: 'not-yet-valid' });
    expect(verify(xml, { now: Date.parse('2024-05-01T18:10:00Z'), skewMs: 60_000 })).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('sends the ticket unsigned without a key, which a signed-supporting server accepts and an endorsing one refuses', () => {
    const security = buildProofSecurity(TICKET);
    expect(security).not.toContain('Signature');
    expect(verify(request(security), { requireSignature: false })).toMatchObject({ ok: true, signed: false });
    expect(verify(request(security))).toMatchObject({ ok: false, reason: 'missing-signature' });
  });

  it('is not misled by a KeyIdentifier inside the assertion\'s own signature', () => {
    const signedAssertion = ASSERTION.replace(
      '</saml:Assertion>',
      '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:KeyInfo><o:SecurityTokenReference xmlns:o="urn:o"><o:KeyIdentifier>issuer-key</o:KeyIdentifier></o:SecurityTokenReference></ds:KeyInfo></ds:Signature></saml:Assertion>',
    );
    const ticket = { ...TICKET, assertionXml: signedAssertion };
    expect(verify(request(buildProofSecurity(ticket)), { requireSignature: false })).toMatchObject({ ok: true, assertionId: TICKET.assertionId });
    expect(verify(request(buildProofSecurity(ticket, KEY)))).toMatchObject({ ok: true, signed: true });
  });

  it.each([
    ['not XML', 'garbage <', 'malformed'],
    ['no Security header', buildEnvelope({ body: '<x/>' }), 'missing-security'],
  ])('reports %s without throwing', (_label, xml, reason) => {
    expect(verify(xml)).toMatchObject({ ok: false, reason });
  });
});
