// The TLS-DSK client against a registrar-side TLS engine written here from the research notes
// (§4.7): a node:tls server socket over an in-memory stream, fed and read token by token, with its own
// flight detection. Key agreement is checked three ways: client exporter, server exporter, and the
// pure PRF over the master secret from the server's key log (the §4.6-vector code path).

import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { Duplex } from 'node:stream';
import { constants } from 'node:crypto';
import { TLSSocket, createSecureContext } from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRootCa, issueServerCertificate, issueUserCertificate, type CertificateAuthority, type IssuedCertificate } from '../../src/lab/ca.js';
import { GssapiDataError } from '../../src/sip/gssapi.js';
import { parseSipMessage } from '../../src/sip/message.js';
import { computeSignature, signatureFields, signatureMatches, signatureString } from '../../src/sip/signature.js';
import { MODERN_TLS_DSK_PROFILE, TlsDskClient, TlsDskError, type TlsDskEstablished, type TlsDskProfile } from '../../src/sip/tls-dsk-client.js';
import { tls10TlsDskKeys, tls12Prf } from '../../src/sip/tls-dsk-keys.js';

const TARGETNAME = 'fe01.lab.test';
const validity = { notBefore: new Date(Date.now() - 3600_000), notAfter: new Date(Date.now() + 86_400_000) };

function keys(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

interface Pki {
  ca: CertificateAuthority;
  otherCa: CertificateAuthority;
  server: IssuedCertificate;
  serverKey: KeyObject;
  user: IssuedCertificate;
  userKey: KeyObject;
}
let pki: Pki;

beforeAll(() => {
  const ca = createRootCa({ key: keys(), subject: { commonName: 'Lab Root' }, ...validity });
  const otherCa = createRootCa({ key: keys(), subject: { commonName: 'Someone Else' }, ...validity });
  const serverKeys = keys();
  const userKeys = keys();
  pki = {
    ca,
    otherCa,
    server: issueServerCertificate(ca, { publicKey: serverKeys.publicKey, dnsNames: [TARGETNAME, 'pool01.lab.test'], ...validity }),
    serverKey: serverKeys.privateKey,
    user: issueUserCertificate(ca, {
      publicKeyPem: userKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      commonName: 'jeff@lab.test',
      ...validity,
    }),
    userKey: userKeys.privateKey,
  };
});

/** Records in `bytes` as [type, fragment]; undefined when a record is cut. */
function records(bytes: Buffer): Array<[number, Buffer]> | undefined {
  const list: Array<[number, Buffer]> = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 5 > bytes.length) return undefined;
    const end = offset + 5 + bytes.readUInt16BE(offset + 3);
    if (end > bytes.length) return undefined;
    list.push([bytes[offset] as number, bytes.subarray(offset + 5, end)]);
    offset = end;
  }
  return list;
}

/** The registrar's flights end with ServerHelloDone (type 14), the record after ChangeCipherSpec, or an alert. */
function serverFlightDone(bytes: Buffer): boolean {
  const list = records(bytes);
  if (!list || list.length === 0) return false;
  const ccs = list.findIndex(([type]) => type === 20);
  if (list.some(([type]) => type === 21)) return true;
  if (ccs >= 0) return list.length > ccs + 1;
  const last = list[list.length - 1]!;
  let offset = 0;
  let lastType = -1;
  while (offset + 4 <= last[1].length) {
    lastType = last[1][offset]!;
    offset += 4 + last[1].readUIntBE(offset + 1, 3);
  }
  return last[0] === 22 && lastType === 14;
}

/** A registrar's TLS-DSK engine: one TLSSocket over a stream that never touches a network. */
class TestRegistrarTls {
  private output = Buffer.alloc(0);
  private onOutput: (() => void) | undefined;
  readonly socket: TLSSocket;
  masterSecret: Buffer | undefined;
  clientRandom: Buffer | undefined;
  serverRandom: Buffer | undefined;
  error: Error | undefined;
  secure = false;

