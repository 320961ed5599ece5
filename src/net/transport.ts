// The HTTP transport of one run: one undici Client per origin (the http :80 role and the https :443
// role), keep-alive and no pipelining, so a whole bootstrap uses two connections. Every request has a
// deadline; every failure is a typed TransportError; every exchange can be handed to the trace writer.

import type { Client as UndiciClient } from 'undici';
import { Client, requestThrough, undiciErrors } from './undici-client.js';
import { createConnector, type ConnectionInfo } from './connector.js';
import {
  ConnectTimeoutError,
  ConnectionResetError,
  ProtocolError,
  ResponseHeadersTooLargeError,
  ResponseSlowError,
  ResponseTimeoutError,
  ResponseTooLargeError,
  SecretNotOverHttpsError,
  TransportError,
} from './errors.js';
import type { LookupFunction, Socket } from 'node:net';
import type { ResolveRule } from './resolve.js';

export interface TransportSettings {
  resolve: readonly ResolveRule[];
  /** Time allowed for TCP connect plus TLS handshake. */
  connectTimeoutMs: number;
  /** Larger bodies are cut off with ResponseTooLargeError. */
  maxResponseBytes: number;
  onConnection?: (info: ConnectionInfo) => void;
  /** Receives every exchange, successful or not (the --trace writer). */
  onExchange?: (exchange: HttpExchange) => void;
  /** Name lookup for hosts without a --resolve rule (default: the system's); tests inject one. */
  lookup?: LookupFunction;
}

export const DEFAULT_TRANSPORT_SETTINGS = {
  connectTimeoutMs: 5000,
  maxResponseBytes: 4 * 1024 * 1024,
} as const;

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** What this request is, for the trace and the log (e.g. 'GetRootCertChain'). */
  label: string;
  /**
   * When the request must be over, connect included, in performance.now() ms: the caller's (stage's)
   * deadline itself, so the request's limit is what is left of it, not a budget of its own.
   */
  deadline: number;
  /** The stage's signal; aborting it ends the request the same way as reaching the deadline. */
  signal?: AbortSignal;
  /**
   * The request carries the PIN, a ticket or a proof: it only ever goes to an https URL, whose
   * certificate the connector verifies (rejectUnauthorized is never turned off), else it is refused.
   */
  carriesSecret?: boolean;
}

export interface HttpResponse {
  url: string;
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
  text: string;
  ms: number;
  connectionId?: number;
}

export interface HttpExchange {
  sequence: number;
  label: string;
  startedAt: string;
  ms: number;
  request: { method: string; url: string; headers: Record<string, string>; body: string };
  response?: { status: number; headers: Record<string, string>; body: Buffer };
  error?: TransportError;
  connectionId?: number;
}

/** How far past a request's limit undici's coarse timers are set, so that they never fire first. */
const UNDICI_TIMER_SLACK_MS = 1000;

interface OriginState {
  client: Client;
  openSocket?: Socket;
  lastConnectionId?: number;
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

export class HttpTransport {
  readonly #settings: TransportSettings;
  readonly #origins = new Map<string, OriginState>();
  readonly #sessions = new Map<string, Buffer>();
  #trustAnchors: string[] | undefined;
  #sequence = 0;
  readonly connections: ConnectionInfo[] = [];

  constructor(settings: TransportSettings) {
    this.#settings = settings;
  }

  /** Connections opened so far (TCP for http, TCP+TLS for https). */
  get connectionsOpened(): number {
    return this.connections.length;
  }

