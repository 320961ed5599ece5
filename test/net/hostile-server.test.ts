// Every way a server can break an HTTP answer ends as a typed TransportError with a stable code,
// never as an untyped undici error: raw sockets on 127.0.0.1 write exactly the broken bytes.

import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpTransport, type HttpExchange } from '../../src/net/transport.js';
import { parseResolveRule } from '../../src/net/resolve.js';
import { TransportError, type TransportErrorCode } from '../../src/net/errors.js';
import { createRootCa, issueServerCertificate, privateKeyPem } from '../../src/lab/ca.js';
import { startKeyGeneration } from '../../src/pki/keys.js';

const FQDN = 'hostile.transport.test';

/** What the server does once it has read the request head. */
type Behaviour = (socket: Socket) => void;

const HUGE_HEADER_ANSWER = `HTTP/1.1 200 OK\r\nX-Padding: ${'a'.repeat(100 * 1024)}\r\nContent-Length: 0\r\n\r\n`;

const BEHAVIOURS: Record<string, { behaviour: Behaviour; code: TransportErrorCode }> = {
  'a 100 KiB header': {
    behaviour: (socket) => socket.end(HUGE_HEADER_ANSWER),
    code: 'BT_RESPONSE_HEADERS_TOO_LARGE',
  },
  'an invalid chunk size': {
    behaviour: (socket) => socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n'),
    code: 'BT_PROTOCOL',
  },
  'a status line that is not HTTP': {
    behaviour: (socket) => socket.end('220 smtp.example ESMTP ready\r\n'),
    code: 'BT_PROTOCOL',
  },
  'a header line without a colon': {
    behaviour: (socket) => socket.end('HTTP/1.1 200 OK\r\nthis is not a header\r\nContent-Length: 0\r\n\r\n'),
    code: 'BT_PROTOCOL',
  },
  'a body shorter than its Content-Length': {
    behaviour: (socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nshort'),
    code: 'BT_CONNECTION_RESET',
  },
  'a connection closed before any answer': {
    behaviour: (socket) => socket.end(),
    code: 'BT_CONNECTION_RESET',
  },
  'a connection reset in the middle of the headers': {
    behaviour: (socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-');
      setImmediate(() => socket.resetAndDestroy());
    },
    code: 'BT_CONNECTION_RESET',
  },
  'headers that never finish': {
    behaviour: (socket) => socket.write('HTTP/1.1 200 OK\r\nX-Slow: '),
    code: 'BT_RESPONSE_TIMEOUT',
  },
  'a body that stops arriving': {
    behaviour: (socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst bytes'),
    // Slow is not silent: the headers came, so this is a slow answer, not no answer.
    code: 'BT_RESPONSE_SLOW',
  },
};

const servers = new Map<string, Server>();
const sockets = new Set<Socket>();

function hostileServer(behaviour: Behaviour): Promise<Server> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let head = '';
    let answered = false;
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1');
      if (!answered && head.includes('\r\n\r\n')) {
        answered = true;
        behaviour(socket);
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  for (const [what, { behaviour }] of Object.entries(BEHAVIOURS)) servers.set(what, await hostileServer(behaviour));
});
afterAll(() => {
  for (const socket of sockets) socket.destroy();
  for (const server of servers.values()) server.close();
});

/** One request that must fail; returns what was thrown and what the trace hook saw. */
async function failedRequest(url: string, trust?: string): Promise<{ thrown: unknown; exchanges: HttpExchange[] }> {
  const exchanges: HttpExchange[] = [];
  const transport = new HttpTransport({
    resolve: [parseResolveRule(`${FQDN}=127.0.0.1`)],
    connectTimeoutMs: 2000,
    maxResponseBytes: 64 * 1024,
    onExchange: (exchange) => exchanges.push(exchange),
  });
  if (trust) transport.trust([trust]);
  let thrown: unknown;
  try {
    await transport.request({ method: 'GET', url, label: 'x', deadline: performance.now() + 500 });
  } catch (error) {
    thrown = error;
  } finally {
    await transport.close();
  }
  return { thrown, exchanges };
}

describe('a hostile HTTP server', () => {
  it.each(Object.entries(BEHAVIOURS))('%s ends in a TransportError', async (what, { code }) => {
    const port = (servers.get(what)!.address() as AddressInfo).port;
    const { thrown, exchanges } = await failedRequest(`http://${FQDN}:${port}/CertProv/x.svc`);
    expect(thrown).toBeInstanceOf(TransportError);
    expect((thrown as TransportError).code).toBe(code);
    expect((thrown as TransportError).message).toContain(FQDN);
    expect((thrown as TransportError).message.length).toBeLessThan(300);
    expect(exchanges.map((exchange) => exchange.error?.code)).toEqual([code]);
  });

  it('sending a 100 KiB header over verified TLS ends in BT_RESPONSE_HEADERS_TOO_LARGE', async () => {
    const now = Date.now();
    const [caKey, serverKey] = await Promise.all([startKeyGeneration(), startKeyGeneration()]);
    const validity = { notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 86_400_000) };
    const ca = createRootCa({ key: caKey, subject: { commonName: 'Hostile Test Root' }, ...validity });
    const cert = issueServerCertificate(ca, { publicKey: serverKey.publicKey, dnsNames: [FQDN], ...validity }).pem;
    const server = createTlsServer({ key: privateKeyPem(serverKey.privateKey), cert }, (socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => socket.end(HUGE_HEADER_ANSWER));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const { thrown } = await failedRequest(`https://${FQDN}:${port}/WebTicket/WebTicketService.svc/mex`, ca.certificate.pem);
      expect(thrown).toBeInstanceOf(TransportError);
      expect((thrown as TransportError).code).toBe('BT_RESPONSE_HEADERS_TOO_LARGE');
    } finally {
      server.close();
    }
  });
});