  constructor(options: { trustCa: CertificateAuthority; minVersion: 'TLSv1' | 'TLSv1.2'; maxVersion: 'TLSv1' | 'TLSv1.2' }) {
    const stream = new Duplex({
      read() {},
      write: (chunk: Buffer, _encoding, callback) => {
        this.output = Buffer.concat([this.output, chunk]);
        this.onOutput?.();
        callback();
      },
    });
    this.stream = stream;
    this.socket = new TLSSocket(stream, {
      isServer: true,
      requestCert: true,
      rejectUnauthorized: true,
      secureContext: createSecureContext({
        cert: pki.server.pem,
        key: pki.serverKey.export({ type: 'pkcs8', format: 'pem' }),
        ca: [options.trustCa.certificate.pem],
        minVersion: options.minVersion,
        maxVersion: options.maxVersion,
        ciphers: 'AES128-SHA:AES256-SHA:AES256-SHA256:@SECLEVEL=0',
        secureOptions: constants.SSL_OP_NO_TICKET,
      }),
    });
    this.socket.on('keylog', (line: Buffer) => {
      const [label, clientRandom, master] = line.toString().trim().split(' ');
      if (label === 'CLIENT_RANDOM') {
        this.clientRandom = Buffer.from(clientRandom!, 'hex');
        this.masterSecret = Buffer.from(master!, 'hex');
      }
    });
    this.socket.on('secure', () => (this.secure = true));
    this.socket.on('error', (error) => (this.error = error));
  }
  private readonly stream: Duplex;

  /** Deliver a client token; resolve with the registrar's answering flight. */
  answer(gssapiData: string): Promise<string> {
    this.stream.push(Buffer.from(gssapiData, 'base64'));
    return new Promise((resolve) => {
      const check = (): void => {
        if (!serverFlightDone(this.output)) return;
        const flight = this.output;
        this.output = Buffer.alloc(0);
        this.onOutput = undefined;
        // ServerHello: record header 5, handshake header 4, version 2, then the 32-byte random.
        if (flight[5] === 2) this.serverRandom = Buffer.from(flight.subarray(11, 43));
        resolve(flight.toString('base64'));
      };
      this.onOutput = check;
      check();
    });
  }

  serverKeys(): Buffer {
    return (this.socket.exportKeyingMaterial as unknown as (length: number, label: string) => Buffer).call(this.socket, 128, 'client EAP encryption');
  }
}

async function runHandshake(
  registrar: TestRegistrarTls,
  clientOptions: { trustedRootsPem?: string[]; targetname?: string; profile?: TlsDskProfile } = {},
): Promise<{ established: TlsDskEstablished; hello: Buffer; legs: number }> {
  const { client, gssapiData } = await TlsDskClient.start({
    certificatePem: pki.user.pem,
    privateKey: pki.userKey,
    targetname: clientOptions.targetname ?? TARGETNAME,
    ...(clientOptions.trustedRootsPem ? { trustedRootsPem: clientOptions.trustedRootsPem } : {}),
    ...(clientOptions.profile ? { profile: clientOptions.profile } : {}),
  });
  let token = gssapiData;
  for (let legs = 1; legs <= 4; legs++) {
    const step = await client.step(await registrar.answer(token));
    if (step.kind === 'established') return { established: step.established, hello: Buffer.from(gssapiData, 'base64'), legs };
    token = step.gssapiData;
  }
  throw new Error('handshake did not finish in 4 legs');
}

