// The sign-in faults of the lab catalogue observed at the wire, without the pipeline: SNTP and DNS
// questions to the lab's responders, TLS handshakes to its registrar, and a TLS-DSK REGISTER with a
// certificate the lab's CertProv issued and published (faults.test.ts runs them with the others).

import { X509Certificate } from 'node:crypto';
import { expect } from 'vitest';
import type { Lab } from '../../src/lab/index.js';
import type { LabFaultName } from '../../src/lab/faults.js';
import { queryDns } from '../../src/dns/resolver.js';
import { isInsideDomain } from '../../src/dns/registrar-lookup.js';
import { TlsVerifyError } from '../../src/net/errors.js';
import { UdpNoReplyError } from '../../src/net/udp-exchange.js';
import { MODERN_SIP_TLS_PROFILE, PHONE_SIP_TLS_PROFILE, SipTlsConnection } from '../../src/sip/connection.js';
import { newRegisterDialog } from '../../src/sip/register.js';
import { signatureAlgorithmOid } from '../../src/sip/registrar-certificate.js';
import { TlsDskError } from '../../src/sip/tls-dsk-client.js';
import { msDiagnostics, tlsDskRegister, type TlsDskRegisterResult } from '../../src/sip/tls-dsk-register.js';
import { parseGetAndPublishCertResponse } from '../../src/soap/services/certprov.js';
import { querySntp } from '../../src/time/sntp.js';
import { testKeyPair, type Reply } from './helpers.js';

const SHA1_WITH_RSA = '1.2.840.113549.1.1.5';

function connect(lab: Lab, profile = PHONE_SIP_TLS_PROFILE): Promise<SipTlsConnection> {
  return SipTlsConnection.open({
    address: '127.0.0.1',
    port: lab.ports.sip,
    servername: lab.registrarFqdn,
    trustedRootsPem: [lab.caCertificatesPem],
    profile,
    timeoutMs: 3000,
  });
}

/** A TLS-DSK REGISTER with a certificate GetAndPublishCert just issued (and published) for the sample user. */
async function registerOnce(lab: Lab, getCertificate: () => Promise<Reply>): Promise<TlsDskRegisterResult> {
  const reply = await getCertificate();
  const parsed = parseGetAndPublishCertResponse(reply.text);
  if (parsed.kind !== 'certificate') throw new Error(`no certificate: ${reply.status}`);
  const connection = await connect(lab);
  try {
    const domain = lab.sampleUser.sipUri.split('@')[1]!;
    return await tlsDskRegister({
      dialog: newRegisterDialog({ sipUri: lab.sampleUser.sipUri, sipDomain: domain, localAddress: connection.info.localAddress, localPort: connection.info.localPort, epid: 'a1b2c3d4e5', userAgent: 'lab fault test' }),
      certificatePem: new X509Certificate(parsed.certificateDer).toString(),
      privateKeyPem: testKeyPair().privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      trustedRootsPem: [lab.caCertificatesPem],
      send: (request) => connection.transact(request, { timeoutMs: 3000 }),
    });
  } finally {
    connection.close();
  }
}

/** The catalogue's faults of the four sign-in stages: the compiler makes sure each has a check here. */
export type SignInFaultName = Extract<
  LabFaultName,
  'ntp-unsynchronised'
  | 'ntp-offset'
  | 'ntp-silent'
  | 'dns-srv-nxdomain'
  | 'dns-srv-outside-domain'
  | 'dns-srv-target-nodata'
  | 'registrar-tls10-refused'
  | 'registrar-cert-wildcard'
  | 'registrar-cert-sha1'
  | 'registrar-cert-wrong-name'
  | 'registrar-no-tls-dsk'
  | 'registrar-cert-not-published'
  | 'registrar-wrong-targetname'
  | 'registrar-wrong-realm'
  | 'registrar-tls-dsk-alert'
  | 'registrar-bad-signature'
  | 'registrar-unsigned-200'
  | 'registrar-client-version-blocked'
  | 'registrar-redirect'
>;

