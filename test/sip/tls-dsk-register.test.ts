// The whole TLS-DSK REGISTER exchange against a registrar written here (SIP logic from the research
// notes §4.1/§4.4) on the lab's node-forge TLS engine; the client side runs node:tls.
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { TlsDskServerEngine, type TlsDskServerEstablished } from '../../src/lab/tls-dsk-server.js';
import { createRootCa, issueServerCertificate, issueUserCertificate, type CertificateAuthority, type IssuedCertificate } from '../../src/lab/ca.js';
import { buildTlsDskServerHeader, parseAuthHeader } from '../../src/sip/auth-params.js';
import { headerValue, parseSipMessage, serializeSipMessage, withHeader, type SipRequest, type SipResponse } from '../../src/sip/message.js';
import { newRegisterDialog } from '../../src/sip/register.js';
import { computeSignature, signatureFields, signatureMatches, signatureString } from '../../src/sip/signature.js';
import { msDiagnostics, tlsDskRegister, tlsDskDeregister, type SipTransaction } from '../../src/sip/tls-dsk-register.js';

const validity = { notBefore: new Date(Date.now() - 3600_000), notAfter: new Date(Date.now() + 86_400_000) };
const REALM = 'SIP Communications Service';
const TARGET = 'fe01.lab.test';
let ca: CertificateAuthority;
let server: IssuedCertificate;
let serverKey: KeyObject;
let user: IssuedCertificate;
let userKeyPem: string;

beforeAll(() => {
  const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
  ca = createRootCa({ key: rsa(), subject: { commonName: 'Lab Root' }, ...validity });
  const serverKeys = rsa();
  serverKey = serverKeys.privateKey;
  server = issueServerCertificate(ca, { publicKey: serverKeys.publicKey, dnsNames: [TARGET], ...validity });
  const userKeys = rsa();
  userKeyPem = userKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  user = issueUserCertificate(ca, { publicKeyPem: userKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString(), commonName: 'jeff@lab.test', ...validity });
});

type Fault = 'none' | 'no-tls-dsk' | 'unsigned-200' | 'bad-rspauth' | 'client-version-403' | 'redirect';

/** A registrar: answers from the request's own headers, signs with the forge session's server key. */
function testRegistrar(fault: Fault): { send: SipTransaction; verifiedClientSignatures: () => number } {
  const engine = new TlsDskServerEngine({ certificateChainPem: [server.pem], privateKeyPem: serverKey.export({ type: 'pkcs1', format: 'pem' }).toString(), clientCaPem: [ca.certificate.pem] });
  const opaque = randomBytes(4).toString('hex').toUpperCase();
  let established: TlsDskServerEstablished | undefined;
  let snum = 0;
  let verified = 0;
  const reply = (request: SipRequest, status: number, reason: string, extra: Array<[string, string]>): SipResponse => ({
    kind: 'response',
    status,
    reason,
    headers: [
      ...['Via', 'From', 'Call-ID', 'CSeq'].map((name) => ({ name, value: headerValue(request, name) ?? '' })),
      { name: 'To', value: `${headerValue(request, 'To')}${status === 200 ? ';tag=9f8e7d6c' : ''}` },
      ...extra.map(([name, value]) => ({ name, value })),
    ],
    body: Buffer.alloc(0),
  });
  const send: SipTransaction = async (wireRequest) => {
    // Over the wire and back, as the transport would.
    const request = parseSipMessage(serializeSipMessage(wireRequest)) as SipRequest;
    const authorization = headerValue(request, 'Authorization');
    if (fault === 'redirect') return reply(request, 301, 'Redirect request to Home Server', [['Contact', '<sip:pool02.lab.test:5061;transport=tls>']]);
    if (!authorization) {
      const schemes = [`NTLM realm="${REALM}", targetname="${TARGET}", version=4`];
      if (fault !== 'no-tls-dsk') schemes.push(`TLS-DSK realm="${REALM}", targetname="${TARGET}", version=4, sts-uri="https://pool01.lab.test:443/CertProv/CertProvisioningService.svc"`);
      return reply(request, 401, 'Unauthorized', [...schemes.map((value): [string, string] => ['WWW-Authenticate', value]), ['Date', new Date().toUTCString()]]);
    }
    const params = parseAuthHeader(authorization).params;
    const token = params.get('gssapi-data');
    if (token !== undefined) {
      const step = engine.answer(Buffer.from(token, 'base64'));
      if (step.kind === 'token' && step.established) established = step.established;
      const header = buildTlsDskServerHeader([['opaque', opaque], ['gssapi-data', step.token.toString('base64')], ['targetname', TARGET], ['realm', REALM], ['version', 4]]);
      return reply(request, 401, 'Unauthorized', [['WWW-Authenticate', header]]);
    }
    if (!established || params.get('opaque') !== opaque) return reply(request, 403, 'Forbidden', []);
    const signed = signatureString(signatureFields(request, { realm: REALM, targetname: TARGET }, { rand: params.get('crand') ?? '', num: params.get('cnum') ?? '' }));
    if (!signatureMatches(established.keys.clientKey, 'sha1', signed, params.get('response') ?? '')) return reply(request, 403, 'Forbidden', []);
    verified++;
    if (fault === 'client-version-403') {
      return reply(request, 403, 'Forbidden', [['ms-diagnostics', '17002;reason="Invalid protocol client version.";source="fe01.lab.test"']]);
    }
    const expires = headerValue(request, 'Expires') ?? '7200';
    const ok = withHeader(reply(request, 200, 'OK', []), 'Expires', expires);
    if (fault === 'unsigned-200') return ok;
    const srand = randomBytes(4).toString('hex');
    const okString = signatureString(signatureFields(ok, { realm: REALM, targetname: TARGET }, { rand: srand, num: ++snum }));
    const rspauth = computeSignature(established.keys.serverKey, 'sha1', okString).toLowerCase();
    const info = buildTlsDskServerHeader([['qop', 'auth'], ['opaque', opaque], ['srand', srand], ['snum', String(snum)], ['rspauth', fault === 'bad-rspauth' ? rspauth.replace(/^./, (c) => (c === '0' ? '1' : '0')) : rspauth], ['targetname', TARGET], ['realm', REALM], ['version', 4]]);
    return withHeader(ok, 'Authentication-Info', info);
  };
  return { send, verifiedClientSignatures: () => verified };
}

