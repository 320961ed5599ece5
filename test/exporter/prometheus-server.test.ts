// A real Prometheus (Debian package `prometheus`, binary run directly, not as a service) scrapes the
// exporter with the multi-target pattern (docs/exporter/prometheus.yml) against the lab; its HTTP API must then
// hold probe_success and the per-stage series for each target, and the exporter's own metrics.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Lab } from '../../src/lab/pool.js';
import { STAGE_NAMES } from '../../src/model.js';
import { startLab } from '../e2e/helpers.js';
import { describeWithTool, prometheusMissing, promtoolMissing, runTool } from '../helpers/promtool.js';
import { configYaml, httpGet, moduleYaml, startLabExporter, type LabExporter } from './helpers.js';

interface VectorResult {
  metric: Record<string, string>;
  value: [number, string];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The scrape configuration an operator would write (relabelling target -> __param_target -> instance). */
function scrapeConfig(exporterAddress: string, targets: string[]): string {
  return `global:
  scrape_interval: 2s
  scrape_timeout: 2s
scrape_configs:
  - job_name: phone_bootstrap
    metrics_path: /probe
    params:
      module: [lab]
    static_configs:
      - targets: [${targets.map((target) => `'${target}'`).join(', ')}]
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: ${exporterAddress}
  - job_name: phone_bootstrap_exporter
    static_configs:
      - targets: ['${exporterAddress}']
`;
}

const missing = prometheusMissing ?? promtoolMissing;

describeWithTool(missing, 'a real Prometheus scraping the exporter', () => {
  let lab: Lab;
  let exporter: LabExporter;
  let prometheus: ChildProcess | undefined;
  let dir = '';
  let apiUrl = '';
  const prometheusOutput: string[] = [];
  let targets: string[] = [];

  beforeAll(async () => {
    lab = await startLab({});
    exporter = await startLabExporter(lab, configYaml([moduleYaml(lab, { minInterval: '1s' })]));
    dir = await mkdtemp(join(tmpdir(), 'bt-prometheus-'));
    targets = ['dhcp', `https://${lab.fqdn}:${lab.ports.https}/CertProv/CertProvisioningService.svc`];
    const configFile = join(dir, 'prometheus.yml');
    await writeFile(configFile, scrapeConfig(`127.0.0.1:${exporter.exporter.port}`, targets));
    const checked = await runTool('promtool', ['check', 'config', configFile]);
    expect(checked.code, `${checked.stdout}${checked.stderr}`).toBe(0);
    const port = await freePort();
    apiUrl = `http://127.0.0.1:${port}/api/v1`;
    prometheus = spawn('prometheus', [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prometheus.stdout?.on('data', (chunk: Buffer) => prometheusOutput.push(chunk.toString()));
    prometheus.stderr?.on('data', (chunk: Buffer) => prometheusOutput.push(chunk.toString()));
  }, 60_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus?.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await Promise.race([exited, delay(10_000)]);
    }
    await exporter?.stop();
    await lab?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function query(expression: string): Promise<VectorResult[]> {
    const reply = await httpGet(`${apiUrl}/query?query=${encodeURIComponent(expression)}`, { timeoutMs: 5000 });
    const body = JSON.parse(reply.text) as { status: string; data: { result: VectorResult[] } };
    expect(body.status).toBe('success');
    return body.data.result;
  }

  /** Queries until `accept` holds (Prometheus needs a few scrape intervals), within a bounded wait. */
  async function queryUntil(expression: string, accept: (result: VectorResult[]) => boolean): Promise<VectorResult[]> {
    const until = Date.now() + 60_000;
    let last: VectorResult[] = [];
    for (;;) {
      try {
        last = await query(expression);
        if (accept(last)) return last;
      } catch {
        // not up yet
      }
      if (Date.now() > until) throw new Error(`Prometheus never had ${expression}: last ${JSON.stringify(last)}\n${prometheusOutput.join('').slice(-2000)}`);
      await delay(500);
    }
  }

  it('has probe_success 1 for each target, every stage series, and the exporter up', async () => {
    const success = await queryUntil('probe_success{job="phone_bootstrap"} == 1', (result) => result.length === targets.length);
    expect(success.map((series) => series.metric.instance).sort()).toEqual([...targets].sort());
    expect(success.every((series) => series.metric.module === undefined)).toBe(true);

    const stages = await query('probe_phone_bootstrap_stage_duration_seconds{job="phone_bootstrap"}');
    for (const target of targets) {
      const forTarget = stages.filter((series) => series.metric.instance === target).map((series) => series.metric.stage).sort();
      expect(forTarget).toEqual([...STAGE_NAMES].sort());
    }
    // One current result per stage and target; none failed (with a pool URL as target, discover is skipped).
    const current = await query('probe_phone_bootstrap_stage_result{job="phone_bootstrap"} == 1');
    expect(current.length).toBe(STAGE_NAMES.length * targets.length);
    expect(current.filter((series) => series.metric.result === 'fail')).toEqual([]);

    const up = await queryUntil('up{job="phone_bootstrap_exporter"} == 1', (result) => result.length === 1);
    expect(up).toHaveLength(1);
    // scrape_timeout 2s arrived as X-Prometheus-Scrape-Timeout-Seconds: the exporter waited 2 s minus its 100 ms margin.
    expect(exporter.logs.some((line) => line.includes('module=lab') && line.includes(' wait=1900ms '))).toBe(true);
    const probes = await queryUntil('phone_bootstrap_exporter_probes_total{result="success"}', (result) => Number(result[0]?.value[1] ?? 0) >= 2);
    expect(Number(probes[0]?.value[1])).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
