// The lab's HTTP and HTTPS listeners: body caps, one log line per request, per-request faults from
// the X-Lab-Fault header, delayed and never-answered responses, and a stop() that leaves nothing open.
// Routing and SOAP live elsewhere; this file only moves bytes and keeps the sockets accountable.

import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import { FaultSet, FaultSpecError, faultDefinition, parseFaultSpecs, type LabEndpoint } from './faults.js';
import { quoteText } from '../text.js';

export type ListenerRole = 'http' | 'https';

export interface LabRequest {
  role: ListenerRole;
  method: string;
  /** Path without the query string, as sent. */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: IncomingMessage['headers'];
  body: string;
  faults: FaultSet;
}

interface ReplyCommon {
  /** Operation or document served, for the log (e.g. 'IssueToken', 'mex'). */
  action?: string;
  /** Short outcome for the log: never a PIN, entropy, key or assertion. */
  result: string;
  /** Which endpoint answered, so that endpoint-scoped faults (blackhole, malformed-xml, slow) apply. */
  endpoint?: LabEndpoint;
}

export type LabResponse =
  | (ReplyCommon & { kind: 'reply'; status: number; headers?: Record<string, string>; body: string | Buffer })
  /** A body of `bytes` bytes written in chunks (oversized-response). */
  | (ReplyCommon & { kind: 'stream'; status: number; headers?: Record<string, string>; head: string; bytes: number });

export type LabHandler = (request: LabRequest) => Promise<LabResponse>;

/** Decides, before the handler runs, whether this endpoint never answers. */
export type EndpointOf = (request: Pick<LabRequest, 'role' | 'method' | 'path' | 'headers' | 'body'>) => Promise<LabEndpoint | undefined>;

export interface RequestLogEntry {
  role: ListenerRole;
  method: string;
  path: string;
  action?: string;
  status: number | 'blackholed' | 'aborted';
  result: string;
  ms: number;
}

export interface ListenerOptions {
  role: ListenerRole;
  host: string;
  port: number;
  handler: LabHandler;
  endpointOf: EndpointOf;
  /** The lab-wide fault set at the time of the request. */
  currentFaults: () => FaultSet;
  maxRequestBytes: number;
  onRequest: (entry: RequestLogEntry) => void;
  tls?: SecureContextOptions;
  /** Aborted by stop(): ends every delay and stream. */
  signal: AbortSignal;
}

export const LAB_FAULT_HEADER = 'x-lab-fault';

/** What an HTTP-only server sends back for a TLS ClientHello. */
const PLAIN_HTTP_REFUSAL = 'HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';

/** How much of the body `trickle` sends before it stalls. */
const TRICKLE_BYTES = 64;

/** One listening server with the sockets it owns. */
export class LabListener {
  readonly server: Server | HttpsServer;
  private readonly sockets = new Set<Socket>();
  private listening = false;
  private boundPort: number;

