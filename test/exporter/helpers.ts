// An exporter configured against an in-process lab pool: the module's DHCP goes unicast to the lab's
// responder from an ephemeral port, and --resolve-style rules send the lab FQDN to loopback.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { loadExporterConfigFile } from '../../src/exporter/config.js';
import { startExporter, type ExporterDependencies, type RunningExporter } from '../../src/exporter/server.js';
import type { Lab } from '../../src/lab/pool.js';
import { sharedKeyPair } from '../e2e/helpers.js';

export const PIN_VARIABLE = 'EXPORTER_TEST_PIN';

export interface ModuleYaml {
  name?: string;
  minInterval?: string;
  timeout?: string;
  pinEnv?: string;
  extension?: string;
  extra?: string;
}

/** One module block for `lab`; `extra` lines are appended inside the module (already indented by 4). */
export function moduleYaml(lab: Lab, options: ModuleYaml = {}): string {
  return [
    `  ${options.name ?? 'lab'}:`,
    '    account:',
    `      extension: "${options.extension ?? lab.sampleUser.phoneOrExt}"`,
    `      pin_env: ${options.pinEnv ?? PIN_VARIABLE}`,
    `      expected_sip_uri: ${lab.sampleUser.sipUri}`,
    '    discovery:',
    '      dhcp:',
    `        server: 127.0.0.1:${lab.ports.dhcp}`,
    '        client_port: 0',
    '        timeout: 3s',
    '        listen: 150ms',
    `      dns_server: 127.0.0.1:${lab.ports.dns}`,
    '    budgets:',
    `      timeout: ${options.timeout ?? '30s'}`,
    `      min_interval: ${options.minInterval ?? '1ms'}`,
    '    trust:',
    '      resolve:',
    `        - "${lab.fqdn}:80=127.0.0.1:${lab.ports.http}"`,
    `        - "${lab.fqdn}=127.0.0.1"`,
    ...(options.extra ? [options.extra] : []),
  ].join('\n');
}

export function configYaml(modules: string[], top = 'concurrency: 4\nscrape_timeout_margin: 100ms\n'): string {
  return `${top}modules:\n${modules.join('\n')}\n`;
}

export interface LabExporter {
  exporter: RunningExporter;
  configFile: string;
  env: NodeJS.ProcessEnv;
  logs: string[];
  writeConfig(text: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startLabExporter(lab: Lab, yaml: string, overrides: Partial<ExporterDependencies> = {}, env: NodeJS.ProcessEnv = {}): Promise<LabExporter> {
  const dir = await mkdtemp(join(tmpdir(), 'bt-exporter-'));
  const configFile = join(dir, 'exporter.yml');
  await writeFile(configFile, yaml);
  const fullEnv = { [PIN_VARIABLE]: lab.sampleUser.pin ?? '', ...env };
  const logs: string[] = [];
  const loadConfig = () => loadExporterConfigFile(configFile, fullEnv);
  const exporter = await startExporter(await loadConfig(), {
    host: '127.0.0.1',
    port: 0,
    loadConfig,
    keyPair: sharedKeyPair(),
    log: (line) => logs.push(line),
    version: 'test',
    ...overrides,
  });
  return {
    exporter,
    configFile,
    env: fullEnv,
    logs,
    writeConfig: (text) => writeFile(configFile, text),
    stop: async () => {
      await exporter.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface HttpReply {
  status: number;
  contentType: string;
  text: string;
}

/** One HTTP request to the exporter, on its own connection, within `timeoutMs`. */
export function httpGet(url: string, options: { method?: string; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(options.timeoutMs ?? 60_000, () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

export function probeUrl(exporter: RunningExporter, module: string, target: string, extra = ''): string {
  return `${exporter.url}/probe?module=${encodeURIComponent(module)}&target=${encodeURIComponent(target)}${extra}`;
}

/** PIN-bearing requests the lab has answered. */
export function labPinRequests(lab: Lab): number {
  return lab.stats.requests.byPath[new URL(lab.urls.webTicketPin).pathname] ?? 0;
}
