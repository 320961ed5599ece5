import { describe, expect, it } from 'vitest';
import { parseEnvelope } from '../../../src/soap/envelope.js';
import { buildFaultEnvelope } from '../../../src/lab/wire/fault.js';
import { ACTION_RESOLVE_USER, OCS_AUTH } from '../../../src/soap/namespaces.js';
import {
  buildResolveUserRequest,
  DEFAULT_RESOLVE_USER_SHAPE,
  describeResolveUser,
  parseResolveUserResponse,
  RESOLVE_USER_SHAPES,
} from '../../../src/soap/services/inferred/resolve-user.js';
import {
  buildResolveUserResponse,
  readResolveUserRequest,
  RESOLVE_USER_RESPONSE_LAYOUTS,
} from '../../../src/lab/wire/resolve-user.js';
import { child } from '../../../src/soap/xml.js';

const envelope = (body: string): string => `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>${body}</s:Body></s:Envelope>`;

describe('ResolveUser (inferred)', () => {
  it('defaults to the empty shape and describes both', () => {
    expect(DEFAULT_RESOLVE_USER_SHAPE).toBe('empty');
    for (const shape of RESOLVE_USER_SHAPES) expect(describeResolveUser(shape)).toMatch(/^inferred: ResolveUser/);
  });

  it.each(RESOLVE_USER_SHAPES)('round-trips the %s shape with the proof header and the WSDL action', (shape) => {
    const built = buildResolveUserRequest({ to: 'https://pool/proof', action: 'urn:wsdl-action', security: '<wsse:Security><x/></wsse:Security>', shape, phoneOrExt: '7501' });
    expect(built.soapAction).toBe('"urn:wsdl-action"');
    const message = parseEnvelope(built.xml);
    expect(message.kind === 'body' && child(message.header, 'Security')).toBeTruthy();
    expect(message.kind === 'body' && message.payload?.ns).toBe(OCS_AUTH);
    expect(readResolveUserRequest(built.xml)).toEqual(shape === 'entity' ? { ok: true, shape, phoneOrExt: '7501' } : { ok: true, shape });
  });

  it('uses the documented default action when the WSDL names none', () => {
    expect(buildResolveUserRequest({ to: 't', security: '', shape: 'empty', phoneOrExt: '1' }).action).toBe(ACTION_RESOLVE_USER);
  });

  it.each(RESOLVE_USER_RESPONSE_LAYOUTS)('reads the lab answer in the %s layout', (layout) => {
    expect(parseResolveUserResponse(buildResolveUserResponse({ sipUri: 'sip:jeff@lab.test', layout }))).toMatchObject({ kind: 'user', sipUri: 'sip:jeff@lab.test' });
  });

  it.each([
    ['a foreign namespace and element name UserUri', '<x:R xmlns:x="urn:other"><x:UserUri>sip:Jeff@Lab.Test</x:UserUri></x:R>', 'sip:Jeff@Lab.Test', 'element UserUri'],
    ['an Entity attribute without the scheme', `<ResolveUserResponse xmlns="${OCS_AUTH}"><User Entity="jeff@lab.test"/></ResolveUserResponse>`, 'sip:jeff@lab.test', 'attribute Entity of User'],
    ['a sip: value under an unexpected name', '<R><Owner><Address>sip:jeff@lab.test</Address></Owner></R>', 'sip:jeff@lab.test', 'element Address'],
    ['a named element preferred to an earlier anonymous value', '<R><Note>sip:other@lab.test</Note><SipUri>sip:jeff@lab.test</SipUri></R>', 'sip:jeff@lab.test', 'element SipUri'],
  ])('finds the SIP URI in %s', (_label, body, sipUri, foundIn) => {
    expect(parseResolveUserResponse(envelope(body))).toEqual({ kind: 'user', sipUri, foundIn });
  });

  it('reports no user, faults and junk distinctly', () => {
    expect(parseResolveUserResponse(envelope('<ResolveUserResponse><Name>Jeff</Name><Mail>jeff@lab.test</Mail></ResolveUserResponse>'))).toMatchObject({ kind: 'no-user' });
    expect(parseResolveUserResponse(buildFaultEnvelope({ code: 'wsse:FailedAuthentication', reason: 'x' }))).toMatchObject({ kind: 'fault' });
    expect(parseResolveUserResponse('nope')).toMatchObject({ kind: 'invalid' });
    expect(readResolveUserRequest(envelope('<GetAndPublishCert/>'))).toMatchObject({ ok: false });
  });
});
