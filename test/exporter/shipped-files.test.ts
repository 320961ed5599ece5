// The files shipped in docs/exporter: the example exporter configuration parses, the Prometheus
// configuration and the alerting rules pass promtool, and the modules they name exist.

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseExporterConfig } from '../../src/exporter/config.js';
import { describeWithTool, promtoolMissing, runTool } from '../helpers/promtool.js';

const DOCS = fileURLToPath(new URL('../../docs/exporter/', import.meta.url));

async function exampleConfig() {
  const text = await readFile(`${DOCS}exporter.yml`, 'utf8');
  return parseExporterConfig(text, 'exporter.yml', {
    env: { BOOTSTRAP_PIN_7501: '13579', BOOTSTRAP_PIN_7503: '13579' },
    readFile: async (path) => {
      expect(['/etc/bootstrap-test/7501.pin', '/etc/bootstrap-test/7502.pin']).toContain(path);
      return '13579\n';
    },
  });
}

describe('docs/exporter/exporter.yml', () => {
  it('is a valid configuration and defines every module the Prometheus example scrapes', async () => {
    const { config } = await exampleConfig();
    const prometheusYml = await readFile(`${DOCS}prometheus.yml`, 'utf8');
    const scraped = [...prometheusYml.matchAll(/module: \[([A-Za-z0-9_-]+)\]/g)].map((match) => match[1]);
    expect(scraped.length).toBeGreaterThan(0);
    for (const module of scraped) expect(config.modules.has(module ?? '')).toBe(true);
  });

  it('shows certificate reuse and a stage selection', async () => {
    const { config } = await exampleConfig();
    expect(config.modules.get('site_a_frequent')?.reuse).toEqual({ fullIntervalMs: 86_400_000, minValidityMs: 3_600_000, stateDir: '/var/lib/bootstrap-test' });
    expect(config.modules.get('site_a_anonymous')?.stages).toEqual(['discover', 'rootchain']);
  });
});

describeWithTool(promtoolMissing, 'shipped Prometheus files under promtool', () => {
  it('promtool check config docs/exporter/prometheus.yml (with its rule file)', async () => {
    const checked = await runTool('promtool', ['check', 'config', `${DOCS}prometheus.yml`]);
    expect(checked.code, `${checked.stdout}${checked.stderr}`).toBe(0);
    expect(checked.stdout).toContain('SUCCESS: 1 rule files found');
  });

  it('promtool check rules docs/exporter/alerts.yml: sign-in failing, PIN latched, certificate expiring, clock skew', async () => {
    const checked = await runTool('promtool', ['check', 'rules', `${DOCS}alerts.yml`]);
    expect(checked.code, `${checked.stdout}${checked.stderr}`).toBe(0);
    const text = await readFile(`${DOCS}alerts.yml`, 'utf8');
    for (const alert of ['PhoneSignInFailing', 'PhoneSignInPinLatched', 'PhoneBootstrapCertificateExpiring', 'PhoneBootstrapClockSkew']) expect(text).toContain(`alert: ${alert}`);
  });
});
