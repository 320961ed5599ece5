// Talking to a lab pool at the HTTP and DHCP level, without the client pipeline.

import { createSocket } from 'node:dgram';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { setTimeout as delay } from 'node:timers/promises';
import { generateKeyPairSync } from 'node:crypto';
import { decodePacket, encodePacket } from '../../src/dhcp/packet.js';
import { optionData } from '../../src/dhcp/options.js';
import type { DhcpPacket } from '../../src/dhcp/types.js';
import type { Lab } from '../../src/lab/index.js';
import { addressingHeaders } from '../../src/soap/envelope.js';
import { buildProofSecurity } from '../../src/soap/proof.js';
import { buildIssueTokenRequest, newClientEntropy, parseIssueTokenResponse, ticketProofKeys, type WebTicket } from '../../src/soap/services/webticket.js';
import { buildPinCredentialHeader, type PinEncoding } from '../../src/soap/services/inferred/pin-credential.js';
import { createCsr } from '../../src/pki/csr.js';
import type { RsaKeys } from '../../src/pki/keys.js';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export interface CallOptions {
  role?: 'http' | 'https';
  method?: 'GET' | 'POST' | 'PUT';
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Trust these PEM certificates (default: the lab CA). */
  ca?: string;
  servername?: string;
  timeoutMs?: number;
}

/** One request on a fresh connection (no keep-alive, so nothing stays open after the test). */
export function call(lab: Lab, options: CallOptions): Promise<Reply> {
  const role = options.role ?? 'https';
  const port = role === 'https' ? lab.ports.https : lab.ports.http;
  const headers: Record<string, string | number> = { host: `${lab.fqdn}:${port}`, connection: 'close', ...options.headers };
  if (options.body !== undefined) headers['content-length'] = Buffer.byteLength(options.body);
  const common = { host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers, agent: false as const };
  return new Promise((resolve, reject) => {
    const onResponse = (res: import('node:http').IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
      res.on('error', reject);
    };
    const req =
      role === 'https'
        ? httpsRequest({ ...common, servername: options.servername ?? lab.fqdn, ca: options.ca ?? lab.caCertificatesPem }, onResponse)
        : httpRequest(common, onResponse);
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error(`timeout after ${options.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

export function soapPost(lab: Lab, path: string, xml: string, soapAction: string, extra: Partial<CallOptions> = {}): Promise<Reply> {
  return call(lab, {
    method: 'POST',
    path,
    body: xml,
    ...extra,
    headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: soapAction, ...extra.headers },
  });
}

export function pathOf(url: string): string {
  return new URL(url).pathname;
}

// ---- DHCP ---------------------------------------------------------------------------------------

export interface InformOptions {
  vendorClass?: string;
  ciaddr?: string;
  requested?: number[];
  xid?: number;
  messageType?: number;
  listenMs?: number;
}

/** Sends one INFORM from an ephemeral port and collects every answer for `listenMs`. */
export async function inform(lab: Lab, options: InformOptions = {}): Promise<Array<{ packet: DhcpPacket; from: string }>> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const answers: Array<{ packet: DhcpPacket; from: string }> = [];
  socket.on('message', (message, remote) => answers.push({ packet: decodePacket(message), from: `${remote.address}:${remote.port}` }));
  const bytes = encodePacket({
    header: { xid: options.xid ?? 0x1234abcd, ciaddr: options.ciaddr ?? '127.0.0.1', chaddr: '02:00:00:00:99:02' },
    options: [
      optionData(53, options.messageType ?? 8),
      optionData(61, { type: 1, data: Uint8Array.of(2, 0, 0, 0, 0x99, 2) }),
      optionData(12, 'LABPHONE01'),
      optionData(60, options.vendorClass ?? 'MS-UC-Client'),
      optionData(55, options.requested ?? [120, 43]),
    ],
  });
  await new Promise<void>((resolve, reject) => socket.send(bytes, lab.ports.dhcp, '127.0.0.1', (error) => (error ? reject(error) : resolve())));
  await delay(options.listenMs ?? 150);
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return answers;
}

// ---- the web-ticket flow, step by step -----------------------------------------------------------

export interface TicketOptions {
  phoneOrExt?: string;
  pin?: string;
  encoding?: PinEncoding;
  appliesTo?: string;
  sipUri?: string;
  headers?: Record<string, string>;
}

export async function requestTicket(lab: Lab, options: TicketOptions = {}): Promise<{ reply: Reply; ticket?: WebTicket; proofKey?: Buffer }> {
  const clientEntropy = newClientEntropy();
  const request = buildIssueTokenRequest({
    to: lab.urls.webTicketPin,
    appliesTo: options.appliesTo ?? lab.urls.webTicketProof,
    clientEntropy,
    credentialHeader: buildPinCredentialHeader({
      phoneOrExt: options.phoneOrExt ?? lab.sampleUser.phoneOrExt,
      pin: options.pin ?? lab.sampleUser.pin ?? '',
      encoding: options.encoding ?? 'plain',
    }),
    ...(options.sipUri ? { sipUri: options.sipUri } : {}),
  });
  const reply = await soapPost(lab, pathOf(lab.urls.webTicketPin), request.xml, request.soapAction, options.headers ? { headers: options.headers } : {});
  const parsed = parseIssueTokenResponse(reply.text);
  if (parsed.kind !== 'ticket') return { reply };
  return { reply, ticket: parsed.ticket, proofKey: ticketProofKeys(parsed.ticket, clientEntropy)[0]?.key };
}

/** A SOAP request to the proof port carrying the ticket proof (signed unless `sign` is false). */
export function proofEnvelope(lab: Lab, action: string, body: string, ticket: WebTicket, proofKey: Buffer | undefined): string {
  const header = addressingHeaders({ to: lab.urls.webTicketProof, action }) + buildProofSecurity(ticket, proofKey);
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:wsa="http://www.w3.org/2005/08/addressing">' +
    `<s:Header>${header}</s:Header><s:Body>${body}</s:Body></s:Envelope>`
  );
}

let keyPair: RsaKeys | undefined;
/** One RSA key for all CSRs of a test file (1024 bits keeps the tests quick; the lab accepts 1024..16384). */
export function testKeyPair(): RsaKeys {
  keyPair ??= generateKeyPairSync('rsa', { modulusLength: 1024 });
  return keyPair;
}

export function csrFor(commonName: string, hash: 'sha1' | 'sha256' = 'sha1'): Buffer {
  return createCsr({ keyPair: testKeyPair(), commonName, hash }).der;
}
