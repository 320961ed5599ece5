// When a TLS handshake fails on a record that is not TLS (OpenSSL's "wrong version number"), the
// likeliest cause is a port that speaks plain HTTP. One plain request to the same address and port
// tells for sure: the answer starts with an HTTP status line or it does not. Nothing secret is sent.

import net from 'node:net';

/** OpenSSL errors for a first record that is not TLS at all. */
const NOT_TLS_CODES = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_RECORD_LAYER_FAILURE']);

export function looksLikeNonTlsRecord(code: string | undefined): boolean {
  return code !== undefined && NOT_TLS_CODES.has(code);
}

/** The first line of the answer when it is an HTTP status line ("HTTP/1.1 400 Bad Request"). */
export function httpStatusLineOf(bytes: Buffer): string | undefined {
  const text = bytes.subarray(0, 200).toString('latin1');
  if (!text.startsWith('HTTP/')) return undefined;
  return text.split(/\r?\n/, 1)[0];
}

export interface PlainHttpProbe {
  /** Where to connect: the address the TLS attempt used. */
  host: string;
  port: number;
  /** The Host header: the name the TLS attempt was for. */
  hostName: string;
  timeoutMs: number;
  lookup?: net.LookupFunction;
}

/** Resolves to the HTTP status line the port answered with, or undefined (not HTTP, no answer, error). */
export function probePlainHttp(probe: PlainHttpProbe): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: probe.host, port: probe.port, ...(probe.lookup ? { lookup: probe.lookup } : {}) });
    const done = (line: string | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(line);
    };
    const timer = setTimeout(() => done(undefined), Math.max(1, probe.timeoutMs));
    socket.once('connect', () => socket.write(`HEAD / HTTP/1.1\r\nHost: ${probe.hostName}\r\nConnection: close\r\n\r\n`));
    socket.once('data', (bytes: Buffer) => done(httpStatusLineOf(bytes)));
    socket.once('error', () => done(undefined));
    socket.once('end', () => done(undefined));
  });
}
