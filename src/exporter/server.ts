// The long-running exporter in the blackbox_exporter style:
//   GET  /probe?module=NAME&target=T[&debug=true]  one probe (or its cached result) as Prometheus text
//   GET  /metrics                                   the exporter's own metrics
//   GET  /                                          status page (modules, latches, recent probes)
//   POST /-/reload                                  re-read the configuration (also on SIGHUP, by the CLI)
//   POST /-/unlatch?module=NAME                     allow PINs again for a latched account
// Metrics bodies hold only bounded labels and numbers; the free-text bodies (debug log, status page)
// go through the PIN redactor before they leave.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRedactor, type Redactor } from '../report/redact.js';
import { renderProbeMetrics } from '../report/prometheus.js';
import type { KeyPair } from '../pki/keys.js';
import type { LoadedConfig, ModuleConfig } from './config.js';
import { pendingReport, ProbeCoordinator, type ProbeRunner, type ServedProbe } from './coordinator.js';
import { parseProbeTarget, runModuleProbe, TargetError } from './probe-run.js';
import { CertificateStore } from './certificate-reuse.js';
import { renderExporterMetrics } from './self-metrics.js';
import { renderStatusPage } from './status-page.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface ExporterDependencies {
  host: string;
  /** 0 = any free port. */
  port: number;
  /** Reads the configuration again (file and PINs); a rejection keeps the running configuration. */
  loadConfig: () => Promise<LoadedConfig>;
  /** Runs one probe; default: the real bootstrap pipeline. */
  runProbe?: ProbeRunner;
  /** Reused RSA key pair instead of one per probe. */
  keyPair?: Promise<KeyPair>;
  /** One line per probe, reload and unlatch; never a PIN. */
  log?: (line: string) => void;
  now?: () => number;
  version?: string;
}

export interface ReloadOutcome {
  ok: boolean;
  message: string;
}

export interface RunningExporter {
  readonly port: number;
  readonly url: string;
  readonly coordinator: ProbeCoordinator;
  reload(): Promise<ReloadOutcome>;
  stop(): Promise<void>;
}

/** The scrape's own deadline minus a margin, so the answer beats Prometheus' timeout. */
export function scrapeWaitMs(header: string | string[] | undefined, defaultMs: number, marginMs: number): number {
  const text = Array.isArray(header) ? header[0] : header;
  const seconds = text === undefined ? Number.NaN : Number(text);
  const budget = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : defaultMs;
  return Math.max(0, budget - marginMs);
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  response.end(body);
}

function plain(response: ServerResponse, status: number, text: string): void {
  send(response, status, 'text/plain; charset=utf-8', `${text}\n`);
}

function redactorFor(loaded: LoadedConfig): Redactor {
  return createRedactor([...loaded.pins.values()]);
}

