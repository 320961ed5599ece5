// What the hostile server answers instead of the pool (issue 9's list). Each attack writes its bytes
// on the raw connection; the large ones are generated as they go and never held in memory.

import type { Socket } from 'node:net';
import type { Attack, AttackContext } from './hostile-http-server.js';

const SOAP_NS = 'http://schemas.xmlsoap.org/soap/envelope/';

/** A SOAP 1.1 envelope around `body`, the shape every endpoint's answer has. */
function envelope(body: string): string {
  return `<s:Envelope xmlns:s="${SOAP_NS}"><s:Body>${body}</s:Body></s:Envelope>`;
}

const XML_HEADERS = { 'Content-Type': 'text/xml; charset=utf-8' };

/** The classic "billion laughs": ten levels of ten references each, 10^9 copies if expanded. */
export function entityExpansionDocument(): string {
  const entities = ['<!ENTITY lol0 "lol">'];
  for (let level = 1; level <= 9; level += 1) {
    entities.push(`<!ENTITY lol${level} "${`&lol${level - 1};`.repeat(10)}">`);
  }
  return `<?xml version="1.0"?>\n<!DOCTYPE s:Envelope [\n${entities.join('\n')}\n]>\n${envelope('<x>&lol9;</x>')}`;
}

export const EXTERNAL_ENTITY_PATH = '/external-entity';

/** An external entity that names a local file and a URL: neither may be read or fetched. */
export function externalEntityDocument(httpPort: number): string {
  return (
    `<?xml version="1.0"?>\n<!DOCTYPE s:Envelope [\n<!ENTITY file SYSTEM "file:///etc/passwd">\n` +
    `<!ENTITY remote SYSTEM "http://127.0.0.1:${httpPort}${EXTERNAL_ENTITY_PATH}">\n]>\n${envelope('<x>&file;&remote;</x>')}`
  );
}

export const NESTING_DEPTH = 10_000;

export function deepNestingDocument(): string {
  return envelope(`${'<a>'.repeat(NESTING_DEPTH)}x${'</a>'.repeat(NESTING_DEPTH)}`);
}

/** `<a<a<a…` to exactly 4 MiB: as large as the default response cap lets through (the cap is "more than"). */
export const QUADRATIC_BYTES = 4 * 1024 * 1024;

export function quadraticTagDocument(): string {
  return '<a'.repeat(QUADRATIC_BYTES / 2);
}

/** Well-formed XML whose element names and text hold bytes that are not UTF-8. */
export function invalidUtf8Document(): Buffer {
  const invalid = Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc]);
  return Buffer.concat([
    Buffer.from(`<s:Envelope xmlns:s="${SOAP_NS}"><s:Body><r`),
    invalid,
    Buffer.from(' a="'),
    invalid,
    Buffer.from('">'),
    invalid,
    Buffer.from('</r'),
    invalid,
    Buffer.from('></s:Body></s:Envelope>'),
  ]);
}

/** An XML document in place of the pool's answer, status 200. */
function xmlAnswer(document: (context: AttackContext) => string | Buffer): Attack {
  return (context) => context.answer(200, XML_HEADERS, document(context));
}

export const GIB = 1024 * 1024 * 1024;

/** A 1 GiB answer written as fast as the client reads it, from one reused 64 KiB chunk. */
export const gibibyteStream: Attack = ({ socket, streamed }) => {
  const chunk = Buffer.from('<a>'.repeat(64 * 1024 / 4) + ' '.repeat(64 * 1024 - (64 * 1024 / 4) * 3));
  socket.write(`HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: ${GIB}\r\nConnection: close\r\n\r\n`);
  const pump = (): void => {
    while (streamed.bytes < GIB && !socket.destroyed) {
      streamed.bytes += chunk.length;
      if (!socket.write(chunk)) {
        socket.once('drain', pump);
        return;
      }
    }
    if (!socket.destroyed) socket.end();
  };
  pump();
};

/** Headers at once, then one byte of body every 100 ms, for ever (until the client hangs up). */
export const neverEndingTrickle: Attack = ({ socket }) => {
  socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 100000000\r\nConnection: close\r\n\r\n');
  const timer = setInterval(() => {
    if (socket.destroyed) clearInterval(timer);
    else socket.write('<');
  }, 100);
  (socket as Socket).on('close', () => clearInterval(timer));
};

export const HUGE_HEADER_BYTES = 100 * 1024;

export const hugeHeader: Attack = ({ socket }) => {
  socket.end(`HTTP/1.1 200 OK\r\nX-Padding: ${'a'.repeat(HUGE_HEADER_BYTES)}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
};

/** A redirect the client must not follow: it is an answer to report, never a new request. */
function redirect(location: (context: AttackContext) => string): Attack {
  return (context) => context.answer(307, { Location: location(context), ...XML_HEADERS }, '');
}

export const ELSEWHERE_HOST = 'elsewhere.hostile.test';

export const redirectToFile = redirect(() => 'file:///etc/passwd');

export const redirectToOtherHost = redirect(({ request, ports, socket }) => {
  const tls = 'encrypted' in socket && socket.encrypted === true;
  return tls ? `https://${ELSEWHERE_HOST}:${ports.https}${request.path}` : `http://${ELSEWHERE_HOST}:${ports.http}${request.path}`;
});

/**
 * The pool's own metadata with every https address of the pool moved to the hostile server's
 * plain-HTTP port, as a WCF service behind a TLS-offloading load balancer publishes it.
 */
export function httpPortsInMetadata(fqdn: string): Attack {
  return async (context) => {
    const forwarded = await context.forward();
    const published = new RegExp(`https://${fqdn.replace(/\./g, '\\.')}(:\\d+)?/`, 'gi');
    const body = forwarded.body.toString('utf8').replace(published, `http://${fqdn}:${context.ports.http}/`);
    context.answer(forwarded.status, forwarded.headers, body);
  };
}

export const entityExpansion = xmlAnswer(entityExpansionDocument);
export const externalEntity = xmlAnswer(({ ports }) => externalEntityDocument(ports.http));
export const deepNesting = xmlAnswer(deepNestingDocument);
export const quadraticTags = xmlAnswer(quadraticTagDocument);
export const invalidUtf8 = xmlAnswer(invalidUtf8Document);