export function signInFaultChecks(
  getLab: () => Lab,
  withFaults: <T>(faults: string[], body: () => Promise<T>) => Promise<T>,
  getCertificate: () => Promise<Reply>,
): Record<SignInFaultName, () => Promise<void>> {
  const ntp = () => ({ host: '127.0.0.1', port: getLab().ports.ntp });
  const dnsServer = () => ({ host: '127.0.0.1', port: getLab().ports.dns });
  const srvName = () => `_sipinternaltls._tcp.${getLab().sipDomain}`;
  const register = (fault: string) => withFaults([fault], () => registerOnce(getLab(), getCertificate));
  const registerError = async (fault: string): Promise<TlsDskError> => {
    const error = await register(fault).then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(TlsDskError);
    return error as TlsDskError;
  };
  const leafOf = async (fault: string, profile = MODERN_SIP_TLS_PROFILE): Promise<X509Certificate> =>
    withFaults([fault], async () => {
      const connection = await connect(getLab(), profile);
      connection.close();
      return connection.info.chain[0]!;
    });
  return {
    'ntp-unsynchronised': () => withFaults(['ntp-unsynchronised'], async () => expect((await querySntp(ntp(), { timeoutMs: 2000 })).verdict.kind).toBe('unsynchronised')),
    'ntp-offset': () =>
      withFaults(['ntp-offset:600'], async () => {
        const result = await querySntp(ntp(), { timeoutMs: 2000 });
        expect(result.verdict.kind).toBe('usable');
        expect(Math.abs(result.offsetMs - 600_000)).toBeLessThan(1000);
      }),
    'ntp-silent': () => withFaults(['ntp-silent'], async () => expect(querySntp(ntp(), { timeoutMs: 300 })).rejects.toBeInstanceOf(UdpNoReplyError)),
    'dns-srv-nxdomain': () => withFaults(['dns-srv-nxdomain'], async () => expect((await queryDns(dnsServer(), srvName(), 'SRV', { timeoutMs: 2000 })).outcome).toBe('nxdomain')),
    'dns-srv-outside-domain': () =>
      withFaults(['dns-srv-outside-domain'], async () => {
        const answer = await queryDns(dnsServer(), srvName(), 'SRV', { timeoutMs: 2000 });
        const target = answer.records[0];
        expect(target?.type).toBe('SRV');
        expect(isInsideDomain(target?.type === 'SRV' ? target.target : '', getLab().sipDomain)).toBe(false);
      }),
    'dns-srv-target-nodata': () => withFaults(['dns-srv-target-nodata'], async () => expect((await queryDns(dnsServer(), getLab().registrarFqdn, 'A', { timeoutMs: 2000 })).outcome).toBe('nodata')),
    'registrar-tls10-refused': () =>
      withFaults(['registrar-tls10-refused'], async () => {
        await expect(connect(getLab())).rejects.toMatchObject({ code: 'BT_TLS_ALERT' });
        const modern = await connect(getLab(), MODERN_SIP_TLS_PROFILE);
        expect(modern.info.protocol).toMatch(/^TLSv1\.[23]$/);
        modern.close();
      }),
    'registrar-cert-wildcard': async () => expect((await leafOf('registrar-cert-wildcard')).subjectAltName).toBe(`DNS:*.${getLab().sipDomain}`),
    'registrar-cert-sha1': async () => expect(signatureAlgorithmOid(await leafOf('registrar-cert-sha1', PHONE_SIP_TLS_PROFILE))).toBe(SHA1_WITH_RSA),
    'registrar-cert-wrong-name': () => withFaults(['registrar-cert-wrong-name'], async () => expect(connect(getLab())).rejects.toBeInstanceOf(TlsVerifyError)),
    'registrar-no-tls-dsk': async () => expect((await register('registrar-no-tls-dsk')).outcome).toEqual({ kind: 'no-tls-dsk', schemes: ['NTLM'] }),
    'registrar-cert-not-published': async () => {
      const result = await register('registrar-cert-not-published');
      expect(result.outcome).toMatchObject({ kind: 'refused', phase: 'signed-register', status: 403 });
      expect(msDiagnostics(result.exchanges.at(-1)!.response)[0]).toMatch(/not published/);
    },
    'registrar-wrong-targetname': async () => expect((await registerError('registrar-wrong-targetname')).code).toBe('BT_TLS_DSK_HANDSHAKE'),
    'registrar-wrong-realm': async () => expect((await register('registrar-wrong-realm')).outcome).toMatchObject({ kind: 'refused', phase: 'signed-register', status: 403 }),
    'registrar-tls-dsk-alert': async () => expect(await registerError('registrar-tls-dsk-alert')).toMatchObject({ code: 'BT_TLS_DSK_PEER_ALERT', alert: 40 }),
    'registrar-bad-signature': async () => expect((await register('registrar-bad-signature')).outcome).toEqual({ kind: 'bad-server-signature', detail: 'rspauth does not verify with the server key' }),
    'registrar-unsigned-200': async () => expect((await register('registrar-unsigned-200')).outcome).toEqual({ kind: 'bad-server-signature', detail: '200 OK without Authentication-Info' }),
    'registrar-client-version-blocked': async () => {
      const result = await register('registrar-client-version-blocked');
      expect(result.outcome).toMatchObject({ kind: 'refused', status: 403 });
      expect(msDiagnostics(result.exchanges.at(-1)!.response)[0]).toMatch(/^17002;reason="Invalid protocol client version\."/);
    },
    'registrar-redirect': async () => expect((await register('registrar-redirect')).outcome).toEqual({ kind: 'redirect', status: 301, contact: `<sip:pool02.${getLab().sipDomain}:${getLab().ports.sip};transport=tls>` }),
  };
}
