// One-shot outputs for other schedulers, ready for the bootstrap command to call after a run:
// `--nagios` (Monitoring Plugins text on stdout, the plugin state as exit code) and
// `--format prometheus --output FILE` (a node_exporter textfile, written atomically). The flags are
// checked here so the command only has to pass them through.

import { UsageError } from '../errors.js';
import { exitCodeForRun } from './bootstrap-run.js';
import { DEFAULT_NAGIOS_THRESHOLDS, renderNagios, type NagiosThresholds } from '../report/nagios.js';
import { renderProbeMetrics, type ConstantLabels, type ProbeSample } from '../report/prometheus.js';
import { writeTextfileAtomically } from '../report/textfile.js';

export interface OneShotCliOptions {
  nagios?: boolean;
  warningDays?: string;
  criticalDays?: string;
  /** -w/-c: latency thresholds on the whole run, seconds. */
  warning?: string;
  critical?: string;
  format?: string;
  output?: string;
  /** `name=value` constant labels for the textfile (e.g. module=pool01_7501). */
  label?: string[];
}

export type OneShotMode = { kind: 'nagios'; thresholds: NagiosThresholds } | { kind: 'textfile'; path: string; labels: ConstantLabels } | { kind: 'none' };

function positiveNumber(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) throw new UsageError(`${flag}: "${text}" is not a number of at least 0`);
  return value;
}

function labelsOf(pairs: readonly string[]): ConstantLabels {
  const labels: Record<string, string> = {};
  for (const pair of pairs) {
    const match = /^([a-zA-Z_][a-zA-Z0-9_]*)=(.*)$/.exec(pair);
    if (!match || match[1]?.startsWith('__')) throw new UsageError(`--label: "${pair}" is not name=value with a Prometheus label name`);
    labels[match[1] ?? ''] = match[2] ?? '';
  }
  return labels;
}

/** Checks the one-shot flags; one UsageError naming the flag when they do not fit together. */
export function oneShotModeFrom(options: OneShotCliOptions, timeoutMs: number): OneShotMode {
  if (options.nagios && options.format !== undefined) throw new UsageError('--nagios and --format exclude each other');
  if (options.nagios) {
    const thresholds: NagiosThresholds = {
      warningDays: options.warningDays === undefined ? DEFAULT_NAGIOS_THRESHOLDS.warningDays : positiveNumber('--warning-days', options.warningDays),
      criticalDays: options.criticalDays === undefined ? DEFAULT_NAGIOS_THRESHOLDS.criticalDays : positiveNumber('--critical-days', options.criticalDays),
      timeoutMs,
    };
    if (thresholds.criticalDays > thresholds.warningDays) {
      throw new UsageError(`--critical-days ${thresholds.criticalDays} is more than --warning-days ${thresholds.warningDays}`);
    }
    if (options.warning !== undefined) thresholds.warningSeconds = positiveNumber('--warning', options.warning);
    if (options.critical !== undefined) thresholds.criticalSeconds = positiveNumber('--critical', options.critical);
    return { kind: 'nagios', thresholds };
  }
  if (options.format !== undefined) {
    if (options.format !== 'prometheus') throw new UsageError(`--format: "${options.format}" is not prometheus`);
    if (options.output === undefined || options.output === '') throw new UsageError('--format prometheus needs --output FILE (the textfile collector reads files)');
    return { kind: 'textfile', path: options.output, labels: labelsOf(options.label ?? []) };
  }
  if (options.output !== undefined) throw new UsageError('--output needs --format prometheus');
  return { kind: 'none' };
}

/** Writes the one-shot output of a finished run and returns the exit code it calls for. */
export async function emitOneShot(mode: Exclude<OneShotMode, { kind: 'none' }>, sample: ProbeSample, stdout: NodeJS.WritableStream, now: Date): Promise<number> {
  if (mode.kind === 'nagios') {
    const output = renderNagios(sample, mode.thresholds, now);
    stdout.write(output.text);
    return output.state;
  }
  const text = renderProbeMetrics({ ...sample, lastRunTimestampSeconds: now.getTime() / 1000 }, mode.labels);
  await writeTextfileAtomically(mode.path, text);
  return exitCodeForRun(sample.report);
}
