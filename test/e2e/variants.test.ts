// The switches reach the wire: each inferred shape the lab can serve is met by the matching client
// option (and missed without it), discovery overrides skip DHCP, and --user-sip-address is enforced.

import { afterAll, describe, expect, it } from 'vitest';
import type { LabOptions } from '../../src/lab/pool.js';
import { runAgainst, startLab, type Lab } from './helpers.js';

const labs: Lab[] = [];
async function lab(options: LabOptions): Promise<Lab> {
  const started = await startLab(options);
  labs.push(started);
  return started;
}
afterAll(async () => {
  await Promise.all(labs.map((l) => l.stop()));
});

function outcome(run: Awaited<ReturnType<typeof runAgainst>>): string {
  const failed = run.result.report.stages.find((stage) => stage.status === 'fail');
  return failed ? `${failed.name} ${failed.diagnosis?.id}` : 'Success';
}

describe('inferred shapes and their switches', () => {
  it('a pool whose PIN port policy names base64 gets base64 without any option', async () => {
    const pool = await lab({ pinEncoding: 'base64' });
    const run = await runAgainst(pool);
    expect(outcome(run)).toBe('Success');
    expect(run.result.report.stages.find((s) => s.name === 'webticket')?.evidence.encoding).toBe('base64');
  });

  it('GetRootCertChain as GET: fails with the default shape, passes with --root-chain-shape get', async () => {
    const pool = await lab({ rootChainVariant: 'get' });
    expect(outcome(await runAgainst(pool))).toMatch(/^rootchain /);
    expect(outcome(await runAgainst(pool, { rootChainShape: 'get' }))).toBe('Success');
  });

  it('a chain served as a certificate list is accepted and reported as such', async () => {
    const pool = await lab({ rootChainFormat: 'certificate-list' });
    const run = await runAgainst(pool);
    expect(outcome(run)).toBe('Success');
    expect(run.result.report.discovered.rootChainFormat).toBe('certificate-list');
  });

  it('ResolveUser with the Entity shape: fails with the default shape, passes with --resolve-user-shape entity', async () => {
    const pool = await lab({ resolveUserShape: 'entity' });
    expect(outcome(await runAgainst(pool))).toMatch(/^resolveuser /);
    expect(outcome(await runAgainst(pool, { resolveUserShape: 'entity' }))).toBe('Success');
  });

  it('a signed (not endorsing) proof policy is read from the metadata and honoured', async () => {
    const pool = await lab({ proofPolicy: 'signed', tokenLayout: 'legacy-entropy' });
    const run = await runAgainst(pool);
    expect(outcome(run)).toBe('Success');
    expect(run.result.report.stages.find((s) => s.name === 'certprov-mex')?.evidence.policy).toBe('signed');
  });

  it('a CSR signed with SHA-256 on request still gets a certificate', async () => {
    const pool = await lab({});
    expect(outcome(await runAgainst(pool, { csrHash: 'sha256' }))).toBe('Success');
  });
});

describe('identity and discovery options', () => {
  it('--user-sip-address that names someone else fails resolveuser with resolve-user-mismatch', async () => {
    const pool = await lab({});
    const run = await runAgainst(pool, { userSipAddress: 'sip:someone.else@lab.bootstrap-test.test' });
    expect(outcome(run)).toBe('resolveuser resolve-user-mismatch');
    expect(run.pin.uses).toBe(1);
  });

  it('--target-uri and --target-fqdn skip DHCP entirely', async () => {
    const pool = await lab({ dhcp: false });
    const run = await runAgainst(pool, {
      targetUri: `https://${pool.fqdn}:${pool.ports.https}/CertProv/CertProvisioningService.svc`,
      targetFqdn: pool.registrarFqdn,
    });
    expect(outcome(run)).toBe('Success');
    const discover = run.result.report.stages.find((s) => s.name === 'discover');
    expect(discover?.status).toBe('skipped');
    expect(run.result.report.discovered.source).toEqual({ targetUri: 'option', targetFqdn: 'option' });
  });

  it('--target-uri alone still asks DHCP for the registrar', async () => {
    const pool = await lab({});
    const run = await runAgainst(pool, { targetUri: `https://${pool.fqdn}:${pool.ports.https}/CertProv/CertProvisioningService.svc` });
    expect(outcome(run)).toBe('Success');
    expect(run.result.report.discovered.source).toEqual({ targetUri: 'option', targetFqdn: 'dhcp' });
  });

  it('an overall --timeout shorter than the work ends the run at that deadline, reported as a timeout', async () => {
    const pool = await lab({ faults: ['slow:400'] });
    const run = await runAgainst(pool, { timeoutMs: 900 });
    const report = run.result.report;
    const failed = report.stages.find((s) => s.status === 'fail');
    expect(failed?.error?.observation).toMatch(/timeout/);
    expect(report.latencyMs).toBeLessThanOrEqual(900 + 100);
    // The failing stage ran under what was left of the run's deadline, not its own longer default.
    expect(failed?.deadlineMs).toBeLessThan(900);
    expect(failed?.ms).toBeLessThanOrEqual((failed?.deadlineMs ?? 0) + 100);
  });
});
