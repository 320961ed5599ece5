// One-shot outputs for other schedulers, called by the bootstrap command after a run:
// `--nagios` (Monitoring Plugins text on stdout, the plugin state as exit code) and
// `--format prometheus --output FILE` (a node_exporter textfile, written atomically), and the
// `--count N --interval D` loop's settings. The flags are checked here so the command only has to
// pass them through.

import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalEnvironmentError, UsageError } from '../errors.js';
import { NAGIOS } from '../diagnosis/status.js';
import { parseDurationMs } from './dhcp.js';
import { parseWholeNumber } from './values.js';
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

/** `--count N --interval D`: N runs, each starting D after the previous one started. */
export interface RepeatMode {
  count: number;
  intervalMs: number;
}

/** --interval when not given: often enough to catch a flapping pool, rare enough to spare it. */
export const DEFAULT_INTERVAL = '10s';

/** Most runs one --count may ask for: enough for a day at one a minute, not an accidental flood. */
export const MAX_COUNT = 10_000;

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

/** Checks --count/--interval; undefined without --count. A loop writes a summary, not a plugin line or a textfile. */
export function repeatModeFrom(options: { count?: string; interval?: string; json?: boolean }, oneShot: OneShotMode): RepeatMode | undefined {
  if (options.count === undefined) {
    if (options.interval !== undefined) throw new UsageError('--interval needs --count N');
    return undefined;
  }
  const count = parseWholeNumber('--count', options.count, 1, MAX_COUNT);
  if (oneShot.kind !== 'none') throw new UsageError(`--count and --${oneShot.kind === 'nagios' ? 'nagios' : 'format'} exclude each other (a scheduler runs one check per start)`);
  if (options.json) throw new UsageError('--count and --json exclude each other (--count prints a summary table)');
  return { count, intervalMs: parseDurationMs('--interval', options.interval ?? DEFAULT_INTERVAL) };
}

/**
 * The textfile of one account: --output as given, or, when it names a directory, a file named after
 * the extension in it (the collector reads every *.prom, one per account). The account is a constant
 * label unless --label sets it, so files of several accounts never hold the same series.
 */
export async function textfileForAccount(mode: Extract<OneShotMode, { kind: 'textfile' }>, phoneOrExt: string): Promise<Extract<OneShotMode, { kind: 'textfile' }>> {
  const isDirectory = await stat(mode.path).then(
    (info) => info.isDirectory(),
    () => false,
  );
  const path = isDirectory ? join(mode.path, `phone_bootstrap_${phoneOrExt.replace(/^\+/, '')}.prom`) : mode.path;
  return { kind: 'textfile', path, labels: { account: phoneOrExt, ...mode.labels } };
}

/** The plugin's answer when it could not check at all (bad options, this host): UNKNOWN, exit 3. */
export function nagiosUnknown(message: string): { text: string; state: typeof NAGIOS.unknown } {
  return { text: `BOOTSTRAP UNKNOWN - ${message.replace(/[\r\n]+/g, ' ').replace(/\|/g, '/')}\n`, state: NAGIOS.unknown };
}

/**
 * Writes the one-shot output of a finished run and returns the exit code it calls for: the plugin
 * state for --nagios, the run's own exit code (`runExitCode`) for a textfile.
 */
export async function emitOneShot(
  mode: Exclude<OneShotMode, { kind: 'none' }>,
  sample: ProbeSample,
  stdout: NodeJS.WritableStream,
  now: Date,
  runExitCode: number,
): Promise<number> {
  if (mode.kind === 'nagios') {
    const output = renderNagios(sample, mode.thresholds, now);
    stdout.write(output.text);
    return output.state;
  }
  const text = renderProbeMetrics({ ...sample, lastRunTimestampSeconds: now.getTime() / 1000 }, mode.labels);
  try {
    await writeTextfileAtomically(mode.path, text);
  } catch (error) {
    throw new LocalEnvironmentError(`--output: cannot write "${mode.path}" (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return runExitCode;
}
