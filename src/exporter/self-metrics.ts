// The exporter's own /metrics: what it ran, how scrapes were answered, how long probes queued, which
// accounts are latched, and whether the last configuration reload worked. Label values are bounded:
// results, served kinds and configured module names.

import { renderExposition, type MetricFamily } from '../report/prometheus.js';
import { QUEUE_BUCKETS, SERVED_KINDS, type CoordinatorStats } from './coordinator.js';

const PREFIX = 'phone_bootstrap_exporter';

export interface ExporterState {
  stats: CoordinatorStats;
  /** Every configured module and whether its account is latched. */
  latched: ReadonlyArray<{ module: string; latched: boolean }>;
  moduleUnknown: number;
  lastReloadSuccessful: boolean;
  lastReloadSuccessSeconds: number;
  residentMemoryBytes: number;
  cpuSeconds: number;
}

export function renderExporterMetrics(state: ExporterState): string {
  const { stats } = state;
  const wait = stats.queueWait;
  const families: MetricFamily[] = [
    {
      name: `${PREFIX}_probes_total`,
      help: 'Bootstrap runs the exporter started, by result.',
      type: 'counter',
      samples: [
        { labels: { result: 'success' }, value: stats.probesByResult.success },
        { labels: { result: 'failure' }, value: stats.probesByResult.failure },
      ],
    },
    {
      name: `${PREFIX}_scrapes_total`,
      help: 'Probe requests answered, by how: a run started (fresh) or joined, the cache, the latch, an older result (stale) or none yet (pending).',
      type: 'counter',
      samples: SERVED_KINDS.map((served) => ({ labels: { served }, value: stats.scrapesByKind[served] })),
    },
    { name: `${PREFIX}_module_unknown_total`, help: 'Probe requests naming a module that is not configured.', type: 'counter', samples: [{ value: state.moduleUnknown }] },
    { name: `${PREFIX}_pin_uses_total`, help: 'Requests that carried a PIN, over all accounts.', type: 'counter', samples: [{ value: stats.pinUses }] },
    { name: `${PREFIX}_probes_running`, help: 'Bootstrap runs in progress.', type: 'gauge', samples: [{ value: stats.running }] },
    { name: `${PREFIX}_probes_queued`, help: 'Bootstrap runs waiting for a free slot (concurrency limit).', type: 'gauge', samples: [{ value: stats.queued }] },
    {
      name: `${PREFIX}_queue_wait_seconds`,
      help: 'Time runs waited for a free slot before starting.',
      type: 'histogram',
      samples: [
        ...QUEUE_BUCKETS.map((bound, index) => ({ suffix: '_bucket' as const, labels: { le: String(bound) }, value: wait.buckets[index] ?? 0 })),
        { suffix: '_bucket', labels: { le: '+Inf' }, value: wait.count },
        { suffix: '_sum', value: wait.sum },
        { suffix: '_count', value: wait.count },
      ],
    },
    {
      name: `${PREFIX}_account_latched`,
      help: 'Whether the module account is latched after a PIN rejection (no PIN is sent until unlatched or reconfigured).',
      type: 'gauge',
      samples: state.latched.map(({ module, latched }) => ({ labels: { module }, value: latched ? 1 : 0 })),
    },
    { name: `${PREFIX}_config_last_reload_successful`, help: 'Whether the last configuration load succeeded.', type: 'gauge', samples: [{ value: state.lastReloadSuccessful ? 1 : 0 }] },
    {
      name: `${PREFIX}_config_last_reload_success_timestamp_seconds`,
      help: 'When the configuration was last loaded successfully, as a Unix timestamp.',
      type: 'gauge',
      samples: [{ value: state.lastReloadSuccessSeconds }],
    },
    { name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes.', type: 'gauge', samples: [{ value: state.residentMemoryBytes }] },
    { name: 'process_cpu_seconds_total', help: 'Total user and system CPU time spent in seconds.', type: 'counter', samples: [{ value: state.cpuSeconds }] },
  ];
  return renderExposition(families);
}
