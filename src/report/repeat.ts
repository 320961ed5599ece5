// `--count N --interval D`: one line per run as it ends, and at the end a table per stage (how often
// it passed, warned, failed or was not reached, and its latency percentiles over the runs that
// reached it) plus the failures by diagnosis id. Pure: reports in, text out.

import type { RunReport, StageName } from '../model.js';
import { orderedStages } from './stages.js';

export interface StageTally {
  name: StageName;
  pass: number;
  warn: number;
  fail: number;
  notReached: number;
  /** Latencies of the runs that reached the stage, ms, ascending. */
  latenciesMs: number[];
}

export interface RepeatSummary {
  runs: number;
  passed: number;
  stages: StageTally[];
  /** Whole-run latencies, ms, ascending. */
  totalMs: number[];
  /** `stage diagnosis-id` -> how many runs ended there, most frequent first. */
  failures: Array<{ stage: StageName; diagnosis: string; runs: number }>;
}

export const SUMMARY_PERCENTILES = [50, 90, 99] as const;

/** Nearest-rank percentile of an ascending list (p in 0..100); NaN for an empty list. */
export function percentile(ascending: readonly number[], p: number): number {
  if (ascending.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * ascending.length));
  return ascending[Math.min(rank, ascending.length) - 1] ?? Number.NaN;
}

export function summariseRuns(reports: readonly RunReport[]): RepeatSummary {
  const tallies = new Map<StageName, StageTally>();
  const failures = new Map<string, { stage: StageName; diagnosis: string; runs: number }>();
  for (const report of reports) {
    for (const stage of orderedStages(report)) {
      let tally = tallies.get(stage.name);
      if (!tally) {
        tally = { name: stage.name, pass: 0, warn: 0, fail: 0, notReached: 0, latenciesMs: [] };
        tallies.set(stage.name, tally);
      }
      if (stage.status === 'pass' || stage.status === 'warn' || stage.status === 'fail') {
        tally[stage.status] += 1;
        tally.latenciesMs.push(stage.ms);
      } else tally.notReached += 1;
      if (stage.status === 'fail') {
        const diagnosis = stage.diagnosis?.id ?? stage.error?.observation ?? 'unclassified';
        const key = `${stage.name} ${diagnosis}`;
        const entry = failures.get(key) ?? { stage: stage.name, diagnosis, runs: 0 };
        entry.runs += 1;
        failures.set(key, entry);
      }
    }
  }
  const ascending = (values: number[]): number[] => [...values].sort((a, b) => a - b);
  return {
    runs: reports.length,
    passed: reports.filter((report) => report.result === 'Success').length,
    stages: [...tallies.values()].map((tally) => ({ ...tally, latenciesMs: ascending(tally.latenciesMs) })),
    totalMs: ascending(reports.map((report) => report.latencyMs)),
    failures: [...failures.values()].sort((a, b) => b.runs - a.runs),
  };
}

/** The line printed when run `index` (1-based) of `count` ends. */
export function renderRunLine(index: number, count: number, report: RunReport): string {
  const width = String(count).length;
  const head = `run ${String(index).padStart(width)}/${count}  ${report.startedAt}  ${(report.latencyMs / 1000).toFixed(3).padStart(8)} s  `;
  const failed = report.stages.find((stage) => stage.status === 'fail');
  if (report.result === 'Success') {
    const warned = report.stages.filter((stage) => stage.status === 'warn').map((stage) => `${stage.name} ${stage.diagnosis?.id ?? 'warning'}`);
    return `${head}pass${warned.length > 0 ? `  (warn: ${warned.join(', ')})` : ''}\n`;
  }
  if (report.result === 'Interrupted') return `${head}interrupted\n`;
  return `${head}FAIL ${failed?.name ?? '?'}: ${failed?.diagnosis?.id ?? failed?.error?.observation ?? report.error}\n`;
}

function ms(value: number): string {
  return Number.isNaN(value) ? '-' : String(Math.round(value));
}

/** The end-of-loop summary; `stopped` says why the loop ended before N runs, if it did. */
export function renderRepeatSummary(summary: RepeatSummary, requested: number, stopped?: string): string {
  const lines: string[] = [];
  lines.push(
    `${summary.runs} of ${requested} run(s): ${summary.passed} passed, ${summary.runs - summary.passed} failed${stopped ? `; stopped early: ${stopped}` : ''}`,
  );
  const header = ['stage', 'pass', 'warn', 'fail', 'not-run', ...SUMMARY_PERCENTILES.map((p) => `p${p} ms`), 'max ms'];
  const rows = summary.stages.map((tally) => [
    tally.name,
    String(tally.pass),
    String(tally.warn),
    String(tally.fail),
    String(tally.notReached),
    ...SUMMARY_PERCENTILES.map((p) => ms(percentile(tally.latenciesMs, p))),
    ms(percentile(tally.latenciesMs, 100)),
  ]);
  rows.push(['total', String(summary.passed), '', String(summary.runs - summary.passed), '', ...SUMMARY_PERCENTILES.map((p) => ms(percentile(summary.totalMs, p))), ms(percentile(summary.totalMs, 100))]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const format = (row: readonly string[]): string =>
    row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ').trimEnd();
  lines.push(format(header), ...rows.map(format));
  if (summary.failures.length > 0) {
    lines.push('failures:');
    for (const failure of summary.failures) lines.push(`  ${failure.runs} x ${failure.stage}: ${failure.diagnosis}`);
  }
  return `${lines.join('\n')}\n`;
}