function debugText(served: ServedProbe, metrics: string): string {
  const record = served.record;
  const lines = [
    `Served: ${served.kind}${record ? ` (probe #${record.id}, ${served.ageSeconds.toFixed(1)} s old, queued ${Math.round(record.queueMs)} ms, PIN sent ${record.pinUses} time(s))` : ' (no result yet)'}`,
    ...(served.latched ? ['Account latched after a PIN rejection: no PIN is sent until POST /-/unlatch or a configuration change.'] : []),
    '',
    'Logs for the probe:',
    ...(record?.log ?? []).map((line) => `+${String(line.atMs).padStart(6)} ms ${line.stage.padEnd(13)} ${line.text}`),
    ...(record?.report.stages ?? []).map((stage) => `${stage.name}: ${stage.status} ${stage.ms} ms ${stage.summary}`),
    '',
    'Metrics that would have been returned:',
    metrics,
  ];
  return lines.join('\n');
}

export async function startExporter(initial: LoadedConfig, dependencies: ExporterDependencies): Promise<RunningExporter> {
  const now = dependencies.now ?? Date.now;
  let loaded = initial;
  let redact = redactorFor(loaded);
  const log = (line: string): void => dependencies.log?.(redact(line));
  let moduleUnknown = 0;
  let lastReloadSuccessful = true;
  let lastReloadSuccessMs = now();
  const certificates = new CertificateStore();
  const run: ProbeRunner =
    dependencies.runProbe ??
    ((module, target, pin) => runModuleProbe(module, target, pin, { certificates, now, ...(dependencies.keyPair ? { keyPair: dependencies.keyPair } : {}) }));
  const coordinator = new ProbeCoordinator({ concurrency: loaded.config.concurrency, recentProbes: loaded.config.recentProbes, run, now });

  const moduleNamed = (name: string | null): ModuleConfig | undefined => (name === null ? undefined : loaded.config.modules.get(name));

  async function handleProbe(url: URL, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const module = moduleNamed(url.searchParams.get('module'));
    if (!module) {
      moduleUnknown += 1;
      const name = url.searchParams.get('module');
      plain(response, 400, name === null ? 'module parameter is missing' : `unknown module "${name.slice(0, 100)}"`);
      return;
    }
    const targetText = url.searchParams.get('target');
    if (targetText === null || targetText.trim() === '') {
      plain(response, 400, 'target parameter is missing');
      return;
    }
    let target;
    try {
      target = parseProbeTarget(targetText, module);
    } catch (error) {
      if (error instanceof TargetError) {
        plain(response, 400, error.message);
        return;
      }
      throw error;
    }
    const pin = loaded.pins.get(module.name) ?? '';
    const waitMs = scrapeWaitMs(request.headers['x-prometheus-scrape-timeout-seconds'], loaded.config.defaultScrapeTimeoutMs, loaded.config.timeoutMarginMs);
    const served = await coordinator.probe({ module, pin, target, targetText, waitMs });
    const record = served.record;
    const metrics = renderProbeMetrics({
      report: record?.report ?? pendingReport(now()),
      connections: record?.connections ?? [],
      resultAgeSeconds: served.ageSeconds,
      pinLatched: served.latched,
    });
    log(`probe module=${module.name} target=${targetText} wait=${Math.round(waitMs)}ms served=${served.kind}${record ? ` #${record.id} ${record.report.result} ${Math.round(record.report.latencyMs)} ms` : ''}`);
    if (url.searchParams.get('debug') === 'true') plain(response, 200, redact(debugText(served, metrics)));
    else send(response, 200, PROMETHEUS_CONTENT_TYPE, metrics);
  }

  async function reload(): Promise<ReloadOutcome> {
    try {
      const next = await dependencies.loadConfig();
      loaded = next;
      redact = redactorFor(next);
      coordinator.reconfigure(next.config.concurrency, next.config.recentProbes, next.config.modules);
      lastReloadSuccessful = true;
      lastReloadSuccessMs = now();
      log(`configuration reloaded: ${next.config.modules.size} module(s)`);
      return { ok: true, message: 'configuration reloaded' };
    } catch (error) {
      lastReloadSuccessful = false;
      const message = `configuration not reloaded, the previous one stays in force: ${(error as Error).message}`;
      log(message);
      return { ok: false, message };
    }
  }

  function exporterMetrics(): string {
    const usage = process.cpuUsage();
    return renderExporterMetrics({
      stats: coordinator.snapshot(),
      latched: [...loaded.config.modules.values()].map((module) => ({ module: module.name, latched: coordinator.isLatched(module) })),
      moduleUnknown,
      lastReloadSuccessful,
      lastReloadSuccessSeconds: lastReloadSuccessMs / 1000,
      residentMemoryBytes: process.memoryUsage.rss(),
      cpuSeconds: (usage.user + usage.system) / 1e6,
    });
  }

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://exporter.invalid');
    const method = request.method ?? 'GET';
    const expect = (allowed: 'GET' | 'POST'): boolean => {
      if (method === allowed || (allowed === 'GET' && method === 'HEAD')) return true;
      response.setHeader('allow', allowed);
      plain(response, 405, `${url.pathname} takes ${allowed}`);
      return false;
    };
    switch (url.pathname) {
      case '/probe':
        if (expect('GET')) await handleProbe(url, request, response);
        return;
      case '/metrics':
        if (expect('GET')) send(response, 200, PROMETHEUS_CONTENT_TYPE, exporterMetrics());
        return;
      case '/':
        if (expect('GET')) {
          const page = renderStatusPage({
            config: loaded.config,
            latched: (name) => {
              const module = loaded.config.modules.get(name);
              return module !== undefined && coordinator.isLatched(module);
            },
            recent: coordinator.recentProbes(),
            version: dependencies.version ?? '',
          });
          send(response, 200, 'text/html; charset=utf-8', redact(page));
        }
        return;
      case '/-/reload':
        if (expect('POST')) {
          const outcome = await reload();
          plain(response, outcome.ok ? 200 : 500, outcome.message);
        }
        return;
      case '/-/unlatch': {
        if (!expect('POST')) return;
        const module = moduleNamed(url.searchParams.get('module'));
        if (!module) {
          plain(response, 400, 'unlatch needs module=<a configured module>');
          return;
        }
        const cleared = coordinator.unlatch(module);
        log(`unlatch module=${module.name}: ${cleared ? 'cleared' : 'was not latched'}`);
        plain(response, 200, cleared ? `account of module ${module.name} unlatched` : `account of module ${module.name} was not latched`);
        return;
      }
      default:
        plain(response, 404, 'not found: try /, /probe, /metrics');
    }
  }

  const server: Server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      log(`internal error on ${request.url ?? ''}: ${(error as Error).message}`);
      if (!response.headersSent) plain(response, 500, 'internal error');
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(dependencies.port, dependencies.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = dependencies.host.includes(':') ? `[${dependencies.host}]` : dependencies.host;
  return {
    port,
    url: `http://${hostForUrl}:${port}`,
    coordinator,
    reload,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
