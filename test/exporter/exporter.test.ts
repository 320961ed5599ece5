// The exporter against the in-process lab: /probe success and failure, the HTTP contract (400s,
// debug log, status page, reload, unlatch), promtool on /probe and /metrics, and the account-safety
// rules counted on the lab's side: concurrent scrapes cause one sign-in, a PIN rejection latches the
// account, a scrape timeout does not cut a PIN exchange.

import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { STAGE_NAMES } from '../../src/model.js';
import type { Lab } from '../../src/lab/pool.js';
import { startLab } from '../e2e/helpers.js';
import { expectLintClean, seriesOf } from '../helpers/promtool.js';
import { configYaml, httpGet, labPinRequests, moduleYaml, PIN_VARIABLE, probeUrl, startLabExporter, type LabExporter } from './helpers.js';

let lab: Lab;
let running: LabExporter | undefined;
const labLog: string[] = [];

beforeAll(async () => {
  lab = await startLab({ log: (line) => labLog.push(line) });
});
afterAll(async () => {
  await lab?.stop();
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await lab.setFaults([]);
  lab.unlockPin(lab.sampleUser.sipUri);
});

async function exporterFor(yaml: string): Promise<LabExporter> {
  running = await startLabExporter(lab, yaml);
  return running;
}

async function waitFor(condition: () => boolean, what: string, limitMs = 30_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await delay(20);
  }
}

