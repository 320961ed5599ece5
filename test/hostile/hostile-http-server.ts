// A hostile front end for the lab pool, for issue 9's proof: it sits between the real client and a
// real lab, passes every request through unchanged except at one chosen endpoint, where it answers
// with an attack instead. It listens on 127.0.0.1 only, on a plain-HTTP port (the root chain's port 80
// role) and a TLS port (the 443 role) whose certificate the lab CA signs, so a client that trusts the
// downloaded root chain talks to it exactly as to the pool. Every byte any client sends is recorded
// per connection, with whether it arrived inside a completed TLS handshake, so a test can prove the
// PIN never crossed the wire in clear.

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { TLSSocket, createSecureContext, type SecureContext } from 'node:tls';

/** The endpoints of a bootstrap run the hostile server can attack. */
export const ENDPOINTS = ['rootchain', 'webticket-mex', 'issuetoken', 'certprov-mex', 'resolveuser', 'getandpublishcert'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

export interface ReceivedRequest {
  method: string;
  path: string;
  host: string;
  soapAction: string;
  body: Buffer;
}

/** One TCP connection a client opened to the hostile server, and everything it sent. */
export interface RecordedConnection {
  listener: 'http' | 'https';
  /** Every byte as it arrived on the TCP socket (TLS records on the https listener). */
  raw: Buffer[];
  /** The TLS handshake completed: the client accepted the certificate chained to the served root. */
  tlsEstablished: boolean;
  /** What the client sent inside TLS (decrypted); empty on the http listener. */
  decrypted: Buffer[];
  requests: ReceivedRequest[];
}

/** What the attack may do with the raw socket; it owns the socket from then on. */
export interface AttackContext {
  socket: Socket | TLSSocket;
  request: ReceivedRequest;
  /** The lab's own answer to the same request, for attacks that alter rather than replace it. */
  forward: () => Promise<ForwardedAnswer>;
  /** Writes a complete answer with Content-Length and closes the connection. */
  answer: (status: number, headers: Record<string, string>, body: Buffer | string) => void;
  /** Ports of the hostile server, for attacks that point the client back at it. */
  ports: { http: number; https: number };
  /** Body bytes a streaming attack has written so far (to show where the client cut it). */
  streamed: { bytes: number };
}

export type Attack = (context: AttackContext) => void | Promise<void>;

export interface ForwardedAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface HostileServerOptions {
  /** The lab behind: where unattacked requests go, and the name its certificate carries. */
  lab: { fqdn: string; httpPort: number; httpsPort: number; caPem: string };
  /** Certificate and key (PEM) the TLS port presents; issued by the lab CA for the lab FQDN. */
  tls: { cert: string; key: string };
  /** The endpoint to attack and how; without it every request passes through. */
  attack?: { endpoint: Endpoint; run: Attack };
}

export interface HostileServer {
  ports: { http: number; https: number };
  connections: RecordedConnection[];
  /** How many requests reached the attacked endpoint. */
  attacked(): number;
  /** Body bytes the streaming attacks wrote. */
  streamedBytes(): number;
  close(): Promise<void>;
}

/** Which endpoint a request is for, from the listener, method, path and SOAPAction. */
export function endpointOf(listener: 'http' | 'https', request: ReceivedRequest): Endpoint | undefined {
  const path = request.path.toLowerCase();
  if (listener === 'http') return path.startsWith('/certprov/') ? 'rootchain' : undefined;
  // Every way the client asks for metadata (GET /mex, GET ?wsdl, the GetMetadata POST to /mex), so an
  // attack on a service's metadata cannot be sidestepped by the next way of asking.
  const metadataOf = (service: string): boolean => path.endsWith(`${service}/mex`) || path.endsWith(`${service}?wsdl`);
  if (metadataOf('/webticket/webticketservice.svc')) return 'webticket-mex';
  if (metadataOf('/certprov/certprovisioningservice.svc')) return 'certprov-mex';
  if (request.method === 'POST' && path.startsWith('/webticket/')) return 'issuetoken';
  if (request.method === 'POST' && /resolveuser/i.test(request.soapAction)) return 'resolveuser';
  if (request.method === 'POST' && /getandpublishcert/i.test(request.soapAction)) return 'getandpublishcert';
  return undefined;
}

/** A duplex in front of a raw socket that keeps every byte it reads, so TLS can run on top of it. */
class RecordingTap extends Duplex {
  constructor(
    private readonly socket: Socket,
    record: (chunk: Buffer) => void,
  ) {
    super();
    socket.on('data', (chunk: Buffer) => {
      record(chunk);
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('close', () => this.destroy());
    socket.on('error', () => this.destroy());
  }
  override _read(): void {
    this.socket.resume();
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.socket.destroyed) callback();
    else this.socket.write(chunk, () => callback());
  }
  override _final(callback: () => void): void {
    this.socket.end(callback);
  }
  override _destroy(error: Error | null, callback: (error: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }
}

const HEAD_LIMIT = 64 * 1024;

/** Reads one request (head and Content-Length body) at a time from a stream of bytes. */
function readRequests(stream: Duplex, onRequest: (request: ReceivedRequest) => void): void {
  let pending = Buffer.alloc(0);
  stream.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      const headEnd = pending.indexOf('\r\n\r\n');
      if (headEnd === -1) {
        if (pending.length > HEAD_LIMIT) stream.destroy();
        return;
      }
      const lines = pending.subarray(0, headEnd).toString('latin1').split('\r\n');
      const [method = '', path = ''] = (lines[0] ?? '').split(' ');
      const headers = new Map<string, string>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      const length = Number(headers.get('content-length') ?? '0');
      if (pending.length < headEnd + 4 + length) return;
      const body = pending.subarray(headEnd + 4, headEnd + 4 + length);
      pending = pending.subarray(headEnd + 4 + length);
      onRequest({ method, path, host: headers.get('host') ?? '', soapAction: headers.get('soapaction') ?? '', body: Buffer.from(body) });
    }
  });
}

