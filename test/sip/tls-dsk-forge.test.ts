// The node:tls TLS-DSK client against the lab's node-forge engine: two different TLS implementations
// must agree on the TLS-DSK keys (forge's PRF over its master secret vs OpenSSL's exporter).
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRootCa, issueServerCertificate, issueUserCertificate, type CertificateAuthority, type IssuedCertificate } from '../../src/lab/ca.js';
import { TlsDskServerEngine, type TlsDskServerEstablished } from '../../src/lab/tls-dsk-server.js';
import { TlsDskClient, TlsDskError, type TlsDskEstablished } from '../../src/sip/tls-dsk-client.js';

const validity = { notBefore: new Date(Date.now() - 3600_000), notAfter: new Date(Date.now() + 86_400_000) };
const rsa = (): { publicKey: KeyObject; privateKey: KeyObject } => generateKeyPairSync('rsa', { modulusLength: 2048 });
const pkcs1 = (key: KeyObject): string => key.export({ type: 'pkcs1', format: 'pem' }).toString();

let ca: CertificateAuthority;
let otherCa: CertificateAuthority;
let server: IssuedCertificate;
let serverKey: KeyObject;
let user: IssuedCertificate;
let userKey: KeyObject;

beforeAll(() => {
  ca = createRootCa({ key: rsa(), subject: { commonName: 'Lab Root' }, ...validity });
  otherCa = createRootCa({ key: rsa(), subject: { commonName: 'Other Root' }, ...validity });
  const serverKeys = rsa();
  serverKey = serverKeys.privateKey;
  server = issueServerCertificate(ca, { publicKey: serverKeys.publicKey, dnsNames: ['fe01.lab.test'], ...validity });
  const userKeys = rsa();
  userKey = userKeys.privateKey;
  user = issueUserCertificate(ca, { publicKeyPem: userKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString(), commonName: 'jeff@lab.test', ...validity });
});

async function handshake(engine: TlsDskServerEngine, trustedRootsPem?: string[]): Promise<{ client: TlsDskEstablished; server: TlsDskServerEstablished; legs: number }> {
  const started = await TlsDskClient.start({ certificatePem: user.pem, privateKey: userKey, targetname: 'fe01.lab.test', ...(trustedRootsPem ? { trustedRootsPem } : {}) });
  let token = Buffer.from(started.gssapiData, 'base64');
  let serverSide: TlsDskServerEstablished | undefined;
  for (let legs = 1; legs <= 4; legs++) {
    const answer = engine.answer(token);
    if (answer.kind === 'failed') {
      // The registrar's alert travels back to the client like any other token.
      await started.client.step(answer.token.toString('base64'));
      throw new Error(`engine failed without the client noticing: ${answer.reason}`);
    }
    serverSide ??= answer.established;
    const step = await started.client.step(answer.token.toString('base64'));
    if (step.kind === 'established') {
      if (!serverSide) throw new Error('client finished before the lab engine');
      return { client: step.established, server: serverSide, legs };
    }
    token = Buffer.from(step.gssapiData, 'base64');
  }
  throw new Error('no agreement in 4 legs');
}

describe('TLS-DSK: node:tls client against the node-forge lab engine', () => {
  it('agrees on the keys, verifies the forge chain, and the lab sees the user certificate', async () => {
    const engine = new TlsDskServerEngine({ certificateChainPem: [server.pem], privateKeyPem: pkcs1(serverKey), clientCaPem: [ca.certificate.pem] });
    const { client, server: lab, legs } = await handshake(engine, [ca.certificate.pem]);
    expect(legs).toBe(2);
    expect(client.protocol).toBe('TLSv1');
    expect(client.mac).toBe('sha1');
    expect(lab.keys.clientKey).toEqual(client.keys.clientKey);
    expect(lab.keys.serverKey).toEqual(client.keys.serverKey);
    expect(client.keys.clientKey).not.toEqual(client.keys.serverKey);
    expect(lab.clientCertificatePem.replace(/\r/g, '')).toBe(user.pem.replace(/\r/g, ''));
  });

  it('rejects a user certificate from another CA with an alert the client reports', async () => {
    const engine = new TlsDskServerEngine({ certificateChainPem: [server.pem], privateKeyPem: pkcs1(serverKey), clientCaPem: [otherCa.certificate.pem] });
    const error = await handshake(engine).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TlsDskError);
    expect((error as TlsDskError).code).toBe('BT_TLS_DSK_PEER_ALERT');
    expect((error as TlsDskError).alert).toBe(48); // unknown_ca
  });
});
