// The cmdlet's summary object, printed the way PowerShell's Format-List prints it, and the failure
// detail block of diagnosis.md 0.1 (stage, id, also possible, Diagnosis line, CHECK list, evidence).

import { formatLatency } from './latency.js';
import type { Evidence, RunReport, StageReport } from '../model.js';
import { failedStage, orderedStages } from './stages.js';
import { paint, PLAIN, type TerminalStyle } from './style.js';

export interface SummaryFields {
  TargetUri: string;
  TargetFqdn: string;
  Result: RunReport['result'];
  Latency: string;
  Error: string;
  /** The CHECK list of the failing stage, one item per line. */
  Diagnosis: string[];
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
    Diagnosis: report.result === 'Success' ? [] : [...(failed?.diagnosis?.check ?? [])],
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

/** The block for one failed (or warned) stage, as in diagnosis.md 0.1. */
export function renderStageDetail(stage: StageReport, style: TerminalStyle = PLAIN): string {
  const diagnosis = stage.diagnosis;
  if (!diagnosis) return '';
  const label = stage.status === 'fail' ? paint(style, 'red', 'FAIL') : paint(style, 'yellow', 'WARN');
  const also = diagnosis.alsoPossible.length > 0 ? `   (also possible: ${diagnosis.alsoPossible.join(', ')})` : '';
  const lines = [`${label}  ${stage.name}  ${paint(style, 'bold', diagnosis.id)}${also}`, `  ${diagnosis.summary}`];
  if (diagnosis.check.length > 0) {
    lines.push('  CHECK:', ...diagnosis.check.map((item) => `  - ${item}`));
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
export function renderFindings(report: RunReport, style: TerminalStyle = PLAIN): string {
  return orderedStages(report)
    .filter((stage) => (stage.status === 'fail' || stage.status === 'warn') && stage.diagnosis)
    .map((stage) => renderStageDetail(stage, style))
    .join('\n');
}
