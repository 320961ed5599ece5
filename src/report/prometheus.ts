// Prometheus text format 0.0.4 for probe results (the exporter's /probe answer and the node_exporter
// textfile mode). Pure: a run in, text out. Label values come from bounded sets only (stage names,
// stage results, catalogue ids, TLS versions) so a failing pool cannot create unbounded series.
// HELP strings are constants: node_exporter refuses the same metric with two HELP texts across files.

import { STAGE_NAMES, type RunReport, type StageStatus } from '../model.js';

export type MetricType = 'gauge' | 'counter' | 'histogram';

export interface MetricSample {
  /** Histograms: `_bucket`, `_sum` or `_count` after the family name. */
  suffix?: '_bucket' | '_sum' | '_count';
  labels?: Readonly<Record<string, string>>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: readonly MetricSample[];
}

/** What a probe knows beyond the run report: TLS facts of the connections it made, cache age, latch. */
export interface ProbeSample {
  report: RunReport;
  /** TLS facts of each HTTPS connection the run opened (ConnectionInfo carries them). */
  connections?: ReadonlyArray<{ tlsProtocol?: string; peerCertificate?: { validTo: string } }>;
  /** Seconds since the result was produced, when it is served from the exporter's cache. */
  resultAgeSeconds?: number;
  /** Whether the account is latched after a PIN rejection (exporter only). */
  pinLatched?: boolean;
  /** Textfile mode: when the run finished, Unix seconds. */
  lastRunTimestampSeconds?: number;
}

/** Added to every sample (textfile mode: which module/account the file is about). */
export type ConstantLabels = Readonly<Record<string, string>>;

export const STAGE_RESULTS = ['pass', 'warn', 'fail', 'skip'] as const;
export type StageResult = (typeof STAGE_RESULTS)[number];

const PREFIX = 'probe_phone_bootstrap';

