// The transport against small loopback servers: connection reuse, --resolve with TLS name checks,
// and every failure kind the diagnosis engine matches on.

import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRootCa, issueServerCertificate, privateKeyPem, type CertificateAuthority } from '../../src/lab/ca.js';
import { startKeyGeneration } from '../../src/pki/keys.js';
import { HttpTransport } from '../../src/net/transport.js';
import { httpStatusFailure } from '../../src/stages/exchange.js';
import { observationOf } from '../../src/diagnosis/transport.js';
import { parseResolveRule, resolveTarget, ResolveRuleError } from '../../src/net/resolve.js';
import { tlsAlertNumber, TransportError } from '../../src/net/errors.js';

const FQDN = 'pool01.transport.test';

/** A request deadline this many ms from now, on the transport's clock. */
const within = (ms: number): number => performance.now() + ms;
const DAY = 86_400_000;

interface Pki {
  ca: CertificateAuthority;
  otherCa: CertificateAuthority;
  goodCert: { pem: string; key: string };
  wrongNameCert: { pem: string; key: string };
  expiredCert: { pem: string; key: string };
}

async function makePki(): Promise<Pki> {
  const now = Date.now();
  const [caKey, otherKey, serverKey] = await Promise.all([startKeyGeneration(), startKeyGeneration(), startKeyGeneration()]);
  const validity = { notBefore: new Date(now - DAY), notAfter: new Date(now + 30 * DAY) };
  const ca = createRootCa({ key: caKey, subject: { commonName: 'Transport Test Root' }, ...validity });
  const otherCa = createRootCa({ key: otherKey, subject: { commonName: 'Unrelated Root' }, ...validity });
  const key = privateKeyPem(serverKey.privateKey);
  const issue = (names: string[], notBefore: Date, notAfter: Date) =>
    issueServerCertificate(ca, { publicKey: serverKey.publicKey, dnsNames: names, notBefore, notAfter }).pem;
  return {
    ca,
    otherCa,
    goodCert: { pem: issue([FQDN], validity.notBefore, validity.notAfter), key },
    wrongNameCert: { pem: issue(['other.transport.test'], validity.notBefore, validity.notAfter), key },
    expiredCert: { pem: issue([FQDN], new Date(now - 10 * DAY), new Date(now - DAY)), key },
  };
}

const openSockets = new Set<import('node:net').Socket>();

function listen(server: HttpServer | TcpServer): Promise<number> {
  server.on('connection', (socket: import('node:net').Socket) => {
    openSockets.add(socket);
    socket.on('close', () => openSockets.delete(socket));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

async function failureOf(promise: Promise<unknown>): Promise<TransportError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TransportError) return error;
    throw error;
  }
  throw new Error('expected the request to fail');
}

function transport(rules: string[], extra: Partial<ConstructorParameters<typeof HttpTransport>[0]> = {}): HttpTransport {
  return new HttpTransport({ resolve: rules.map(parseResolveRule), connectTimeoutMs: 2000, maxResponseBytes: 64 * 1024, ...extra });
}

let pki: Pki;
const servers: Array<HttpServer | TcpServer> = [];
let httpPort: number;
let httpsPort: number;
let wrongNamePort: number;
let expiredPort: number;
let silentPort: number;
let closedPort: number;
let resetPort: number;