  /**
   * Sets the certificates https connections are verified against. Only these are trusted, as on a
   * phone that has just downloaded its root chain. Must be called before the first https request.
   */
  trust(pemCertificates: string[]): void {
    const openedHttps = [...this.#origins.keys()].find((origin) => origin.startsWith('https:'));
    if (openedHttps) throw new Error(`trust anchors changed after ${openedHttps} was opened`);
    this.#trustAnchors = [...pemCertificates];
  }

  #origin(url: URL): OriginState {
    const existing = this.#origins.get(url.origin);
    if (existing) return existing;
    const state: OriginState = { client: undefined as unknown as Client };
    const connect = createConnector({
      origin: url.origin,
      rules: this.#settings.resolve,
      connectTimeoutMs: this.#settings.connectTimeoutMs,
      ca: this.#trustAnchors,
      sessions: this.#sessions,
      // -v and --json show every server certificate; reading it costs about a millisecond per connection.
      describePeer: true,
      ...(this.#settings.lookup ? { lookup: this.#settings.lookup } : {}),
      nextConnectionId: () => this.connections.length + 1,
      onConnected: (info) => {
        state.lastConnectionId = info.id;
        this.connections.push(info);
        this.#settings.onConnection?.(info);
      },
      onSocketState: (socket) => {
        state.openSocket = socket;
      },
    });
    state.client = new Client(url.origin, {
      connect: connect as unknown as UndiciClient.Options['connect'],
      pipelining: 1,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 60_000,
    });
    this.#origins.set(url.origin, state);
    return state;
  }

  async request(request: HttpRequest): Promise<HttpResponse> {
    const url = new URL(request.url);
    if (request.carriesSecret && url.protocol !== 'https:') {
      // Refused before an origin (and so a connection) exists: not a single byte goes out.
      throw new SecretNotOverHttpsError(`refused to send ${request.label} to ${url.protocol}//${url.host}${url.pathname}: it carries a secret and the address is not https`, {
        host: url.hostname,
        scheme: url.protocol.replace(/:$/, ''),
      });
    }
    const origin = this.#origin(url);
    const sequence = ++this.#sequence;
    const startedAt = new Date().toISOString();
    const started = performance.now();
    const requestHeaders: Record<string, string> = { host: url.host, ...request.headers };
    const body = request.body ?? '';

    const limitMs = Math.max(1, Math.floor(request.deadline - started));
    const ownLimit = new AbortController();
    const timer = setTimeout(() => ownLimit.abort(new Error('request deadline')), limitMs);
    const signal = request.signal ? AbortSignal.any([ownLimit.signal, request.signal]) : ownLimit.signal;

    const report = (response?: HttpExchange['response'], error?: TransportError): void => {
      if (!this.#settings.onExchange) return;
      const exchange: HttpExchange = {
        sequence,
        label: request.label,
        startedAt,
        ms: Math.round(performance.now() - started),
        request: { method: request.method, url: request.url, headers: requestHeaders, body },
      };
      if (response) exchange.response = response;
      if (error) exchange.error = error;
      if (origin.lastConnectionId !== undefined) exchange.connectionId = origin.lastConnectionId;
      this.#settings.onExchange(exchange);
    };

    let status = 0;
    let headers: Record<string, string> = {};
    const chunks: Buffer[] = [];
    // What had arrived when a deadline passed: slow is not silent.
    const progress = { headersAfterMs: -1, bodyBytes: 0 };
    try {
      const response = await requestThrough(origin.client, {
        method: request.method,
        path: `${url.pathname}${url.search}`,
        headers: requestHeaders,
        ...(request.method === 'POST' ? { body } : {}),
        signal,
        // undici's own timers are a backstop only: from 1 s up they tick coarsely and were seen firing
        // ~200 ms before the limit, so ownLimit (a plain timer) is what ends the request on time.
        headersTimeout: limitMs + UNDICI_TIMER_SLACK_MS,
        bodyTimeout: limitMs + UNDICI_TIMER_SLACK_MS,
      });
      status = response.statusCode;
      headers = flattenHeaders(response.headers);
      progress.headersAfterMs = Math.round(performance.now() - started);
      let received = 0;
      for await (const chunk of response.body) {
        const bytes = chunk as Buffer;
        received += bytes.length;
        progress.bodyBytes = received;
        if (received > this.#settings.maxResponseBytes) {
          response.body.destroy();
          throw new ResponseTooLargeError(
            `response from ${url.host}${url.pathname} exceeded ${this.#settings.maxResponseBytes} bytes`,
            { host: url.hostname, status, limitBytes: this.#settings.maxResponseBytes },
          );
        }
        chunks.push(bytes);
      }
    } catch (error) {
      const typed = this.#classify(error, url, origin, signal, limitMs, started, progress);
      report(status ? { status, headers, body: Buffer.concat(chunks) } : undefined, typed);
      throw typed;
    } finally {
      clearTimeout(timer);
    }
    const responseBody = Buffer.concat(chunks);
    report({ status, headers, body: responseBody });
    const result: HttpResponse = {
      url: request.url,
      status,
      headers,
      body: responseBody,
      text: responseBody.toString('utf8'),
      ms: Math.round((performance.now() - started) * 10) / 10,
    };
    if (origin.lastConnectionId !== undefined) result.connectionId = origin.lastConnectionId;
    return result;
  }

  #classify(
    error: unknown,
    url: URL,
    origin: OriginState,
    signal: AbortSignal,
    timeoutMs: number,
    started: number,
    progress: { headersAfterMs: number; bodyBytes: number },
  ): TransportError {
    if (error instanceof TransportError) return error;
    const afterMs = Math.round(performance.now() - started);
    const evidence = { host: url.hostname, port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80), afterMs };
    const code = (error as { code?: string } | null)?.code ?? '';
    const timedOut = signal.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
    if (timedOut) {
      // Abort while no socket is open means the connection itself never came up.
      if (!origin.openSocket && code !== 'UND_ERR_HEADERS_TIMEOUT' && code !== 'UND_ERR_BODY_TIMEOUT') {
        return new ConnectTimeoutError(`no connection to ${url.host} within ${afterMs} ms`, evidence);
      }
      if (progress.headersAfterMs >= 0) {
        return new ResponseSlowError(
          progress.headersAfterMs,
          progress.bodyBytes,
          `answer too slow from ${url.host}${url.pathname}: headers after ${progress.headersAfterMs} ms, ${progress.bodyBytes} bytes of body by the deadline (${timeoutMs} ms)`,
          { ...evidence, headersAfterMs: progress.headersAfterMs, bodyBytes: progress.bodyBytes },
        );
      }
      return new ResponseTimeoutError(`no answer from ${url.host}${url.pathname} within ${afterMs} ms (limit ${timeoutMs} ms): nothing arrived`, evidence);
    }
    const detail = { ...evidence, error: code };
    switch (code) {
      case 'UND_ERR_SOCKET':
      case 'UND_ERR_INFO':
      case 'ECONNRESET':
      case 'EPIPE':
        return new ConnectionResetError(`${url.host} closed the connection before a complete answer`, detail);
      case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
        return new ConnectionResetError(`${url.host} ended the answer early (${code})`, detail);
      case 'UND_ERR_HEADERS_OVERFLOW':
        return new ResponseHeadersTooLargeError(`${url.host}${url.pathname} answered with headers larger than the client accepts (${code})`, detail);
      case 'UND_ERR_RES_EXCEEDED_MAX_SIZE':
        return new ResponseTooLargeError(`response from ${url.host}${url.pathname} exceeded the size limit (${code})`, detail);
    }
    // llhttp's parser errors: not HTTP at all, bad chunked encoding, invalid header bytes, ... (undici 7
    // often leaves their code unset, so the class decides).
    if (error instanceof undiciErrors.HTTPParserError || code.startsWith('HPE_')) {
      const reason = /\(([^)]*)\)\s*$/.exec(error instanceof Error ? error.message : '')?.[1];
      return new ProtocolError(`${url.host} did not answer in valid HTTP (${reason ?? code})`, { ...detail, error: code || reason || 'HTTPParserError' });
    }
    // Anything else (UND_ERR_INVALID_ARG, a request length mismatch, ...) is this tool's own bug.
    throw error;
  }

  /** Closes every connection at once; nothing of the run stays open. */
  async close(): Promise<void> {
    const origins = [...this.#origins.values()];
    this.#origins.clear();
    // Each socket is ended first, without an error: undici's destroy() hands one to a socket still
    // open, and formatting that error's stack costs a one-off run some 10 ms.
    for (const origin of origins) origin.openSocket?.destroy();
    await Promise.all(origins.map((origin) => origin.client.destroy().catch(() => undefined)));
  }
}

