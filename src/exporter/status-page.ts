// The exporter's `/` page: modules, latches and recent probes, as plain HTML (no scripts). Text that
// came from a server is escaped here; the caller passes the page through the PIN redactor.

import type { ExporterConfig } from './config.js';
import type { ProbeRecord } from './coordinator.js';

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function row(cells: readonly string[], header = false): string {
  const tag = header ? 'th' : 'td';
  return `<tr>${cells.map((cell) => `<${tag}>${escapeHtml(cell)}</${tag}>`).join('')}</tr>`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}

function failingStage(record: ProbeRecord): string {
  const failed = record.report.stages.find((stage) => stage.status === 'fail');
  return failed ? `${failed.name}: ${failed.diagnosis?.id ?? failed.summary}` : '';
}

export interface StatusPageInput {
  config: ExporterConfig;
  latched: (module: string) => boolean;
  recent: readonly ProbeRecord[];
  version: string;
}

export function renderStatusPage(input: StatusPageInput): string {
  const modules = [...input.config.modules.values()].map((module) =>
    row([
      module.name,
      module.account.extension,
      module.account.pinSource,
      module.account.expectedSipUri ?? '',
      module.discovery.targetUri ?? module.discovery.targetFqdn ?? (module.discovery.dhcp.interfaceName ? `dhcp:${module.discovery.dhcp.interfaceName}` : 'dhcp'),
      seconds(module.budgets.timeoutMs),
      seconds(module.budgets.minIntervalMs),
      input.latched(module.name) ? 'LATCHED: no PIN is sent (POST /-/unlatch?module=' + module.name + ')' : 'no',
    ]),
  );
  const probes = input.recent.map((record) =>
    row([
      new Date(record.finishedAtMs).toISOString(),
      record.module,
      record.target,
      record.report.result,
      failingStage(record),
      seconds(record.report.latencyMs),
      seconds(record.queueMs),
      `${record.pinUses}${record.pinRejected ? ' (refused: account latched)' : ''}`,
    ]),
  );
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8"><title>bootstrap-test exporter</title>',
    '<style>body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 6px;text-align:left}</style>',
    '</head><body>',
    `<h1>bootstrap-test exporter ${escapeHtml(input.version)}</h1>`,
    '<p><a href="/metrics">Exporter metrics</a>. Probe with <code>/probe?module=NAME&amp;target=dhcp|FQDN|URL</code> (add <code>&amp;debug=true</code> for the log).</p>',
    '<h2>Modules</h2><table>',
    row(['module', 'extension', 'PIN from', 'expected SIP URI', 'discovery', 'timeout', 'min interval', 'latched'], true),
    ...modules,
    '</table>',
    '<h2>Recent probes</h2><table>',
    row(['finished', 'module', 'target', 'result', 'failing stage', 'duration', 'queued', 'PIN uses'], true),
    ...probes,
    '</table></body></html>',
    '',
  ].join('\n');
}