  constructor(private readonly options: ListenerOptions) {
    this.boundPort = options.port;
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      // serve() answers its own errors; anything that still escapes ends this exchange, not the lab.
      this.serve(req, res).catch(() => res.destroy());
    };
    this.server =
      options.role === 'https' && options.tls
        ? createHttpsServer({ ...options.tls }, onRequest)
        : createHttpServer(onRequest);
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
    this.server.keepAliveTimeout = 5_000;
    const track = (socket: Socket): void => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    };
    if (options.role === 'https') {
      this.server.on('secureConnection', track);
      // https-port-plain-http: the port answers like an HTTP server that got a ClientHello.
      this.server.prependListener('connection', (socket: Socket) => {
        if (options.currentFaults().has('https-port-plain-http')) socket.end(PLAIN_HTTP_REFUSAL);
      });
    }
    this.server.on('connection', track);
    // A client that hangs up in the TLS handshake (e.g. it rejected our certificate) is normal here.
    this.server.on('tlsClientError', () => undefined);
    this.server.on('clientError', (_error, socket) => socket.destroy());
  }

  get port(): number {
    return this.boundPort;
  }

  get isListening(): boolean {
    return this.listening;
  }

  async listen(): Promise<number> {
    if (this.listening) return this.boundPort;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.server.once('error', onError);
      this.server.listen({ host: this.options.host, port: this.boundPort, exclusive: true }, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    const address = this.server.address();
    if (address && typeof address === 'object') this.boundPort = address.port;
    this.listening = true;
    return this.boundPort;
  }

  /** Stops accepting and drops every open connection, blackholed ones included. */
  async close(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  setSecureContext(tls: SecureContextOptions): void {
    if ('setSecureContext' in this.server) this.server.setSecureContext(tls);
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://lab.invalid');
    const base = { role: this.options.role, method: req.method ?? 'GET', path: url.pathname };
    const log = (status: RequestLogEntry['status'], result: string, action?: string): void => {
      this.options.onRequest({ ...base, ...(action ? { action } : {}), status, result, ms: performance.now() - started });
    };
    res.on('error', () => undefined);

    let faults = this.options.currentFaults();
    const requested = req.headers[LAB_FAULT_HEADER];
    if (requested !== undefined) {
      try {
        const asked = parseFaultSpecs(Array.isArray(requested) ? requested : [requested]);
        const fixed = asked.find((fault) => faultDefinition(fault.name)?.perRequest !== true);
        if (fixed) throw new FaultSpecError(`${fixed.name} applies to the whole lab (--fault or setFaults), not to one request`);
        faults = faults.with(asked);
      } catch (error) {
        if (!(error instanceof FaultSpecError)) throw error;
        this.plain(res, 400, `${LAB_FAULT_HEADER}: ${error.message}\n`);
        log(400, 'bad X-Lab-Fault header');
        return;
      }
    }

    const body = await this.readBody(req, res);
    if (body === undefined) {
      log(413, `request body over ${this.options.maxRequestBytes} bytes`);
      return;
    }
    let response: LabResponse;
    try {
      const endpoint = await this.options.endpointOf({ ...base, headers: req.headers, body });
      if (endpoint !== undefined && faults.has('blackhole', endpoint)) {
        // Accepted, read, never answered: the socket stays open until the client gives up or stop().
        log('blackholed', `blackhole:${endpoint}`);
        return;
      }
      response = await this.options.handler({ ...base, query: url.searchParams, headers: req.headers, body, faults });
    } catch (error) {
      this.plain(res, 500, 'internal error in the lab pool\n');
      log(500, `handler error: ${quoteText((error as Error).message.split('\n')[0] ?? '')}`);
      return;
    }

    if (!(await faults.slowDown(this.options.signal))) {
      res.destroy();
      log('aborted', 'lab stopped during slow:');
      return;
    }
    if (res.destroyed || req.socket.destroyed) {
      log('aborted', `client went away (${response.result})`, response.action);
      return;
    }
    if (response.kind === 'reply' && response.endpoint !== undefined && faults.has('trickle', response.endpoint)) {
      // Headers and the first bytes now, the rest never: the socket stays open until the client gives up or stop().
      res.writeHead(response.status, { 'content-length': Buffer.byteLength(response.body), ...response.headers });
      res.write(Buffer.from(response.body).subarray(0, TRICKLE_BYTES));
      log('blackholed', `trickle:${response.endpoint} (${TRICKLE_BYTES} bytes of body, then nothing)`, response.action);
      return;
    }
    if (response.kind === 'stream') {
      await this.stream(res, response);
    } else {
      const malformed = response.endpoint !== undefined && faults.has('malformed-xml', response.endpoint);
      const payload = malformed ? truncateXml(response.body) : response.body;
      if (malformed) response.result += ' (cut short: malformed-xml)';
      const chunked = response.headers?.['transfer-encoding'] === 'chunked';
      res.writeHead(response.status, chunked ? response.headers : { 'content-length': Buffer.byteLength(payload), ...response.headers });
      if (chunked) {
        // Two chunks at least, so that a reader that only handles one would be caught.
        const half = Math.floor(Buffer.byteLength(payload) / 2);
        const bytes = Buffer.from(payload);
        res.write(bytes.subarray(0, half));
        res.end(bytes.subarray(half));
      } else res.end(payload);
    }
    log(response.status, response.result, response.action);
  }

  /** Reads the body up to the cap. Undefined when over the cap; a 413 has then been sent. */
  private async readBody(req: IncomingMessage, res: ServerResponse): Promise<string | undefined> {
    const cap = this.options.maxRequestBytes;
    const declared = Number(req.headers['content-length'] ?? '0');
    if (Number.isFinite(declared) && declared > cap) {
      this.tooLarge(req, res);
      return undefined;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > cap) {
          this.tooLarge(req, res);
          return undefined;
        }
        chunks.push(chunk);
      }
    } catch {
      return '';
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private tooLarge(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('connection', 'close');
    this.plain(res, 413, `request body over the lab's ${this.options.maxRequestBytes}-byte limit\n`);
    // Stop reading: the connection closes after the answer.
    req.unpipe();
    const socket = req.socket;
    res.once('finish', () => socket.destroySoon());
  }

  private plain(res: ServerResponse, status: number, text: string): void {
    if (res.headersSent) return;
    const quoted = quoteText(text);
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(quoted) });
    res.end(quoted);
  }

  private async stream(res: ServerResponse, response: Extract<LabResponse, { kind: 'stream' }>): Promise<void> {
    res.writeHead(response.status, { 'content-length': response.bytes, ...response.headers });
    const head = Buffer.from(response.head, 'utf8').subarray(0, response.bytes);
    const filler = Buffer.alloc(64 * 1024, 0x20);
    let remaining = response.bytes;
    const write = async (chunk: Buffer): Promise<boolean> => {
      if (res.destroyed || this.options.signal.aborted) return false;
      if (!res.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
      return !res.destroyed;
    };
    if (!(await write(head))) return;
    remaining -= head.length;
    while (remaining > 0) {
      const chunk = remaining >= filler.length ? filler : filler.subarray(0, remaining);
      if (!(await write(chunk))) return;
      remaining -= chunk.length;
    }
    res.end();
  }
}

/** Cuts a document inside its root element, so that it can never parse. */
export function truncateXml(body: string | Buffer): string {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const cut = Math.max(1, Math.floor(text.length * 0.6));
  const lastOpen = text.lastIndexOf('<', cut);
  return text.slice(0, lastOpen > 0 ? lastOpen + 2 : cut);
}
