// The switches reach the wire: each inferred shape the lab can serve is met by the matching client
// option (and missed without it), discovery overrides skip DHCP, and --user-sip-address is enforced.

import { afterAll, describe, expect, it } from 'vitest';
import type { LabOptions } from '../../src/lab/pool.js';
import { runAgainst, startLab, type Lab } from './helpers.js';
import { WIRE_LAYOUT_NAMES } from '../../src/lab/layouts.js';

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

describe('valid server layouts (issue 8): each ends in Success through the real pipeline', () => {
  const stage = (run: Awaited<ReturnType<typeof runAgainst>>, name: string) => run.result.report.stages.find((s) => s.name === name);

  it.each(WIRE_LAYOUT_NAMES)('--variant %s', async (layout) => {
    const pool = await lab({ layouts: [layout] });
    const run = await runAgainst(pool);
    expect(outcome(run)).toBe('Success');
    // Two tickets, each asked for once: no layout makes the client repeat a PIN request.
    expect(run.pin.uses).toBe(2);
  });

  it('all layouts at once', async () => {
    const everything = WIRE_LAYOUT_NAMES.filter((l) => l !== 'mex-wsdl-only' && l !== 'xml-rebound-prefixes' && l !== 'xml-hoisted');
    const run = await runAgainst(await lab({ layouts: everything }));
    expect(outcome(run)).toBe('Success');
  });

  it('names the way the metadata was read: GET /mex by default, ?wsdl or GetMetadata when that is all there is', async () => {
    const byDefault = await runAgainst(await lab({}));
    expect(stage(byDefault, 'certprov-mex')?.evidence.metadata).toBe('GET /mex');
    expect(stage(byDefault, 'webticket')?.evidence.metadata).toBe('GET /mex');
    const wsdl = await runAgainst(await lab({ layouts: ['mex-wsdl-only'] }));
    expect(stage(wsdl, 'certprov-mex')?.evidence.metadata).toBe('GET ?wsdl');
    expect(stage(wsdl, 'webticket')?.evidence.metadata).toBe('GET ?wsdl');
    const post = await runAgainst(await lab({ layouts: ['mex-post-only'] }));
    expect(stage(post, 'certprov-mex')?.evidence.metadata).toBe('POST GetMetadata');
    expect(stage(post, 'webticket')?.evidence.metadata).toBe('POST GetMetadata');
  });

  it("WCF's derived actions: the root chain retries once with the action from the anonymous service's metadata, the proof calls use the derived ones", async () => {
    const pool = await lab({ layouts: ['wcf-default-actions'] });
    const run = await runAgainst(pool);
    expect(outcome(run)).toBe('Success');
    expect(stage(run, 'rootchain')?.evidence).toMatchObject({
      actionFrom: 'metadata',
      action: 'http://schemas.microsoft.com/OCS/AuthWebServices/ICertProvisioningService/GetRootCertChain',
    });
    // The documented action was refused once (one fault), then the WSDL's was accepted.
    expect(pool.stats.requests.byStatus['500']).toBe(1);
    // Without the layout the documented action works and no WSDL is fetched.
    const plain = await runAgainst(await lab({}));
    expect(stage(plain, 'rootchain')?.evidence.actionFrom).toBeUndefined();
  });

  it.each([
    ['pin-wrong', 'webticket webticket-auth-rejected'],
    ['proof-rejected', 'resolveuser resolve-proof-rejected'],
  ])('SOAP 1.2 faults are read like SOAP 1.1 ones: %s', async (fault, expected) => {
    const soap11 = await runAgainst(await lab({ faults: [fault] }));
    const soap12 = await runAgainst(await lab({ faults: [fault], layouts: ['soap12'] }));
    expect(outcome(soap12)).toBe(expected);
    expect(outcome(soap11)).toBe(expected);
    const failed = (run: typeof soap11) => run.result.report.stages.find((s) => s.status === 'fail')?.error?.observation;
    expect(failed(soap12)).toBe(failed(soap11));
  });

  it('a SOAP 1.2 binding is spoken as SOAP 1.2 on the PIN port and the proof port', async () => {
    const run = await runAgainst(await lab({ layouts: ['soap12'] }));
    expect(outcome(run)).toBe('Success');
    expect(stage(run, 'webticket')?.evidence.soap).toBe('1.2');
    expect(stage(run, 'certprov-mex')?.evidence.soap).toBe('1.2');
  });
});

describe('unreadable metadata and answers are content problems, not missing ports or users (issue 9 item 7)', () => {
  it('cut-off Web Ticket metadata: webticket-metadata-unreadable with the first bytes', async () => {
    const run = await runAgainst(await lab({ faults: ['malformed-xml:webticket-mex'] }));
    expect(outcome(run)).toBe('webticket webticket-metadata-unreadable');
    expect(run.result.report.stages.find((s) => s.name === 'webticket')?.error?.message).toMatch(/it begins <\?xml version/);
    expect(run.pin.uses).toBe(0);
  });

  it('metadata over the response cap: webticket-metadata-unreadable, not PIN authentication switched off', async () => {
    const pool = await lab({});
    // Above the root chain's answer, below the Web Ticket metadata's size.
    const run = await runAgainst(pool, { maxResponseBytes: 2600 });
    expect(outcome(run)).toBe('webticket webticket-metadata-unreadable');
    expect(run.result.report.stages.find((s) => s.name === 'webticket')?.error?.message).toMatch(/exceeded 2600 bytes/);
    expect(run.pin.uses).toBe(0);
  });

  it('cut-off CertProv metadata: resolve-metadata-unreadable', async () => {
    const run = await runAgainst(await lab({ faults: ['malformed-xml:certprov-mex'] }));
    expect(outcome(run)).toBe('certprov-mex resolve-metadata-unreadable');
  });

  it('a cut-off ResolveUser answer: resolve-response-unparsable, not resolve-no-user', async () => {
    const run = await runAgainst(await lab({ faults: ['malformed-xml:resolveuser'] }));
    expect(outcome(run)).toBe('resolveuser resolve-response-unparsable');
  });
});