describe('GET /probe', () => {
  it('a working pool: probe_success 1, every stage passed, the issued certificate expiry, lint clean', async () => {
    const { exporter } = await exporterFor(configYaml([moduleYaml(lab)]));
    const reply = await httpGet(probeUrl(exporter, 'lab', 'dhcp'));
    expect(reply.status).toBe(200);
    expect(reply.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const values = seriesOf(reply.text);
    expect(values.get('probe_success')).toBe(1);
    for (const stage of STAGE_NAMES) expect(values.get(`probe_phone_bootstrap_stage_result{stage="${stage}",result="pass"}`)).toBe(1);
    expect(values.get('probe_phone_bootstrap_cert_expiry_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000);
    expect(values.get('probe_ssl_earliest_cert_expiry')).toBeGreaterThan(Date.now() / 1000);
    expect(values.get('probe_phone_bootstrap_pin_latched')).toBe(0);
    expect(reply.text).not.toContain(lab.sampleUser.pin);
    await expectLintClean(reply.text);
  });

  it('a pool target (FQDN) skips DHCP; a failing pool gives probe_success 0 with the stage and diagnosis', async () => {
    const { exporter } = await exporterFor(configYaml([moduleYaml(lab)]));
    await lab.setFaults(['port80-closed']);
    const reply = await httpGet(probeUrl(exporter, 'lab', `https://${lab.fqdn}:${lab.ports.https}/CertProv/CertProvisioningService.svc`));
    const values = seriesOf(reply.text);
    expect(values.get('probe_success')).toBe(0);
    expect([...values.keys()].find((key) => key.startsWith('probe_phone_bootstrap_failure_info{stage="rootchain"'))).toBeDefined();
    expect(values.get('probe_phone_bootstrap_stage_result{stage="certificate",result="skip"}')).toBe(1);
    await expectLintClean(reply.text);
  });

  it('unknown module and missing or bad target are 400; debug=true returns the log without the PIN', async () => {
    const { exporter } = await exporterFor(configYaml([moduleYaml(lab)]));
    expect((await httpGet(probeUrl(exporter, 'nope', 'dhcp'))).status).toBe(400);
    expect((await httpGet(`${exporter.url}/probe?module=lab`)).status).toBe(400);
    expect((await httpGet(probeUrl(exporter, 'lab', 'not a target!'))).status).toBe(400);
    const debug = await httpGet(probeUrl(exporter, 'lab', 'dhcp', '&debug=true'));
    expect(debug.status).toBe(200);
    expect(debug.text).toMatch(/^Served: fresh/);
    expect(debug.text).toContain('Logs for the probe:');
    expect(debug.text).toMatch(/discover: pass/);
    expect(debug.text).toContain('probe_success 1');
    expect(debug.text).not.toContain(lab.sampleUser.pin);
    const metrics = await httpGet(`${exporter.url}/metrics`);
    expect(seriesOf(metrics.text).get('phone_bootstrap_exporter_module_unknown_total')).toBe(1);
  });
});

describe('account safety', () => {
  it('two concurrent scrapes of the same target cause one sign-in (one certificate, one pair of PIN requests)', async () => {
    const { exporter } = await exporterFor(configYaml([moduleYaml(lab, { minInterval: '5m' })]));
    const pinBefore = labPinRequests(lab);
    const certificatesBefore = lab.stats.certificatesIssued;
    const [a, b] = await Promise.all([httpGet(probeUrl(exporter, 'lab', 'dhcp')), httpGet(probeUrl(exporter, 'lab', 'dhcp'))]);
    expect(seriesOf(a.text).get('probe_success')).toBe(1);
    expect(seriesOf(b.text).get('probe_success')).toBe(1);
    expect(lab.stats.certificatesIssued - certificatesBefore).toBe(1);
    const pinRequests = labPinRequests(lab) - pinBefore;
    // A later scrape within the minimum interval is served from the cache, with its age.
    const third = seriesOf((await httpGet(probeUrl(exporter, 'lab', 'dhcp'))).text);
    expect(third.get('probe_success')).toBe(1);
    expect(third.get('probe_phone_bootstrap_result_age_seconds')).toBeGreaterThan(0);
    expect(labPinRequests(lab) - pinBefore).toBe(pinRequests);
    expect(lab.stats.certificatesIssued - certificatesBefore).toBe(1);
    const metrics = seriesOf((await httpGet(`${exporter.url}/metrics`)).text);
    expect(metrics.get('phone_bootstrap_exporter_probes_total{result="success"}')).toBe(1);
    expect(metrics.get('phone_bootstrap_exporter_scrapes_total{served="joined"}')).toBe(1);
    expect(metrics.get('phone_bootstrap_exporter_scrapes_total{served="cached"}')).toBe(1);
    expect(metrics.get('phone_bootstrap_exporter_pin_uses_total')).toBe(pinRequests);
  });

  it('two modules on one account never sign in at the same time', async () => {
    const { exporter } = await exporterFor(configYaml([moduleYaml(lab, { name: 'first' }), moduleYaml(lab, { name: 'second' })]));
    await Promise.all([httpGet(probeUrl(exporter, 'first', 'dhcp')), httpGet(probeUrl(exporter, 'second', 'dhcp'))]);
    const [later, earlier] = exporter.coordinator.recentProbes();
    expect(later && earlier).toBeTruthy();
    expect(later!.startedAtMs).toBeGreaterThanOrEqual(earlier!.finishedAtMs);
  });

  it('a PIN rejection latches the account: later scrapes send nothing until unlatched', async () => {
    const { exporter } = await exporterFor(configYaml([moduleYaml(lab), moduleYaml(lab, { name: 'same_account' })]));
    await lab.setFaults(['pin-wrong']);
    const pinBefore = labPinRequests(lab);
    const failuresBefore = lab.stats.pinFailures;
    const first = seriesOf((await httpGet(probeUrl(exporter, 'lab', 'dhcp'))).text);
    expect(first.get('probe_success')).toBe(0);
    expect(first.get('probe_phone_bootstrap_pin_latched')).toBe(1);
    expect(lab.stats.pinFailures - failuresBefore).toBe(1);
    const pinAfterRejection = labPinRequests(lab);
    expect(pinAfterRejection - pinBefore).toBe(1);

    for (const module of ['lab', 'same_account', 'lab']) {
      const again = seriesOf((await httpGet(probeUrl(exporter, module, 'dhcp'))).text);
      expect(again.get('probe_success')).toBe(0);
      expect(again.get('probe_phone_bootstrap_pin_latched')).toBe(1);
    }
    expect(labPinRequests(lab)).toBe(pinAfterRejection);
    expect(lab.stats.pinFailures - failuresBefore).toBe(1);

    const metrics = seriesOf((await httpGet(`${exporter.url}/metrics`)).text);
    expect(metrics.get('phone_bootstrap_exporter_account_latched{module="lab"}')).toBe(1);
    expect(metrics.get('phone_bootstrap_exporter_account_latched{module="same_account"}')).toBe(1);
    const page = await httpGet(`${exporter.url}/`);
    expect(page.text).toContain('LATCHED');
    expect(page.text).toContain('1 (refused: account latched)');
    expect(page.text).not.toContain(lab.sampleUser.pin);
    expect(page.text).not.toMatch(/<script/i);

    // An operator fixed the PIN on the server side and clears the latch.
    await lab.setFaults([]);
    expect((await httpGet(`${exporter.url}/-/unlatch?module=lab`)).status).toBe(405);
    const unlatch = await httpGet(`${exporter.url}/-/unlatch?module=lab`, { method: 'POST' });
    expect(unlatch.status).toBe(200);
    expect(seriesOf((await httpGet(probeUrl(exporter, 'lab', 'dhcp'))).text).get('probe_success')).toBe(1);
    expect(labPinRequests(lab)).toBeGreaterThan(pinAfterRejection);
  });

  it('a reload keeps the old configuration when the new one is invalid; a changed PIN ends the latch', async () => {
    running = await startLabExporter(lab, configYaml([moduleYaml(lab)]), {}, { [PIN_VARIABLE]: '97531', RIGHT_PIN: lab.sampleUser.pin ?? '' });
    const { exporter } = running;
    const failuresBefore = lab.stats.pinFailures;
    expect(seriesOf((await httpGet(probeUrl(exporter, 'lab', 'dhcp'))).text).get('probe_phone_bootstrap_pin_latched')).toBe(1);
    expect(lab.stats.pinFailures - failuresBefore).toBe(1);

    await running.writeConfig(configYaml([moduleYaml(lab, { pinEnv: 'RIGHT_PIN', timeout: '30 seconds' })]));
    const refused = await httpGet(`${exporter.url}/-/reload`, { method: 'POST' });
    expect(refused.status).toBe(500);
    expect(refused.text).toMatch(/exporter\.yml:\d+: modules\.lab\.budgets\.timeout: "30 seconds" is not a duration/);
    const metrics = seriesOf((await httpGet(`${exporter.url}/metrics`)).text);
    expect(metrics.get('phone_bootstrap_exporter_config_last_reload_successful')).toBe(0);
    // Still the old configuration: the account is still latched, nothing is sent.
    expect(seriesOf((await httpGet(probeUrl(exporter, 'lab', 'dhcp'))).text).get('probe_phone_bootstrap_pin_latched')).toBe(1);
    expect(lab.stats.pinFailures - failuresBefore).toBe(1);

    await running.writeConfig(configYaml([moduleYaml(lab, { pinEnv: 'RIGHT_PIN' })]));
    expect((await httpGet(`${exporter.url}/-/reload`, { method: 'POST' })).status).toBe(200);
    const after = seriesOf((await httpGet(probeUrl(exporter, 'lab', 'dhcp'))).text);
    expect(after.get('probe_success')).toBe(1);
    expect(after.get('probe_phone_bootstrap_pin_latched')).toBe(0);
    expect(seriesOf((await httpGet(`${exporter.url}/metrics`)).text).get('phone_bootstrap_exporter_config_last_reload_successful')).toBe(1);
  });

  it('/metrics and / answer while idle; /metrics is lint clean', async () => {
    const { exporter } = await exporterFor(configYaml([moduleYaml(lab)]));
    await httpGet(probeUrl(exporter, 'lab', 'dhcp'));
    const metrics = await httpGet(`${exporter.url}/metrics`);
    expect(metrics.status).toBe(200);
    const values = seriesOf(metrics.text);
    expect(values.get('phone_bootstrap_exporter_queue_wait_seconds_count')).toBe(1);
    expect(values.get('process_resident_memory_bytes')).toBeGreaterThan(0);
    await expectLintClean(metrics.text);
    const page = await httpGet(`${exporter.url}/`);
    expect(page.contentType).toMatch(/^text\/html/);
    expect(page.text).toContain('<td>lab</td>');
    expect(page.text).toContain(`env ${PIN_VARIABLE}`);
    expect((await httpGet(`${exporter.url}/nothing`)).status).toBe(404);
  });

  it('a scrape that times out during the PIN exchange does not cut it: the sign-in completes and is served next', async () => {
    const { exporter } = await exporterFor(configYaml([moduleYaml(lab, { minInterval: '5m' })]));
    await lab.setFaults(['slow:1500']);
    const certificatesBefore = lab.stats.certificatesIssued;
    const failuresBefore = lab.stats.pinFailures;
    labLog.length = 0;
    // First scrape: gives up after 0.2 s (0.3 s header minus the 0.1 s margin), long before the run ends.
    const first = await httpGet(probeUrl(exporter, 'lab', 'dhcp', '&debug=true'), { headers: { 'X-Prometheus-Scrape-Timeout-Seconds': '0.3' } });
    expect(first.text).toMatch(/^Served: pending/);
    // Once the first ticket's metadata has been answered the PIN request goes out; it is answered 1.5 s later.
    await waitFor(() => labLog.some((line) => line.includes('/WebTicket/WebTicketService.svc/mex') && line.includes('-> 200')), 'the web ticket metadata');
    await delay(400);
    const pinAnswered = labPinRequests(lab);
    const second = await httpGet(probeUrl(exporter, 'lab', 'dhcp', '&debug=true'), { headers: { 'X-Prometheus-Scrape-Timeout-Seconds': '0.3' } });
    expect(second.text).toMatch(/^Served: pending/);
    // The scrape ended while the PIN request was still unanswered.
    expect(labPinRequests(lab)).toBe(pinAnswered);
    await waitFor(() => lab.stats.certificatesIssued > certificatesBefore, 'the certificate', 30_000);
    const served = seriesOf((await httpGet(probeUrl(exporter, 'lab', 'dhcp'))).text);
    expect(served.get('probe_success')).toBe(1);
    expect(lab.stats.pinFailures).toBe(failuresBefore);
    expect(lab.stats.certificatesIssued - certificatesBefore).toBe(1);
  });
});
