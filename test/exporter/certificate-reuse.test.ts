// Certificate reuse in the exporter, against the lab: with reuse_certificate on, the first scrape runs
// the PIN path and keeps what it issued; the scrapes after it, within full_interval, send no PIN
// (lab PIN ledger) and get no new certificate, yet still report every stage series. With a state
// directory the certificate and key survive a restart, in a file only the owner can read. The
// module's `stages:` key selects what a probe runs.

import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { STAGE_NAMES } from '../../src/model.js';
import type { Lab } from '../../src/lab/pool.js';
import { decideReuse, heldKeyPair, type HeldCertificate } from '../../src/exporter/certificate-reuse.js';
import { sharedKeyPair } from '../e2e/helpers.js';
import { STAGE_TABLE } from '../../src/stages/registry.js';
import { startLab } from '../e2e/helpers.js';
import { expectLintClean, seriesOf } from '../helpers/promtool.js';
import { configYaml, httpGet, labPinRequests, moduleYaml, probeUrl, startLabExporter, type LabExporter } from './helpers.js';

let lab: Lab;
let running: LabExporter | undefined;
let stateDir = '';

beforeAll(async () => {
  lab = await startLab({});
  stateDir = await mkdtemp(join(tmpdir(), 'bt-reuse-'));
});
afterAll(async () => {
  await lab?.stop();
  await rm(stateDir, { recursive: true, force: true });
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const PIN_STAGES = STAGE_TABLE.filter((entry) => entry.needsPin).map((entry) => entry.name);
const ANONYMOUS_STAGES = STAGE_TABLE.filter((entry) => !entry.needsPin).map((entry) => entry.name);

async function scrape(exporter: LabExporter['exporter'], module = 'lab'): Promise<{ text: string; values: Map<string, number> }> {
  const reply = await httpGet(probeUrl(exporter, module, 'dhcp'));
  expect(reply.status).toBe(200);
  return { text: reply.text, values: seriesOf(reply.text) };
}

describe('the registry flag', () => {
  it('the PIN path is webticket through certificate, and register (it signs in with the issued certificate); the rest needs no PIN', () => {
    expect(PIN_STAGES).toEqual(['webticket', 'certprov-mex', 'resolveuser', 'webticket-sip', 'certificate', 'register']);
    expect(ANONYMOUS_STAGES).toEqual(['discover', 'rootchain', 'time', 'dns', 'registrar-tls']);
  });
});

describe('decideReuse', () => {
  const held: HeldCertificate = {
    info: { subject: 'CN=a', issuer: 'CN=b', serialNumber: '01', notBefore: '', notAfter: '2030-01-01T00:00:00.000Z', sha256Fingerprint: '' },
    notAfterMs: Date.parse('2030-01-01T00:00:00.000Z'),
    issuedAtMs: Date.parse('2029-12-01T00:00:00.000Z'),
    privateKeyPem: '',
  };
  const reuse = { fullIntervalMs: 86_400_000, minValidityMs: 3_600_000 };
  it('reuses within full_interval, runs the PIN path after it, near expiry, or with nothing held', () => {
    expect(decideReuse(held, reuse, held.issuedAtMs + 1000).kind).toBe('reuse');
    expect(decideReuse(held, reuse, held.issuedAtMs + 86_400_000)).toEqual({ kind: 'full', reason: 'full_interval has passed' });
    expect(decideReuse(held, { ...reuse, fullIntervalMs: 365 * 86_400_000 }, held.notAfterMs - 60_000)).toEqual({ kind: 'full', reason: 'the held certificate is about to expire' });
    expect(decideReuse(undefined, reuse, 0)).toEqual({ kind: 'full', reason: 'no certificate held' });
  });
});

describe('heldKeyPair', () => {
  it('gives back the key the certificate was issued for, so a reuse run generates none', async () => {
    const keyPair = await sharedKeyPair();
    const privateKeyPem = keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const held = heldKeyPair({ info: { subject: '', issuer: '', serialNumber: '', notBefore: '', notAfter: '', sha256Fingerprint: '' }, notAfterMs: 0, issuedAtMs: 0, privateKeyPem });
    expect(held.generatedInMs).toBe(0);
    expect(held.publicKey.export({ type: 'spki', format: 'pem' })).toBe(keyPair.publicKey.export({ type: 'spki', format: 'pem' }));
  });
});

describe('reuse_certificate', () => {
  it('scrapes within full_interval send no PIN and get no certificate, and still report every stage series', async () => {
    running = await startLabExporter(lab, configYaml([moduleYaml(lab, { extra: '    reuse_certificate: { full_interval: 1h }' })]));
    const pinBefore = labPinRequests(lab);
    const certificatesBefore = lab.stats.certificatesIssued;
    const first = await scrape(running.exporter);
    expect(first.values.get('probe_success')).toBe(1);
    expect(first.values.get('probe_phone_bootstrap_certificate_reused')).toBe(0);
    const pinAfterFull = labPinRequests(lab);
    expect(pinAfterFull - pinBefore).toBeGreaterThan(0);
    expect(lab.stats.certificatesIssued - certificatesBefore).toBe(1);
    const expiry = first.values.get('probe_phone_bootstrap_cert_expiry_timestamp_seconds');

    for (let scrapeIndex = 0; scrapeIndex < 3; scrapeIndex += 1) {
      const { text, values } = await scrape(running.exporter);
      expect(values.get('probe_success')).toBe(1);
      expect(values.get('probe_phone_bootstrap_certificate_reused')).toBe(1);
      // min_interval is 1 ms: each of these is a fresh probe, not the cache.
      expect(values.get('probe_phone_bootstrap_result_age_seconds')).toBe(0);
      for (const stage of STAGE_NAMES) {
        const results = ['pass', 'warn', 'fail', 'skip'].map((result) => values.get(`probe_phone_bootstrap_stage_result{stage="${stage}",result="${result}"}`));
        expect(results.filter((value) => value === 1)).toHaveLength(1);
        expect(values.has(`probe_phone_bootstrap_stage_duration_seconds{stage="${stage}"}`)).toBe(true);
      }
      for (const stage of ANONYMOUS_STAGES) expect(values.get(`probe_phone_bootstrap_stage_result{stage="${stage}",result="pass"}`)).toBe(1);
      for (const stage of PIN_STAGES) expect(values.get(`probe_phone_bootstrap_stage_result{stage="${stage}",result="skip"}`)).toBe(1);
      expect(values.get('probe_phone_bootstrap_cert_expiry_timestamp_seconds')).toBe(expiry);
      expect(text).not.toContain(lab.sampleUser.pin);
      await expectLintClean(text);
    }
    expect(labPinRequests(lab)).toBe(pinAfterFull);
    expect(lab.stats.certificatesIssued - certificatesBefore).toBe(1);
    const metrics = seriesOf((await httpGet(`${running.exporter.url}/metrics`)).text);
    expect(metrics.get('phone_bootstrap_exporter_probes_total{result="success"}')).toBe(4);
    expect(metrics.get('phone_bootstrap_exporter_pin_uses_total')).toBe(pinAfterFull - pinBefore);
  });

  it('without reuse every probe sends the PIN (the comparison that makes the test above mean something)', async () => {
    running = await startLabExporter(lab, configYaml([moduleYaml(lab)]));
    const pinBefore = labPinRequests(lab);
    await scrape(running.exporter);
    const afterOne = labPinRequests(lab);
    await scrape(running.exporter);
    expect(labPinRequests(lab) - afterOne).toBe(afterOne - pinBefore);
  });

  it('a state directory keeps the certificate and key across a restart, readable by the owner only', async () => {
    const yaml = configYaml([moduleYaml(lab, { extra: `    reuse_certificate: { full_interval: 1h, state_dir: "${stateDir}/held" }` })]);
    running = await startLabExporter(lab, yaml);
    await scrape(running.exporter);
    await running.stop();
    running = undefined;
    const files = await readdir(join(stateDir, 'held'));
    expect(files).toHaveLength(1);
    const file = join(stateDir, 'held', files[0] ?? '');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(stateDir, 'held'))).mode & 0o077).toBe(0);
    const stored = await readFile(file, 'utf8');
    expect(stored).toContain('BEGIN PRIVATE KEY');
    expect(stored).not.toContain(lab.sampleUser.pin);

    running = await startLabExporter(lab, yaml);
    const pinBefore = labPinRequests(lab);
    const afterRestart = await scrape(running.exporter);
    expect(afterRestart.values.get('probe_success')).toBe(1);
    expect(afterRestart.values.get('probe_phone_bootstrap_certificate_reused')).toBe(1);
    expect(labPinRequests(lab)).toBe(pinBefore);
  });
});

describe('stages:', () => {
  it('a module listing discover and rootchain runs only those, sends no PIN, and reports the rest as skipped', async () => {
    running = await startLabExporter(lab, configYaml([moduleYaml(lab, { extra: '    stages: [discover, rootchain]' })]));
    const pinBefore = labPinRequests(lab);
    const { text, values } = await scrape(running.exporter);
    expect(values.get('probe_success')).toBe(1);
    expect(values.get('probe_phone_bootstrap_stage_result{stage="rootchain",result="pass"}')).toBe(1);
    expect(values.get('probe_phone_bootstrap_stage_result{stage="webticket",result="skip"}')).toBe(1);
    expect(values.has('probe_phone_bootstrap_cert_expiry_timestamp_seconds')).toBe(false);
    expect(labPinRequests(lab)).toBe(pinBefore);
    await expectLintClean(text);
  });
});
