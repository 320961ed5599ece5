// The registrar TLS connection against loopback TLS servers written here.
import { generateKeyPairSync } from 'node:crypto';
import tls from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { observationOf } from '../../src/diagnosis/transport.js';
import { ResponseTimeoutError, TlsAlertError, TlsVerifyError } from '../../src/net/errors.js';
import { createRootCa, issueServerCertificate, type CertificateAuthority, type IssuedCertificate } from '../../src/lab/ca.js';
import { takeSipMessage } from '../../src/sip/message.js';
import { buildRegister, newRegisterDialog } from '../../src/sip/register.js';
import { MODERN_SIP_TLS_PROFILE, PHONE_SIP_TLS_PROFILE, SipTlsConnection } from '../../src/sip/connection.js';

const validity = { notBefore: new Date(Date.now() - 3600_000), notAfter: new Date(Date.now() + 86_400_000) };
let ca: CertificateAuthority;
let certificate: IssuedCertificate;
let keyPem: string;

beforeAll(() => {
  const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
  ca = createRootCa({ key: rsa(), subject: { commonName: 'Lab Root' }, ...validity });
  const keys = rsa();
  keyPem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  certificate = issueServerCertificate(ca, { publicKey: keys.publicKey, dnsNames: ['pool01.lab.test'], ...validity });
});

let server: tls.Server | undefined;
const sockets = new Set<tls.TLSSocket>();
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A SIP-over-TLS server: answers each REGISTER with 100 Trying, then 401, unless `silent`. */
async function startServer(options: { minVersion: tls.SecureVersion; silent?: boolean }): Promise<number> {
  server = tls.createServer({ cert: certificate.pem, key: keyPem, minVersion: options.minVersion, ciphers: 'AES128-SHA:AES256-SHA:@SECLEVEL=0:DEFAULT' }, (socket) => {
    let buffer: Buffer = Buffer.alloc(0);
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (let taken = takeSipMessage(buffer); taken; taken = takeSipMessage(buffer)) {
        buffer = taken.rest;
        if (options.silent) continue;
        const cseq = taken.message.headers.find((header) => header.name === 'CSeq')?.value;
        socket.write(`SIP/2.0 100 Trying\r\nCSeq: ${cseq}\r\nContent-Length: 0\r\n\r\n`);
        socket.write(`SIP/2.0 401 Unauthorized\r\nCSeq: ${cseq}\r\nWWW-Authenticate: NTLM realm="SIP Communications Service"\r\nContent-Length: 0\r\n\r\n`);
      }
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server!.address() as { port: number }).port;
}

const connect = (port: number, overrides: Partial<Parameters<typeof SipTlsConnection.open>[0]> = {}) =>
  SipTlsConnection.open({ address: '127.0.0.1', port, servername: 'pool01.lab.test', trustedRootsPem: [ca.certificate.pem], profile: PHONE_SIP_TLS_PROFILE, timeoutMs: 5000, ...overrides });

const register = (cseq: number) =>
  buildRegister(newRegisterDialog({ sipUri: 'sip:jeff@lab.test', sipDomain: 'lab.test', localAddress: '127.0.0.1', localPort: 1, epid: 'abcdef0123', userAgent: 'test' }), cseq);

describe('SIP over TLS to the registrar', () => {
  it('speaks TLS 1.0 with the phone profile and returns the final response, skipping 100 Trying', async () => {
    const port = await startServer({ minVersion: 'TLSv1' });
    const connection = await connect(port);
    expect(connection.info).toMatchObject({ protocol: 'TLSv1', cipherSuite: 'TLS_RSA_WITH_AES_128_CBC_SHA' });
    expect(connection.info.chain[0]?.subject).toBe('CN=pool01.lab.test');
    const first = await connection.transact(register(1), { timeoutMs: 2000 });
    const second = await connection.transact(register(2), { timeoutMs: 2000 });
    expect([first.status, second.status]).toEqual([401, 401]);
    connection.close();
  });

  it('sees alert 70 from a TLS-1.2-only registrar with the phone profile, and connects with the modern one', async () => {
    const port = await startServer({ minVersion: 'TLSv1.2' });
    const error = await connect(port).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TlsAlertError);
    expect(observationOf(error as TlsAlertError)).toBe('tls:alert:70');
    const modern = await connect(port, { profile: MODERN_SIP_TLS_PROFILE });
    expect(modern.info.protocol).toBe('TLSv1.3');
    modern.close();
  });

  it('rejects a certificate that does not name the registrar', async () => {
    const port = await startServer({ minVersion: 'TLSv1' });
    const error = await connect(port, { servername: 'pool02.lab.test' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TlsVerifyError);
    expect(observationOf(error as TlsVerifyError)).toBe('tls:verify:name');
  });

  it('times out a transaction the registrar never answers', async () => {
    const port = await startServer({ minVersion: 'TLSv1', silent: true });
    const connection = await connect(port);
    await expect(connection.transact(register(1), { timeoutMs: 200 })).rejects.toBeInstanceOf(ResponseTimeoutError);
    connection.close();
  });
});