beforeAll(async () => {
  pki = await makePki();
  const app = (request: import('node:http').IncomingMessage, response: import('node:http').ServerResponse) => {
    if (request.url === '/big') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('x'.repeat(200 * 1024));
      return;
    }
    if (request.url === '/hang') return; // accepts the request, never answers
    if (request.url === '/error') {
      response.writeHead(403, { 'x-ms-diagnostics': '28000;source="pool01";reason="User is not SIP enabled."', 'x-ms-server-fqdn': 'fe01.transport.test' });
      response.end();
      return;
    }
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end(`${request.method} ${request.url} ${body.length}`);
    });
  };
  const plain = createHttpServer(app);
  const secure = createHttpsServer({ cert: pki.goodCert.pem, key: pki.goodCert.key }, app);
  const wrongName = createHttpsServer({ cert: pki.wrongNameCert.pem, key: pki.wrongNameCert.key }, app);
  const expired = createHttpsServer({ cert: pki.expiredCert.pem, key: pki.expiredCert.key }, app);
  // Accepts TCP and never speaks: a TLS handshake that never completes.
  const silent = createTcpServer(() => undefined);
  // Accepts TCP and drops it at once: the peer closing during the handshake.
  const resetter = createTcpServer((socket) => socket.destroy());
  servers.push(plain, secure, wrongName, expired, silent, resetter);
  [httpPort, httpsPort, wrongNamePort, expiredPort, silentPort, resetPort] = await Promise.all([
    listen(plain),
    listen(secure),
    listen(wrongName),
    listen(expired),
    listen(silent),
    listen(resetter),
  ]);
  const closed = createTcpServer();
  closedPort = await listen(closed);
  await new Promise((resolve) => closed.close(resolve));
}, 60_000);

