// --json: one object per run, documented in docs/json-output.md. Every key is always present
// (null when there is nothing to say) so that consumers never have to probe; bump schemaVersion on
// any change that is not purely additive.

import { formatLatency } from './latency.js';
import type { CertificateInfo, DhcpNetworkOptions, Diagnosis, Discovered, Evidence, RunReport, StageReport } from '../model.js';
import { failedStage, orderedStages } from './stages.js';

export const JSON_SCHEMA_VERSION = 1;

export interface JsonDiagnosis {
  id: string;
  severity: Diagnosis['severity'];
  summary: string;
  alsoPossible: string[];
  check: string[];
}

export interface JsonStage {
  name: StageReport['name'];
  status: StageReport['status'];
  ms: number;
  /** The stage's wall time (code loading excluded) and this tool's own work inside it; null when not run. */
  wallMs: number | null;
  clientMs: number | null;
  summary: string;
  evidence: Evidence;
  notes: string[];
  error: { observation: string; message: string; server: Record<string, string> } | null;
  diagnosis: JsonDiagnosis | null;
}

export interface JsonCertificate {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  sha256Fingerprint: string;
}

export interface JsonReport {
  schemaVersion: number;
  tool: { name: 'bootstrap-test'; version: string | null };
  startedAt: string;
  summary: {
    targetUri: string;
    targetFqdn: string;
    result: RunReport['result'];
    latency: string;
    latencyMs: number;
    /** The whole run's wall time: loading, this tool's work and the DHCP listen window included. */
    wallMs: number | null;
    /** Part of wallMs spent waiting for the RSA key pair; null when no stage needed it. */
    keyWaitMs: number | null;
    error: string;
    diagnosis: string[];
    failedStage: StageReport['name'] | null;
  };
  stages: JsonStage[];
  discovered: {
    targetUri: string | null;
    targetFqdn: string | null;
    source: Discovered['source'];
    dhcpResponders: Array<{ server: string; address: string; ms: number; certProvisioningUrl: string | null; sipServers: string[] }>;
    rootChainFormat: Discovered['rootChainFormat'] | null;
    webTicketExpires: string | null;
    userSipUri: string | null;
    deviceId: string | null;
    /** Options 42/4/6/15/119 of the DHCP answer (null when DHCP was skipped or did not answer). */
    dhcpNetwork: DhcpNetworkOptions | null;
    sipDomain: Discovered['sipDomain'] | null;
    clock: Discovered['clock'] | null;
    registrar: Discovered['registrar'] | null;
  };
  /** The last stage the run was told to run (`--stop-after`), null for the whole sign-in. */
  stoppedAfter: StageReport['name'] | null;
  certificates: {
    trustedRoots: JsonCertificate[];
    issued: JsonCertificate | null;
  };
  /** Each connection the run opened, with the certificate the server presented (additive in schema 1). */
  connections: Array<{
    host: string;
    address: string;
    port: number;
    tlsProtocol: string | null;
    serverCertificate: { subject: string; subjectAltName: string; issuer: string; notAfter: string; daysLeft: number; sha256Fingerprint: string } | null;
  }>;
}

function certificate(info: CertificateInfo): JsonCertificate {
  return {
    subject: info.subject,
    issuer: info.issuer,
    serialNumber: info.serialNumber,
    notBefore: info.notBefore,
    notAfter: info.notAfter,
    sha256Fingerprint: info.sha256Fingerprint,
  };
}

function stage(report: StageReport): JsonStage {
  return {
    name: report.name,
    status: report.status,
    ms: Math.round(report.ms * 1000) / 1000,
    wallMs: report.wallMs ?? null,
    clientMs: report.clientMs ?? null,
    summary: report.summary,
    evidence: { ...report.evidence },
    notes: [...report.notes],
    error: report.error
      ? { observation: report.error.observation, message: report.error.message, server: { ...(report.error.server ?? {}) } }
      : null,
    diagnosis: report.diagnosis
      ? {
          id: report.diagnosis.id,
          severity: report.diagnosis.severity,
          summary: report.diagnosis.summary,
          alsoPossible: [...report.diagnosis.alsoPossible],
          check: [...report.diagnosis.check],
        }
      : null,
  };
}

export interface JsonOptions {
  /** The tool's version for the `tool` block (from package.json at the CLI edge). */
  version?: string;
}

export function toJsonReport(report: RunReport, options: JsonOptions = {}): JsonReport {
  const failed = failedStage(report);
  const discovered = report.discovered;
  return {
    schemaVersion: JSON_SCHEMA_VERSION,
    tool: { name: 'bootstrap-test', version: options.version ?? null },
    startedAt: report.startedAt,
    summary: {
      targetUri: report.targetUri,
      targetFqdn: report.targetFqdn,
      result: report.result,
      latency: formatLatency(report.latencyMs),
      latencyMs: Math.round(report.latencyMs * 1000) / 1000,
      wallMs: report.wallMs ?? null,
      keyWaitMs: report.keyWaitMs ?? null,
      error: report.error,
      diagnosis: report.result === 'Success' ? [] : [...(failed?.diagnosis?.check ?? [])],
      failedStage: failed?.name ?? null,
    },
    stages: orderedStages(report).map(stage),
    discovered: {
      targetUri: discovered.targetUri ?? null,
      targetFqdn: discovered.targetFqdn ?? null,
      source: { ...discovered.source },
      dhcpResponders: (discovered.dhcpResponders ?? []).map((responder) => ({
        server: responder.server,
        address: responder.address,
        ms: responder.ms,
        certProvisioningUrl: responder.certProvisioningUrl ?? null,
        sipServers: [...responder.sipServers],
      })),
      rootChainFormat: discovered.rootChainFormat ?? null,
      webTicketExpires: discovered.webTicketExpires ?? null,
      userSipUri: discovered.userSipUri ?? null,
      deviceId: discovered.deviceId ?? null,
      dhcpNetwork: discovered.dhcpNetwork ? structuredClone(discovered.dhcpNetwork) : null,
      sipDomain: discovered.sipDomain ? { ...discovered.sipDomain } : null,
      clock: discovered.clock ? { ...discovered.clock } : null,
      registrar: discovered.registrar ? { ...discovered.registrar } : null,
    },
    stoppedAfter: report.stoppedAfter ?? null,
    certificates: {
      trustedRoots: (discovered.trustedRoots ?? []).map(certificate),
      issued: discovered.issuedCertificate ? certificate(discovered.issuedCertificate) : null,
    },
    connections: (report.serverConnections ?? []).map((connection) => ({
      host: connection.host,
      address: connection.address,
      port: connection.port,
      tlsProtocol: connection.tlsProtocol ?? null,
      serverCertificate: connection.certificate
        ? {
            subject: connection.certificate.subject,
            subjectAltName: connection.certificate.sans,
            issuer: connection.certificate.issuer,
            notAfter: connection.certificate.validTo,
            daysLeft: connection.certificate.daysLeft,
            sha256Fingerprint: connection.certificate.fingerprint256,
          }
        : null,
    })),
  };
}

/**
 * The --json text. Pass the run's redactor: it is applied value by value, so the output stays valid
 * JSON even when a secret would otherwise be cut out of the middle of a token.
 */
export function renderJson(report: RunReport, redact?: { value<T>(value: T): T }, options: JsonOptions = {}): string {
  const object = toJsonReport(report, options);
  return `${JSON.stringify(redact ? redact.value(object) : object, null, 2)}\n`;
}
