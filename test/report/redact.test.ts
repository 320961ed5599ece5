import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { REDACTED, createRedactor, redactHeaderValue, redactStructure } from '../../src/report/redact.js';

const PIN = '14789';

const ISSUE_REQUEST = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">
  <s:Header>
    <o:Security xmlns:o="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">
      <o:UsernameToken><o:Username>7501</o:Username><o:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">${PIN}</o:Password></o:UsernameToken>
    </o:Security>
  </s:Header>
  <s:Body><wst:RequestSecurityToken xmlns:wst="http://docs.oasis-open.org/ws-sx/ws-trust/200512">
    <wst:Entropy><wst:BinarySecret Type="http://docs.oasis-open.org/ws-sx/ws-trust/200512/Nonce">c2VjcmV0LWVudHJvcHktMzItYnl0ZXMtbG9uZy4uLi4=</wst:BinarySecret></wst:Entropy>
  </wst:RequestSecurityToken></s:Body>
</s:Envelope>`;

describe('createRedactor: literal secrets', () => {
  it('replaces the PIN wherever it appears', () => {
    const redact = createRedactor([PIN]);
    expect(redact(`pin=${PIN}; again ${PIN}`)).toBe(`pin=${REDACTED}; again ${REDACTED}`);
  });

  it('replaces the PIN in its base64 forms (padded, unpadded, url-safe)', () => {
    const redact = createRedactor([PIN]);
    const base64 = Buffer.from(PIN).toString('base64');
    expect(base64).toBe('MTQ3ODk=');
    expect(redact(`<Password>${base64}</Password>`)).not.toContain('MTQ3ODk');
    expect(redact(`token MTQ3ODk end`)).toBe(`token ${REDACTED} end`);
  });

  it('replaces the PIN inside headers and JSON', () => {
    const redact = createRedactor([PIN]);
    expect(redact(`X-Debug: user=7501&pin=${PIN}\r\n`)).toBe(`X-Debug: user=7501&pin=${REDACTED}\r\n`);
    const json = JSON.stringify({ ext: '7501', pin: PIN, nested: [{ value: `x${PIN}y` }] });
    const redacted = redact(json);
    expect(redacted).not.toContain(PIN);
    expect(JSON.parse(redacted)).toEqual({ ext: '7501', pin: REDACTED, nested: [{ value: `x${REDACTED}y` }] });
  });

  it('redacts a PIN that is part of a longer number too (safety over exactness)', () => {
    expect(createRedactor([PIN])('latency 1478923 ms')).toBe(`latency ${REDACTED}23 ms`);
  });

  it('handles secrets with regex and XML special characters', () => {
    const secret = 'a+b(c)*<d>&';
    const redact = createRedactor([secret]);
    expect(redact(`one ${secret} two`)).toBe(`one ${REDACTED} two`);
    expect(redact('esc a+b(c)*&lt;d&gt;&amp; x')).toBe(`esc ${REDACTED} x`);
    expect(redact(`url ${encodeURIComponent(secret)}`)).toBe(`url ${REDACTED}`);
  });

  it('ignores empty and missing secrets, and a one-character secret does not break anything', () => {
    const redact = createRedactor(['', undefined, null]);
    expect(redact.size).toBe(0);
    expect(redact('nothing to hide')).toBe('nothing to hide');
    const single = createRedactor(['7']);
    expect(single('a7b')).toBe(`a${REDACTED}b`);
  });

  it('redacts registered bytes (entropy, proof key) as base64 and hex', () => {
    const entropy = randomBytes(32);
    const redact = createRedactor();
    redact.add(entropy);
    expect(redact(`secret ${entropy.toString('base64')}`)).toBe(`secret ${REDACTED}`);
    expect(redact(`hex ${entropy.toString('hex')}`)).toBe(`hex ${REDACTED}`);
    expect(redact(`url ${entropy.toString('base64url')}`)).toBe(`url ${REDACTED}`);
  });

  it('accepts secrets added later', () => {
    const redact = createRedactor([PIN]);
    redact.add('assertion-id-secret');
    expect(redact('assertion-id-secret and 14789')).toBe(`${REDACTED} and ${REDACTED}`);
  });

  it('deep-redacts values, and a number containing the PIN becomes null, never a string', () => {
    const redact = createRedactor([PIN]);
    expect(redact.value({ a: [PIN, 1, `${PIN}0`], b: { c: 114789, d: true, e: null, f: 1147.89, g: 1478.9 } })).toEqual({
      a: [REDACTED, 1, `${REDACTED}0`],
      b: { c: null, d: true, e: null, f: 1147.89, g: 1478.9 },
    });
  });
});

describe('structural redaction (any prefix, by local name)', () => {
  it('blanks UsernameToken Password and BinarySecret even when no secret was registered', () => {
    const text = redactStructure(ISSUE_REQUEST);
    expect(text).not.toContain(PIN);
    expect(text).not.toContain('c2VjcmV0LWVudHJvcHkt');
    expect(text).toContain(`<o:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">${REDACTED}</o:Password>`);
    expect(text).toContain(`>${REDACTED}</wst:BinarySecret>`);
    expect(text).toContain('<o:Username>7501</o:Username>');
  });

  it('replaces the SAML assertion contents but keeps its start tag, and blanks SignatureValue', () => {
    const xml = `<wsse:Security><saml:Assertion MajorVersion="1" AssertionID="SamlSecurityToken-1"><saml:AttributeStatement>secret claims</saml:AttributeStatement><Signature><SignatureValue>c2lnbmF0dXJl</SignatureValue></Signature></saml:Assertion><ds:SignatureValue>aG1hYw==</ds:SignatureValue></wsse:Security>`;
    const text = redactStructure(xml);
    expect(text).toContain(`<saml:Assertion MajorVersion="1" AssertionID="SamlSecurityToken-1">${REDACTED}</saml:Assertion>`);
    expect(text).not.toContain('secret claims');
    expect(text).toContain(`<ds:SignatureValue>${REDACTED}</ds:SignatureValue>`);
    expect(text).not.toContain('aG1hYw==');
  });

  it('works with no prefix, a default namespace and line breaks inside the element', () => {
    const xml = '<Password xmlns="urn:x">\n  14789\n</Password><BinarySecret/>';
    expect(redactStructure(xml)).toBe(`<Password xmlns="urn:x">${REDACTED}</Password><BinarySecret/>`);
  });

  it('does not let a self-closing tag swallow the text up to a later element', () => {
    const xml = '<Password /><Note>keep me</Note><Password>14789</Password>';
    expect(redactStructure(xml)).toBe(`<Password /><Note>keep me</Note><Password>${REDACTED}</Password>`);
  });

  it('does not touch elements that merely start with a credential name', () => {
    const xml = '<PasswordHint>blue</PasswordHint><a:AssertionIDReference>x</a:AssertionIDReference>';
    expect(redactStructure(xml)).toBe(xml);
  });

  it('blanks PEM private keys of every kind, even a truncated one', () => {
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    const text = redactStructure(pem);
    expect(text).toContain(`-----BEGIN RSA PRIVATE KEY-----\n${REDACTED}\n-----END RSA PRIVATE KEY-----`);
    expect(text).not.toContain('MIIEow');
    expect(text).toContain('MIIB');
    expect(redactStructure('-----BEGIN PRIVATE KEY-----\nMIIEvg')).not.toContain('MIIEvg');
  });

  it('is applied by the redactor itself, with literal secrets on top', () => {
    const redact = createRedactor([PIN]);
    const text = redact(`${ISSUE_REQUEST}\n<!-- pin ${PIN} -->`);
    expect(text).not.toContain(PIN);
  });

  it('blanks credential headers entirely', () => {
    const redact = createRedactor();
    expect(redactHeaderValue('Authorization', 'Basic NzUwMToxNDc4OQ==', redact)).toBe(REDACTED);
    expect(redactHeaderValue('Set-Cookie', 'session=abc', redact)).toBe(REDACTED);
    expect(redactHeaderValue('Content-Type', 'text/xml', redact)).toBe('text/xml');
  });
});