afterAll(async () => {
  for (const socket of openSockets) socket.destroy();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

describe('TLS alerts', () => {
  it('reads the alert number from the error code, or from OpenSSL\'s message when the code names none', () => {
    expect(tlsAlertNumber('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'tlsv1 alert protocol version')).toBe(70);
    expect(tlsAlertNumber('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'sslv3 alert handshake failure')).toBe(40);
    expect(tlsAlertNumber('ERR_SSL_SOMETHING', 'error:0A000410:SSL routines::ssl/tls alert number 48')).toBe(48);
    expect(tlsAlertNumber('ECONNRESET', 'socket hang up')).toBeUndefined();
  });
});

describe('--resolve rules', () => {
  it('parses host=addr and host:port=addr:port, and a port rule wins over a host rule', () => {
    const rules = [parseResolveRule('Pool.Example.com=127.0.0.1'), parseResolveRule('pool.example.com:80=127.0.0.2:8080')];
    expect(resolveTarget(rules, 'pool.example.com', 80)).toMatchObject({ address: '127.0.0.2', port: 8080 });
    expect(resolveTarget(rules, 'POOL.example.com', 443)).toMatchObject({ address: '127.0.0.1', port: 443 });
    expect(resolveTarget(rules, 'other.example.com', 443)).toEqual({ port: 443 });
    expect(parseResolveRule('h.test=[::1]:8443')).toMatchObject({ address: '::1', targetPort: 8443 });
  });

  it('names the bad part of a rule', () => {
    expect(() => parseResolveRule('pool.example.com')).toThrow(ResolveRuleError);
    expect(() => parseResolveRule('pool.example.com=not-an-ip')).toThrow(/"not-an-ip" is not an IP address/);
    expect(() => parseResolveRule('pool.example.com:99999=127.0.0.1')).toThrow(/port "99999"/);
  });
});

describe('HttpTransport', () => {
  it('reuses one connection per origin and sends a fictitious name to the --resolve address', async () => {
    const t = transport([`${FQDN}:80=127.0.0.1:${httpPort}`]);
    try {
      const first = await t.request({ method: 'GET', url: `http://${FQDN}/a`, label: 'a', deadline: within(2000) });
      const second = await t.request({ method: 'POST', url: `http://${FQDN}/b`, label: 'b', deadline: within(2000), body: 'hello' });
      expect(first.text).toBe('GET /a 0');
      expect(second.text).toBe('POST /b 5');
      expect(t.connectionsOpened).toBe(1);
      expect(t.connections[0]).toMatchObject({ host: FQDN, address: '127.0.0.1', port: httpPort });
    } finally {
      await t.close();
    }
  });

  it('verifies HTTPS against exactly the trusted anchors and the original host name', async () => {
    const seen: string[] = [];
    const t = transport([`${FQDN}=127.0.0.1`], { onConnection: (info) => seen.push(info.peerCertificate?.subject ?? '') });
    t.trust([pki.ca.certificate.pem]);
    try {
      for (let index = 0; index < 3; index += 1) {
        const response = await t.request({ method: 'GET', url: `https://${FQDN}:${httpsPort}/x${index}`, label: 'x', deadline: within(2000) });
        expect(response.status).toBe(200);
      }
      expect(t.connectionsOpened).toBe(1);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toContain(FQDN);
    } finally {
      await t.close();
    }
  });

  it('reports a certificate from another CA as tls:verify:untrusted', async () => {
    const t = transport([`${FQDN}=127.0.0.1`]);
    t.trust([pki.otherCa.certificate.pem]);
    const error = await failureOf(t.request({ method: 'GET', url: `https://${FQDN}:${httpsPort}/`, label: 'x', deadline: within(2000) }));
    await t.close();
    expect(observationOf(error)).toBe('tls:verify:untrusted');
  });

  it('reports a certificate for another name as tls:verify:name', async () => {
    const t = transport([`${FQDN}=127.0.0.1`]);
    t.trust([pki.ca.certificate.pem]);
    const error = await failureOf(t.request({ method: 'GET', url: `https://${FQDN}:${wrongNamePort}/`, label: 'x', deadline: within(2000) }));
    await t.close();
    expect(observationOf(error)).toBe('tls:verify:name');
  });

  it('reports an expired certificate as tls:verify:expired', async () => {
    const t = transport([`${FQDN}=127.0.0.1`]);
    t.trust([pki.ca.certificate.pem]);
    const error = await failureOf(t.request({ method: 'GET', url: `https://${FQDN}:${expiredPort}/`, label: 'x', deadline: within(2000) }));
    await t.close();
    expect(observationOf(error)).toBe('tls:verify:expired');
  });

  it('reports a closed port as tcp:refused', async () => {
    const t = transport([`${FQDN}=127.0.0.1`]);
    const error = await failureOf(t.request({ method: 'GET', url: `http://${FQDN}:${closedPort}/`, label: 'x', deadline: within(2000) }));
    await t.close();
    expect(observationOf(error)).toBe('tcp:refused');
    expect(error.message).toContain(`${FQDN}:${closedPort}`);
  });

  it('reports a peer that drops the TLS handshake as tls:closed', async () => {
    const t = transport([`${FQDN}=127.0.0.1`]);
    t.trust([pki.ca.certificate.pem]);
    const error = await failureOf(t.request({ method: 'GET', url: `https://${FQDN}:${resetPort}/`, label: 'x', deadline: within(2000) }));
    await t.close();
    expect(observationOf(error)).toBe('tls:closed');
  });

  it('ends a handshake that never completes at the connect limit', async () => {
    const t = transport([`${FQDN}=127.0.0.1`], { connectTimeoutMs: 300 });
    t.trust([pki.ca.certificate.pem]);
    const error = await failureOf(t.request({ method: 'GET', url: `https://${FQDN}:${silentPort}/`, label: 'x', deadline: within(5000) }));
    await t.close();
    expect(observationOf(error)).toBe('tls:closed');
    expect(error.evidence.afterMs).toBe(300);
  });

  it('reports a request that gets no answer on an open connection as timeout', async () => {
    const t = transport([`${FQDN}=127.0.0.1`]);
    const error = await failureOf(t.request({ method: 'GET', url: `http://${FQDN}:${httpPort}/hang`, label: 'x', deadline: within(300) }));
    await t.close();
    expect(observationOf(error)).toBe('timeout');
  });

  it('honours the stage signal as well as its own limit', async () => {
    const t = transport([`${FQDN}=127.0.0.1`]);
    const stage = new AbortController();
    setTimeout(() => stage.abort(new Error('stage deadline')), 200);
    const error = await failureOf(
      t.request({ method: 'GET', url: `http://${FQDN}:${httpPort}/hang`, label: 'x', deadline: within(10_000), signal: stage.signal }),
    );
    await t.close();
    expect(observationOf(error)).toBe('timeout');
    expect(Number(error.evidence.afterMs)).toBeLessThan(10_000);
  });

  it('cuts off a body larger than the cap', async () => {
    const t = transport([`${FQDN}=127.0.0.1`]);
    const error = await failureOf(t.request({ method: 'GET', url: `http://${FQDN}:${httpPort}/big`, label: 'x', deadline: within(2000) }));
    await t.close();
    expect(observationOf(error)).toBe('content:oversized');
  });

  it('keeps X-Ms-diagnostics and X-MS-Server-Fqdn of an HTTP error as evidence', async () => {
    const t = transport([`${FQDN}=127.0.0.1`]);
    const response = await t.request({ method: 'GET', url: `http://${FQDN}:${httpPort}/error`, label: 'x', deadline: within(2000) });
    await t.close();
    const failure = httpStatusFailure(response);
    expect(failure.observation).toBe('http:403');
    expect(failure.server['X-Ms-diagnostics']).toContain('28000');
    expect(failure.server['X-MS-Server-Fqdn']).toBe('fe01.transport.test');
  });

  it('refuses to send a secret-carrying request to a plain-HTTP URL, before any connection', async () => {
    let served = 0;
    const counted = createHttpServer((request, response) => {
      served += 1;
      request.resume();
      response.end('ok');
    });
    servers.push(counted);
    const port = await listen(counted);
    const t = transport([`${FQDN}=127.0.0.1`]);
    try {
      const secret = { method: 'POST', url: `http://${FQDN}:${port}/pin`, label: 'IssueToken', body: 'PIN 4711', deadline: within(2000) } as const;
      const error = await failureOf(t.request({ ...secret, carriesSecret: true }));
      expect(error.code).toBe('BT_SECRET_NOT_HTTPS');
      expect(observationOf(error)).toBe('content:secret-not-https');
      expect(error.message).not.toContain('4711');
      expect(t.connectionsOpened).toBe(0);
      expect(served).toBe(0);
      // The same request without the mark goes through, so the refusal is the guard, not the server.
      expect((await t.request(secret)).status).toBe(200);
      expect(served).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('verifies the certificate of a secret-carrying https request, also when no anchors were set', async () => {
    const withoutAnchors = transport([`${FQDN}=127.0.0.1`]);
    const untrusted = await failureOf(
      withoutAnchors.request({ method: 'POST', url: `https://${FQDN}:${httpsPort}/pin`, label: 'IssueToken', body: 'x', deadline: within(2000), carriesSecret: true }),
    );
    await withoutAnchors.close();
    expect(observationOf(untrusted)).toBe('tls:verify:untrusted');

    const trusting = transport([`${FQDN}=127.0.0.1`]);
    trusting.trust([pki.ca.certificate.pem]);
    try {
      const response = await trusting.request({ method: 'POST', url: `https://${FQDN}:${httpsPort}/pin`, label: 'IssueToken', body: 'x', deadline: within(2000), carriesSecret: true });
      expect(response.text).toBe('POST /pin 1');
    } finally {
      await trusting.close();
    }
  });

  it('hands every exchange, failed ones included, to the trace hook', async () => {
    const exchanges: Array<{ label: string; status?: number; error?: string }> = [];
    const t = transport([`${FQDN}=127.0.0.1`], {
      onExchange: (exchange) => exchanges.push({ label: exchange.label, status: exchange.response?.status, error: exchange.error?.code }),
    });
    await t.request({ method: 'GET', url: `http://${FQDN}:${httpPort}/ok`, label: 'ok', deadline: within(2000) });
    await failureOf(t.request({ method: 'GET', url: `http://${FQDN}:${closedPort}/`, label: 'refused', deadline: within(2000) }));
    await t.close();
    expect(exchanges).toEqual([
      { label: 'ok', status: 200, error: undefined },
      { label: 'refused', status: undefined, error: 'BT_CONNECT_REFUSED' },
    ]);
  });
});