/** One place for every HELP text, so each metric reads the same in every exposition. */
export const PROBE_HELP = {
  success: 'Whether the phone sign-in probe succeeded (1) or not (0).',
  duration: 'How long the whole probe took, in seconds.',
  stageDuration: 'Time spent in each bootstrap stage, in seconds (0 when the stage was not reached).',
  stageResult: 'Result of each bootstrap stage: 1 for the current result, 0 for the others.',
  failureInfo: 'The stage that failed and the diagnosis id from the failure catalogue (value is always 1).',
  clockOffset: 'Clock offset of the pool against this host, in seconds, when a ticket showed it.',
  certExpiry: 'Expiry (notAfter) of the user certificate the pool issued, as a Unix timestamp.',
  sslEarliest: 'Earliest expiry of the certificates the pool presented or served, as a Unix timestamp.',
  tlsVersion: 'TLS protocol versions negotiated with the pool (value is always 1).',
  resultAge: 'Age of the result served, in seconds (above 0 when served from the cache between probes).',
  pinLatched: 'Whether the account is latched after a PIN rejection: no PIN is sent until it is cleared.',
  lastRun: 'When this result was produced, as a Unix timestamp.',
  certificateReused: 'Whether the probe reused a held certificate instead of running the PIN path (1) or not (0).',
} as const;

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function formatLabels(labels: Readonly<Record<string, string>>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`;
}

/** The text exposition of `families`, no timestamps, ending with a newline (promtool requires it). */
export function renderExposition(families: readonly MetricFamily[], constantLabels: ConstantLabels = {}): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      lines.push(`${family.name}${sample.suffix ?? ''}${formatLabels({ ...constantLabels, ...sample.labels })} ${formatValue(sample.value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function gauge(name: string, help: string, samples: MetricSample[]): MetricFamily {
  return { name, help, type: 'gauge', samples };
}

function stageResultOf(status: StageStatus): StageResult {
  switch (status) {
    case 'pass':
      return 'pass';
    case 'warn':
      return 'warn';
    case 'fail':
      return 'fail';
    case 'skipped':
    case 'not-run':
      return 'skip';
  }
}

function unixSeconds(date: string): number | undefined {
  const ms = new Date(date).getTime();
  return Number.isNaN(ms) ? undefined : ms / 1000;
}

/** The pool's clock against ours, from a `clock:N` observation (the only place a run measures it). */
export function clockOffsetSeconds(report: RunReport): number | undefined {
  for (const stage of report.stages) {
    const match = /^clock:(-?\d+(?:\.\d+)?)$/.exec(stage.error?.observation ?? '');
    if (match) return Number(match[1]);
  }
  return undefined;
}

/** Earliest notAfter over the server certificates seen: the TLS peers and the downloaded root chain. */
export function earliestServerCertExpiry(sample: ProbeSample): number | undefined {
  const dates = [
    ...(sample.connections ?? []).map((connection) => connection.peerCertificate?.validTo),
    ...(sample.report.discovered.trustedRoots ?? []).map((root) => root.notAfter),
  ];
  const seconds = dates.flatMap((date) => {
    const value = date === undefined ? undefined : unixSeconds(date);
    return value === undefined ? [] : [value];
  });
  return seconds.length === 0 ? undefined : Math.min(...seconds);
}

function tlsVersions(sample: ProbeSample): string[] {
  const versions = new Set<string>();
  for (const connection of sample.connections ?? []) if (connection.tlsProtocol) versions.add(connection.tlsProtocol);
  return [...versions].sort();
}

/** A probe in the exporter's reuse mode marks the PIN stages it stood a held certificate in for. */
function certificateReused(report: RunReport): boolean {
  return report.stages.some((stage) => stage.status === 'skipped' && stage.evidence.certificateReused === true);
}

/** The metric families of one probe (docs/exporter.md, "Metrics of a probe"). */
export function probeFamilies(sample: ProbeSample): MetricFamily[] {
  const { report } = sample;
  const byName = new Map(report.stages.map((stage) => [stage.name, stage]));
  const families: MetricFamily[] = [
    gauge('probe_success', PROBE_HELP.success, [{ value: report.result === 'Success' ? 1 : 0 }]),
    gauge('probe_duration_seconds', PROBE_HELP.duration, [{ value: report.latencyMs / 1000 }]),
    gauge(
      `${PREFIX}_stage_duration_seconds`,
      PROBE_HELP.stageDuration,
      STAGE_NAMES.map((stage) => ({ labels: { stage }, value: (byName.get(stage)?.ms ?? 0) / 1000 })),
    ),
    gauge(
      `${PREFIX}_stage_result`,
      PROBE_HELP.stageResult,
      STAGE_NAMES.flatMap((stage) => {
        const current = stageResultOf(byName.get(stage)?.status ?? 'not-run');
        return STAGE_RESULTS.map((result) => ({ labels: { stage, result }, value: result === current ? 1 : 0 }));
      }),
    ),
  ];
  const failed = report.stages.find((stage) => stage.status === 'fail');
  if (failed?.diagnosis) {
    families.push(gauge(`${PREFIX}_failure_info`, PROBE_HELP.failureInfo, [{ labels: { stage: failed.name, diagnosis: failed.diagnosis.id }, value: 1 }]));
  }
  const offset = clockOffsetSeconds(report);
  if (offset !== undefined) families.push(gauge(`${PREFIX}_clock_offset_seconds`, PROBE_HELP.clockOffset, [{ value: offset }]));
  const issued = report.discovered.issuedCertificate ? unixSeconds(report.discovered.issuedCertificate.notAfter) : undefined;
  if (issued !== undefined) families.push(gauge(`${PREFIX}_cert_expiry_timestamp_seconds`, PROBE_HELP.certExpiry, [{ value: issued }]));
  const earliest = earliestServerCertExpiry(sample);
  if (earliest !== undefined) families.push(gauge('probe_ssl_earliest_cert_expiry', PROBE_HELP.sslEarliest, [{ value: earliest }]));
  const versions = tlsVersions(sample);
  if (versions.length > 0) families.push(gauge('probe_tls_version_info', PROBE_HELP.tlsVersion, versions.map((version) => ({ labels: { version }, value: 1 }))));
  if (sample.resultAgeSeconds !== undefined) {
    families.push(gauge(`${PREFIX}_result_age_seconds`, PROBE_HELP.resultAge, [{ value: sample.resultAgeSeconds }]));
  }
  families.push(gauge(`${PREFIX}_certificate_reused`, PROBE_HELP.certificateReused, [{ value: certificateReused(report) ? 1 : 0 }]));
  if (sample.pinLatched !== undefined) families.push(gauge(`${PREFIX}_pin_latched`, PROBE_HELP.pinLatched, [{ value: sample.pinLatched ? 1 : 0 }]));
  if (sample.lastRunTimestampSeconds !== undefined) {
    families.push(gauge(`${PREFIX}_last_run_timestamp_seconds`, PROBE_HELP.lastRun, [{ value: sample.lastRunTimestampSeconds }]));
  }
  return families;
}

/** One probe as Prometheus text (the /probe body, or one textfile). */
export function renderProbeMetrics(sample: ProbeSample, constantLabels: ConstantLabels = {}): string {
  return renderExposition(probeFamilies(sample), constantLabels);
}
