// The cmdlet's summary object, printed the way PowerShell's Format-List prints it, and the failure
// detail block of diagnosis.md 0.1 (stage, id, also possible, Diagnosis line, CHECK list, evidence).

import { formatLatency } from './latency.js';
import type { Diagnosis, Evidence, RunReport, StageReport } from '../model.js';
import { SUMMARY_CHECK_LINES } from '../diagnosis/classify.js';
import { failedStage, orderedStages } from './stages.js';
import { paint, PLAIN, type TerminalStyle } from './style.js';

export interface SummaryFields {
  TargetUri: string;
  TargetFqdn: string;
  Result: RunReport['result'];
  Latency: string;
  Error: string;
  /**
   * The top CHECK lines of the failing stage, ranked by what was observed (a screenful); the full
   * list is in -v, --json and the trace.
   */
  Diagnosis: string[];
}

/** The summary's CHECK lines; a diagnosis made before briefCheck existed (a stored report) shows its first lines. */
function briefCheckOf(diagnosis: Diagnosis | undefined): string[] {
  if (!diagnosis) return [];
  return [...(diagnosis.briefCheck ?? diagnosis.check.slice(0, SUMMARY_CHECK_LINES))];
}

export function summaryFields(report: RunReport): SummaryFields {
  const failed = failedStage(report);
  const error = report.error || (failed?.diagnosis ? `${failed.diagnosis.id}: ${failed.diagnosis.summary}` : '');
  return {
    TargetUri: report.targetUri,
    TargetFqdn: report.targetFqdn,
    Result: report.result,
    Latency: formatLatency(report.latencyMs),
    Error: report.result === 'Success' ? '' : error,
    Diagnosis: report.result === 'Success' ? [] : briefCheckOf(failed?.diagnosis),
  };
}

/**
 * Format-List layout: a blank line, `Name : value` with names padded to the longest, continuation
 * lines indented under the value, a blank line after.
 */
export function formatList(fields: ReadonlyArray<readonly [string, string | readonly string[]]>): string {
  const width = Math.max(...fields.map(([name]) => name.length));
  const indent = ' '.repeat(width + 3);
  const lines = fields.map(([name, value]) => {
    const head = `${name.padEnd(width)} :`;
    const valueLines = typeof value === 'string' ? value.split('\n') : value.map((item) => `- ${item}`);
    const [first = '', ...rest] = valueLines;
    return [first ? `${head} ${first}` : head, ...rest.map((line) => `${indent}${line}`)].join('\n');
  });
  return `\n${lines.join('\n')}\n\n`;
}

/** The summary block for stdout. */
export function renderSummary(report: RunReport): string {
  const fields = summaryFields(report);
  return formatList([
    ['TargetUri', fields.TargetUri],
    ['TargetFqdn', fields.TargetFqdn],
    ['Result', fields.Result],
    ['Latency', fields.Latency],
    ['Error', fields.Error],
    ['Diagnosis', fields.Diagnosis],
  ]);
}

/** key=value, quoting values with spaces or quotes so the line stays machine-splittable. */
function formatPair(key: string, value: Evidence[string]): string {
  const text = Array.isArray(value) ? value.join(',') : String(value);
  return /[\s"=]/.test(text) || text === '' ? `${key}=${JSON.stringify(text)}` : `${key}=${text}`;
}

export function formatEvidence(evidence: Evidence): string {
  return Object.entries(evidence)
    .map(([key, value]) => formatPair(key, value))
    .join(' ');
}

export interface DetailOptions {
  /**
   * Print the full CHECK list here (-v). Without it the list is left to the summary's Diagnosis
   * lines, so no CHECK item is printed twice.
   */
  fullCheck?: boolean;
}

/** The block for one failed (or warned) stage, as in diagnosis.md 0.1. */
export function renderStageDetail(stage: StageReport, style: TerminalStyle = PLAIN, options: DetailOptions = {}): string {
  const diagnosis = stage.diagnosis;
  if (!diagnosis) return '';
  const label = stage.status === 'fail' ? paint(style, 'red', 'FAIL') : paint(style, 'yellow', 'WARN');
  const also = diagnosis.alsoPossible.length > 0 ? `   (also possible: ${diagnosis.alsoPossible.join(', ')})` : '';
  const lines = [`${label}  ${stage.name}  ${paint(style, 'bold', diagnosis.id)}${also}`, `  ${diagnosis.summary}`];
  if (options.fullCheck && diagnosis.check.length > 0) {
    lines.push('  CHECK:', ...diagnosis.check.map((item) => `  - ${item}`));
  } else if (diagnosis.check.length > (diagnosis.briefCheck?.length ?? 0) && stage.status === 'fail') {
    lines.push(`  CHECK: the top ${diagnosis.briefCheck?.length ?? 0} of ${diagnosis.check.length} in Diagnosis below; all of them with -v or --json`);
  }
  if (stage.error) {
    lines.push(`  observed: ${stage.error.message} [${stage.error.observation}]`);
    const server = Object.entries(stage.error.server ?? {});
    if (server.length > 0) lines.push(`  server: ${server.map(([key, value]) => formatPair(key, value)).join(' ')}`);
  }
  const evidence = formatEvidence(stage.evidence);
  if (evidence) lines.push(`  evidence: ${evidence}`);
  for (const note of stage.notes) lines.push(`  note: ${note}`);
  return `${lines.join('\n')}\n`;
}

/** Detail blocks for every failed or warned stage with a diagnosis, in run order. */
export function renderFindings(report: RunReport, style: TerminalStyle = PLAIN, options: DetailOptions = {}): string {
  return orderedStages(report)
    .filter((stage) => (stage.status === 'fail' || stage.status === 'warn') && stage.diagnosis)
    // A warning has no summary Diagnosis lines, so its CHECK list is always printed here.
    .map((stage) => renderStageDetail(stage, style, stage.status === 'warn' ? { fullCheck: true } : options))
    .join('\n');
}