describe('TLS-DSK client handshake against an independent registrar engine', () => {
  it('completes the phone profile in two registrar tokens with agreeing keys', async () => {
    const registrar = new TestRegistrarTls({ trustCa: pki.ca, minVersion: 'TLSv1', maxVersion: 'TLSv1.2' });
    const { established, hello, legs } = await runHandshake(registrar);
    expect(legs).toBe(2);
    expect(established).toMatchObject({ protocol: 'TLSv1', cipherSuite: 'TLS_RSA_WITH_AES_128_CBC_SHA', mac: 'sha1' });

    // The ClientHello: TLS 1.0 record and version, empty session id, and no extension block.
    expect(hello.subarray(0, 3).toString('hex')).toBe('160301');
    expect(hello[5]).toBe(1);
    const suitesLength = hello.readUInt16BE(5 + 4 + 2 + 32 + 1);
    expect(hello.readUIntBE(6, 3)).toBe(2 + 32 + 1 + 2 + suitesLength + 2);

    const serverBlock = registrar.serverKeys();
    expect(established.keys.clientKey).toEqual(serverBlock.subarray(64, 96));
    expect(established.keys.serverKey).toEqual(serverBlock.subarray(96, 128));
    const fromPrf = tls10TlsDskKeys(registrar.masterSecret!, registrar.clientRandom!, registrar.serverRandom!);
    expect(fromPrf).toEqual(established.keys);

    // The registrar verifies a REGISTER signed with the client's key.
    const register = parseSipMessage(
      Buffer.from('REGISTER sip:lab.test SIP/2.0\r\nFrom: <sip:jeff@lab.test>;tag=1\r\nTo: <sip:jeff@lab.test>\r\nCall-ID: c\r\nCSeq: 4 REGISTER\r\nContent-Length: 0\r\n\r\n'),
    );
    const signed = signatureString(signatureFields(register, { realm: 'SIP Communications Service', targetname: TARGETNAME }, { rand: '0badcafe', num: 1 }));
    const response = computeSignature(established.keys.clientKey, established.mac, signed);
    expect(signatureMatches(serverBlock.subarray(64, 96), 'sha1', signed, response)).toBe(true);
    expect(registrar.secure).toBe(true);
    expect(registrar.socket.getPeerX509Certificate()?.subject).toBe('CN=jeff@lab.test');
  });

  it('checks the inner server certificate against the root chain and targetname when given', async () => {
    const registrar = new TestRegistrarTls({ trustCa: pki.ca, minVersion: 'TLSv1', maxVersion: 'TLSv1' });
    const { established } = await runHandshake(registrar, { trustedRootsPem: [pki.ca.certificate.pem] });
    expect(established.serverCertificate?.subject).toBe(`CN=${TARGETNAME}`);

    const wrongName = new TestRegistrarTls({ trustCa: pki.ca, minVersion: 'TLSv1', maxVersion: 'TLSv1' });
    const error = await runHandshake(wrongName, { trustedRootsPem: [pki.ca.certificate.pem], targetname: 'fe02.lab.test' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TlsDskError);
    expect(error).toMatchObject({ code: 'BT_TLS_DSK_HANDSHAKE', nodeCode: 'ERR_TLS_CERT_ALTNAME_INVALID' });

    const untrusted = new TestRegistrarTls({ trustCa: pki.ca, minVersion: 'TLSv1', maxVersion: 'TLSv1' });
    const untrustedError = await runHandshake(untrusted, { trustedRootsPem: [pki.otherCa.certificate.pem] }).catch((caught: unknown) => caught);
    // The registrar sends its chain with its own root, which the client does not trust.
    expect(untrustedError).toMatchObject({ code: 'BT_TLS_DSK_HANDSHAKE', nodeCode: 'SELF_SIGNED_CERT_IN_CHAIN' });
  });

  it('reports the alert a TLS-1.2-only registrar sends inside gssapi-data to the phone profile', async () => {
    const registrar = new TestRegistrarTls({ trustCa: pki.ca, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
    const error = await runHandshake(registrar).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TlsDskError);
    expect(error).toMatchObject({ code: 'BT_TLS_DSK_PEER_ALERT', alert: 70 }); // protocol_version
    expect(registrar.error).toBeDefined();
  });

  it('negotiates TLS 1.2 with the modern profile and signs with the suite hash', async () => {
    const registrar = new TestRegistrarTls({ trustCa: pki.ca, minVersion: 'TLSv1', maxVersion: 'TLSv1.2' });
    const { established } = await runHandshake(registrar, { profile: MODERN_TLS_DSK_PROFILE });
    expect(established.protocol).toBe('TLSv1.2');
    expect(established.cipherSuite).toBe('TLS_RSA_WITH_AES_256_CBC_SHA256');
    expect(established.mac).toBe('sha256');
    expect(established.keys.clientKey).toEqual(registrar.serverKeys().subarray(64, 96));
    // With TLS 1.2 the exporter is the suite's P_SHA256 PRF over the same label and randoms.
    const seed = Buffer.concat([registrar.clientRandom!, registrar.serverRandom!]);
    expect(tls12Prf('sha256', registrar.masterSecret!, 'client EAP encryption', seed, 128)).toEqual(registrar.serverKeys());
  });

  it('refuses a registrar token that is not base64 TLS records', async () => {
    const { client } = await TlsDskClient.start({ certificatePem: pki.user.pem, privateKey: pki.userKey, targetname: TARGETNAME });
    await expect(client.step('not base64!')).rejects.toBeInstanceOf(GssapiDataError);
    await expect(client.step(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x10, 0x02]).toString('base64'))).rejects.toThrow(/ends inside a TLS record/);
    client.close();
  });

  it('says when the cipher string cannot be set up locally', async () => {
    const error = await TlsDskClient.start({
      certificatePem: pki.user.pem,
      privateKey: pki.userKey,
      targetname: TARGETNAME,
      profile: { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'RC4-MD5' },
    }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'BT_TLS_DSK_LOCAL' });
  });
});
