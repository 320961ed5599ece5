// Monitoring Plugins output (Nagios, Icinga, Naemon): one status line `BOOTSTRAP <STATE> - summary |
// perfdata`, long output on the following lines, and the state as the exit code (0 OK, 1 WARNING,
// 2 CRITICAL, 3 UNKNOWN). Pure: the run and the thresholds in, text and state out.

import { NAGIOS, NAGIOS_LABEL, nagiosStateForRun, type NagiosState } from '../diagnosis/status.js';
import { STAGE_NAMES, type RunReport } from '../model.js';
import { earliestServerCertExpiry, type ProbeSample } from './prometheus.js';

export interface NagiosThresholds {
  /** WARNING when a certificate expires within this many days. */
  warningDays: number;
  /** CRITICAL when a certificate expires within this many days. */
  criticalDays: number;
  /** Latency thresholds on the whole run, seconds (-w/-c). */
  warningSeconds?: number;
  criticalSeconds?: number;
  /** The run's overall deadline (-t/--timeout), ms: a stage cut off by it makes the check UNKNOWN. */
  timeoutMs?: number;
}

export const DEFAULT_NAGIOS_THRESHOLDS: NagiosThresholds = { warningDays: 14, criticalDays: 7 };

export interface NagiosOutput {
  state: NagiosState;
  /** The whole plugin output, ending with a newline. */
  text: string;
}

const SECONDS_PER_DAY = 86_400;

/** Perfdata labels are quoted; a quote or '=' inside would break the parser. */
function perfLabel(label: string): string {
  return `'${label.replace(/['=]/g, '_')}'`;
}

function perfSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(6))}s`;
}

function optional(value: number | undefined): string {
  return value === undefined ? '' : String(value);
}

/** The status line must stay one line, and '|' starts the perfdata. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/\|/g, '/');
}

function worse(a: NagiosState, b: NagiosState): NagiosState {
  const rank = (state: NagiosState): number => (state === NAGIOS.unknown ? 3.5 : state);
  return rank(b) > rank(a) ? b : a;
}

interface Expiry {
  what: string;
  days: number;
}

function expiries(sample: ProbeSample, now: Date): Expiry[] {
  const found: Expiry[] = [];
  const issued = sample.report.discovered.issuedCertificate?.notAfter;
  if (issued !== undefined && !Number.isNaN(Date.parse(issued))) {
    found.push({ what: 'issued user certificate', days: (Date.parse(issued) - now.getTime()) / 1000 / SECONDS_PER_DAY });
  }
  const server = earliestServerCertExpiry(sample);
  if (server !== undefined) found.push({ what: 'pool certificate', days: (server - now.getTime() / 1000) / SECONDS_PER_DAY });
  return found;
}

function expiryState(days: number, thresholds: NagiosThresholds): NagiosState {
  if (days < thresholds.criticalDays) return NAGIOS.critical;
  if (days < thresholds.warningDays) return NAGIOS.warning;
  return NAGIOS.ok;
}

function latencyState(seconds: number, thresholds: NagiosThresholds): NagiosState {
  if (thresholds.criticalSeconds !== undefined && seconds > thresholds.criticalSeconds) return NAGIOS.critical;
  if (thresholds.warningSeconds !== undefined && seconds > thresholds.warningSeconds) return NAGIOS.warning;
  return NAGIOS.ok;
}

/** Slack between the pipeline's bookkeeping of stage times and the run deadline. */
const DEADLINE_TOLERANCE_MS = 50;

/**
 * A stage stopped by the run's own deadline (-t): the check could not finish, so UNKNOWN. The
 * pipeline says so outright, or the stage's deadline ended where the run's did.
 */
function runTimeoutStage(report: RunReport, timeoutMs: number | undefined): string | undefined {
  let startedAtMs = 0;
  for (const stage of report.stages) {
    if (stage.status === 'fail' && /^timeout(:|$)/.test(stage.error?.observation ?? '')) {
      const endedWithRun = timeoutMs !== undefined && stage.deadlineMs !== undefined && startedAtMs + stage.deadlineMs >= timeoutMs - DEADLINE_TOLERANCE_MS;
      return stage.evidence.runDeadline === true || endedWithRun ? stage.name : undefined;
    }
    // Deadlines run on the wall clock; `ms` is only the pool's and the network's share of it.
    startedAtMs += stage.wallMs ?? stage.ms;
  }
  return undefined;
}

function summaryOf(report: RunReport, state: NagiosState, timedOutIn: string | undefined, expiryNotes: string[]): string {
  const seconds = (report.latencyMs / 1000).toFixed(3);
  if (timedOutIn !== undefined) return `timed out during ${timedOutIn} after ${seconds} s`;
  const failed = report.stages.find((stage) => stage.status === 'fail');
  if (failed) return `${failed.name} failed: ${failed.diagnosis ? `${failed.diagnosis.id}: ${failed.diagnosis.summary}` : failed.summary}`;
  const warned = report.stages.find((stage) => stage.status === 'warn');
  const parts = [`sign-in passed in ${seconds} s`];
  if (state !== NAGIOS.ok && expiryNotes.length > 0) parts.push(expiryNotes.join(', '));
  if (warned) parts.push(`${warned.name} warning: ${warned.diagnosis?.id ?? warned.summary}`);
  return parts.join('; ');
}

/** The plugin output for one run; `now` is passed in so expiry is judged against a known time. */
export function renderNagios(sample: ProbeSample, thresholds: NagiosThresholds, now: Date): NagiosOutput {
  const { report } = sample;
  const timedOutIn = runTimeoutStage(report, thresholds.timeoutMs);
  let state = nagiosStateForRun(report);
  if (timedOutIn !== undefined) state = NAGIOS.unknown;
  const found = expiries(sample, now);
  const expiryNotes: string[] = [];
  for (const expiry of found) {
    const expiryLevel = expiryState(expiry.days, thresholds);
    if (expiryLevel !== NAGIOS.ok) expiryNotes.push(`${expiry.what} expires in ${Math.floor(expiry.days)} days`);
    state = worse(state, expiryLevel);
  }
  state = worse(state, latencyState(report.latencyMs / 1000, thresholds));

  const byName = new Map(report.stages.map((stage) => [stage.name, stage]));
  const perfdata = [
    // 'latency', not 'time': a label must be unique, and 'time' is a stage's name.
    `${perfLabel('latency')}=${perfSeconds(report.latencyMs)};${optional(thresholds.warningSeconds)};${optional(thresholds.criticalSeconds)};0`,
    ...STAGE_NAMES.map((name) => {
      const stage = byName.get(name);
      // 'U': the stage did not run, so its time is undetermined (not 0, which would graph as fast).
      const value = !stage || stage.status === 'not-run' || stage.status === 'skipped' ? 'U' : perfSeconds(stage.ms);
      return `${perfLabel(name)}=${value};;;0`;
    }),
    ...found.map((expiry) => `${perfLabel(expiry.what === 'pool certificate' ? 'pool_cert_days' : 'user_cert_days')}=${Math.floor(expiry.days)};${thresholds.warningDays}:;${thresholds.criticalDays}:`),
  ];

  const long = report.stages.map((stage) => `${stage.name}: ${stage.status} ${Math.round(stage.ms)} ms - ${oneLine(stage.summary)}`);
  const failed = report.stages.find((stage) => stage.status === 'fail');
  for (const check of failed?.diagnosis?.check ?? []) long.push(`CHECK: ${oneLine(check)}`);
  const first = `BOOTSTRAP ${NAGIOS_LABEL[state]} - ${oneLine(summaryOf(report, state, timedOutIn, expiryNotes))} | ${perfdata.join(' ')}`;
  return { state, text: `${[first, ...long].join('\n')}\n` };
}
