import { describe, expect, it } from 'vitest';
import { WSS_PASSWORD_TEXT } from '../../../src/soap/namespaces.js';
import {
  buildPinCredentialHeader,
  DEFAULT_PIN_ENCODING,
  describePinCredential,
  encodingFromPolicy,
  PIN_ENCODINGS,
  pinWireForms,
} from '../../../src/soap/services/inferred/pin-credential.js';
import { pinPolicyAssertion, readPinCredential } from '../../../src/lab/wire/pin-credential.js';
import { choosePinPort, parseMex } from '../../../src/soap/services/mex.js';
import { buildMexDocument } from '../../../src/lab/wire/mex.js';
import { buildIssueTokenRequest, newClientEntropy } from '../../../src/soap/services/webticket.js';

const request = (phoneOrExt: string, pin: string, encoding: 'plain' | 'base64'): string =>
  buildIssueTokenRequest({
    to: 'https://pool/WebTicket/WebTicketService.svc/Pin',
    appliesTo: 'https://pool/CertProv/CertProvisioningService.svc',
    clientEntropy: newClientEntropy(),
    credentialHeader: buildPinCredentialHeader({ phoneOrExt, pin, encoding }),
  }).xml;

describe('PIN credential (inferred)', () => {
  it('defaults to plain and describes each encoding for --verbose', () => {
    expect(DEFAULT_PIN_ENCODING).toBe('plain');
    expect(describePinCredential('plain')).toBe('inferred: PIN sent as UsernameToken PasswordText, plain');
    expect(describePinCredential('base64')).toMatch(/^inferred: .*base64/);
  });

  it.each(PIN_ENCODINGS)('round-trips the number as typed and the PIN with %s encoding', (encoding) => {
    const xml = request('+1 (312) 555-7501', '14789', encoding);
    expect(xml).toContain(`Type="${WSS_PASSWORD_TEXT}"`);
    expect(xml.includes('>14789<')).toBe(encoding === 'plain');
    expect(readPinCredential(xml, encoding)).toEqual({ ok: true, phoneOrExt: '+1 (312) 555-7501', pin: '14789' });
  });

  it.each(PIN_ENCODINGS)('lists every wire form of the PIN for redaction (%s)', (encoding) => {
    const xml = request('7501', '14789', encoding);
    let redacted = xml;
    for (const form of pinWireForms({ pin: '14789', encoding })) redacted = redacted.split(form).join('***');
    expect(redacted).not.toContain('14789');
    expect(redacted).not.toContain(Buffer.from('14789').toString('base64'));
    expect(redacted).toContain('<wsse:Password');
  });

  it('a base64 port refuses a plain credential whose values are not base64', () => {
    expect(readPinCredential(request('7501', '14789', 'plain'), 'base64')).toMatchObject({ ok: false, reason: 'not-base64' });
  });

  it('a plain port reading a base64 credential sees other values (the server would refuse the PIN)', () => {
    const read = readPinCredential(request('7501', '14789', 'base64'), 'plain');
    expect(read).toMatchObject({ ok: true });
    expect(read.ok && read.pin).not.toBe('14789');
  });

  it('reports what is missing without echoing any value', () => {
    const noToken = buildIssueTokenRequest({ to: 't', appliesTo: 'a', clientEntropy: newClientEntropy() }).xml;
    expect(readPinCredential(noToken, 'plain')).toMatchObject({ ok: false, reason: 'no-security' });
    const digest = request('7501', '14789', 'plain').replace(WSS_PASSWORD_TEXT, 'urn:x#PasswordDigest');
    const refused = readPinCredential(digest, 'plain');
    expect(refused).toMatchObject({ ok: false, reason: 'password-type' });
    expect(JSON.stringify(refused)).not.toContain('14789');
  });

  it.each(PIN_ENCODINGS)('the lab policy for %s is read back through the MEX (a plain UsernameToken names no encoding)', (encoding) => {
    const xml = buildMexDocument({
      serviceName: 'WebTicketService',
      portTypeName: 'IWebTicketService',
      targetNamespace: 'urn:wt',
      ports: [{ name: 'WebTicketServicePin', address: 'https://pool/WebTicket/WebTicketService.svc/Pin', policy: pinPolicyAssertion(encoding) }],
    });
    const parsed = parseMex(xml);
    if (!parsed.ok) throw new Error(parsed.reason);
    const choice = choosePinPort(parsed.mex);
    const implied = choice.ok ? encodingFromPolicy(choice.policy) : undefined;
    expect(implied?.encoding).toBe(encoding === 'base64' ? 'base64' : undefined);
    if (encoding === 'plain') expect(implied?.reason).toMatch(/plain UsernameToken, which says nothing about encoding/);
  });

  it('a policy without a UsernameToken assertion decides nothing', () => {
    expect(encodingFromPolicy(undefined)).toEqual({ reason: 'no policy for the PIN port' });
    expect(encodingFromPolicy({ id: 'p', supportingTokens: [] }).encoding).toBeUndefined();
  });
});