function run(fault: Fault) {
  const registrar = testRegistrar(fault);
  const dialog = newRegisterDialog({ sipUri: 'sip:jeff@lab.test', sipDomain: 'lab.test', localAddress: '127.0.0.1', localPort: 50000, epid: '8248ca9ebb', userAgent: 'bootstrap-test' });
  return { registrar, dialog, result: tlsDskRegister({ dialog, certificatePem: user.pem, privateKeyPem: userKeyPem, trustedRootsPem: [ca.certificate.pem], send: registrar.send }) };
}

describe('TLS-DSK REGISTER exchange', () => {
  it('registers in five transactions with a verified rspauth, then signs out', async () => {
    const { registrar, dialog, result } = run('none');
    const { outcome, exchanges, stsUri, challengeDate } = await result;
    expect(outcome.kind).toBe('registered');
    expect(exchanges.map((exchange) => exchange.response.status)).toEqual([401, 401, 401, 200]);
    expect(exchanges.map((exchange) => headerValue(exchange.request, 'CSeq'))).toEqual(['1 REGISTER', '2 REGISTER', '3 REGISTER', '4 REGISTER']);
    expect(new Set(exchanges.map((exchange) => headerValue(exchange.request, 'Call-ID'))).size).toBe(1);
    expect(stsUri).toBe('https://pool01.lab.test:443/CertProv/CertProvisioningService.svc');
    expect(challengeDate).toMatch(/GMT$/);
    expect(registrar.verifiedClientSignatures()).toBe(1);
    if (outcome.kind !== 'registered') throw new Error(`expected registered, got ${outcome.kind}`);
    const signOut = await tlsDskDeregister(registrar.send, dialog, outcome.sa, outcome.cseq + 1);
    expect(signOut.confirmed).toBe(true);
    expect(headerValue(signOut.exchange.request, 'Expires')).toBe('0');
    expect(parseAuthHeader(headerValue(signOut.exchange.request, 'Authorization') ?? '').params.get('cnum')).toBe('2');
    expect(registrar.verifiedClientSignatures()).toBe(2);
  });

  it('says which schemes were offered when TLS-DSK is not', async () => {
    expect((await run('no-tls-dsk').result).outcome).toEqual({ kind: 'no-tls-dsk', schemes: ['NTLM'] });
  });

  it('refuses an unsigned 200 and a 200 whose rspauth does not verify', async () => {
    expect((await run('unsigned-200').result).outcome).toEqual({ kind: 'bad-server-signature', detail: '200 OK without Authentication-Info' });
    expect((await run('bad-rspauth').result).outcome).toEqual({ kind: 'bad-server-signature', detail: 'rspauth does not verify with the server key' });
  });

  it('reports a 403 after a verified signature with its ms-diagnostics verbatim', async () => {
    const { outcome, exchanges } = await run('client-version-403').result;
    expect(outcome).toEqual({ kind: 'refused', phase: 'signed-register', status: 403, reason: 'Forbidden' });
    expect(msDiagnostics(exchanges.at(-1)!.response)).toEqual(['17002;reason="Invalid protocol client version.";source="fe01.lab.test"']);
  });

  it('hands a 301 back with its Contact for the caller to follow once', async () => {
    expect((await run('redirect').result).outcome).toEqual({ kind: 'redirect', contact: '<sip:pool02.lab.test:5061;transport=tls>', status: 301 });
  });
});