function serialise(status: number, headers: Record<string, string>, body: Buffer): Buffer {
  const lines = [`HTTP/1.1 ${status} ${status === 200 ? 'OK' : 'Status'}`];
  for (const [name, value] of Object.entries(headers)) {
    if (['content-length', 'transfer-encoding', 'connection', 'keep-alive'].includes(name.toLowerCase())) continue;
    lines.push(`${name}: ${value}`);
  }
  lines.push(`Content-Length: ${body.length}`, 'Connection: close', '', '');
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), body]);
}

/** The lab's answer to a request, over the matching protocol, trusting only the lab CA. */
function forwardToLab(options: HostileServerOptions['lab'], listener: 'http' | 'https', request: ReceivedRequest): Promise<ForwardedAnswer> {
  const send = listener === 'https' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = send(
      {
        host: '127.0.0.1',
        port: listener === 'https' ? options.httpsPort : options.httpPort,
        method: request.method,
        path: request.path,
        headers: {
          host: request.host,
          ...(request.soapAction ? { soapaction: request.soapAction } : {}),
          'content-type': 'text/xml; charset=utf-8',
          'content-length': String(request.body.length),
        },
        ...(listener === 'https' ? { ca: options.caPem, servername: options.fqdn } : {}),
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          resolve({ status: response.statusCode ?? 502, headers, body: Buffer.concat(chunks) });
        });
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

export async function startHostileServer(options: HostileServerOptions): Promise<HostileServer> {
  const connections: RecordedConnection[] = [];
  const sockets = new Set<Socket>();
  const { attack } = options;
  let attackedCount = 0;
  const streamed = { bytes: 0 };
  const secureContext: SecureContext = createSecureContext({ cert: options.tls.cert, key: options.tls.key });
  const ports = { http: 0, https: 0 };

  const serve = (listener: 'http' | 'https', connection: RecordedConnection, stream: Socket | TLSSocket): void => {
    readRequests(stream, (request) => {
      connection.requests.push(request);
      const answer = (status: number, headers: Record<string, string>, body: Buffer | string): void => {
        if (!stream.destroyed) stream.end(serialise(status, headers, typeof body === 'string' ? Buffer.from(body) : body));
      };
      const forward = (): Promise<ForwardedAnswer> => forwardToLab(options.lab, listener, request);
      const endpoint = endpointOf(listener, request);
      if (attack && endpoint === attack.endpoint) {
        attackedCount += 1;
        void Promise.resolve(attack.run({ socket: stream, request, forward, answer, ports, streamed })).catch(() => stream.destroy());
        return;
      }
      forward().then(
        (forwarded) => answer(forwarded.status, forwarded.headers, forwarded.body),
        () => stream.destroy(),
      );
    });
  };

  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };

  const httpServer = createServer((socket) => {
    track(socket);
    const connection: RecordedConnection = { listener: 'http', raw: [], tlsEstablished: false, decrypted: [], requests: [] };
    connections.push(connection);
    socket.on('data', (chunk: Buffer) => connection.raw.push(chunk));
    serve('http', connection, socket);
  });

  const httpsServer = createServer((socket) => {
    track(socket);
    const connection: RecordedConnection = { listener: 'https', raw: [], tlsEstablished: false, decrypted: [], requests: [] };
    connections.push(connection);
    const tap = new RecordingTap(socket, (chunk) => connection.raw.push(chunk));
    const tls = new TLSSocket(tap as unknown as Socket, { isServer: true, secureContext });
    tls.on('error', () => socket.destroy());
    tls.on('secure', () => {
      connection.tlsEstablished = true;
    });
    tls.on('data', (chunk: Buffer) => connection.decrypted.push(chunk));
    serve('https', connection, tls);
  });

  ports.http = await listen(httpServer);
  ports.https = await listen(httpsServer);

  return {
    ports,
    connections,
    attacked: () => attackedCount,
    streamedBytes: () => streamed.bytes,
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all([httpServer, httpsServer].map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}
