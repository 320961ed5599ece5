// The certificate a TLS server presented, in the few facts an admin compares with the pool's
// configuration: subject, SANs, issuer, NotAfter and days left, SHA-256 fingerprint.
//
// When this tool rejects the certificate, Node frees it before the error handler runs, so it is read
// again on a second connection that only completes the handshake and closes: it sends no application
// data (no request, no PIN, no ticket), so not verifying that handshake exposes nothing.

import tls from 'node:tls';
import type net from 'node:net';

export interface PeerCertificateFacts {
  subject: string;
  /** subjectAltName as OpenSSL prints it: "DNS:pool01.example.com, DNS:fe01.example.com". */
  sans: string;
  issuer: string;
  validTo: string;
  /** Whole days until NotAfter (negative once expired). */
  daysLeft: number;
  fingerprint256: string;
}

function describeName(value: tls.PeerCertificate['subject'] | undefined): string {
  if (!value) return '';
  return Object.entries(value)
    .map(([key, v]) => `${key}=${Array.isArray(v) ? v.join('+') : String(v)}`)
    .join(', ');
}

const DAY_MS = 86_400_000;

export function peerCertificateFacts(cert: tls.PeerCertificate | undefined, now = Date.now()): PeerCertificateFacts | undefined {
  if (!cert || !cert.subject) return undefined;
  return {
    subject: describeName(cert.subject),
    sans: cert.subjectaltname ?? '',
    issuer: describeName(cert.issuer),
    validTo: cert.valid_to,
    daysLeft: Math.floor((Date.parse(cert.valid_to) - now) / DAY_MS),
    fingerprint256: cert.fingerprint256,
  };
}

/** The facts as evidence entries (one flat key each, for the report's evidence line). */
export function peerCertificateEvidence(facts: PeerCertificateFacts): Record<string, string | number> {
  return {
    certSubject: facts.subject,
    certSans: facts.sans,
    certIssuer: facts.issuer,
    certNotAfter: facts.validTo,
    certDaysLeft: facts.daysLeft,
    certSha256: facts.fingerprint256,
  };
}

export interface PeerCertificateProbe {
  host: string;
  port: number;
  servername?: string;
  timeoutMs: number;
  lookup?: net.LookupFunction;
}

/** Handshake only, read the certificate, close. Undefined when no handshake completes in time. */
export function readPeerCertificate(probe: PeerCertificateProbe): Promise<PeerCertificateFacts | undefined> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: probe.host,
      port: probe.port,
      ...(probe.servername ? { servername: probe.servername } : {}),
      // Only to read what the server presents; nothing is written on this connection.
      rejectUnauthorized: false,
      ...(probe.lookup ? { lookup: probe.lookup } : {}),
    });
    const done = (facts: PeerCertificateFacts | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(facts);
    };
    const timer = setTimeout(() => done(undefined), Math.max(1, probe.timeoutMs));
    socket.once('secureConnect', () => done(peerCertificateFacts(socket.getPeerCertificate())));
    socket.once('error', () => done(undefined));
  });
}
