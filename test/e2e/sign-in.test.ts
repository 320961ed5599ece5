// The phone's sign-in after the certificate (issue 12) against the lab pool: time from the pool's NTP
// server found by SRV, the registrar found by SRV, TLS 1.0 to it, a TLS-DSK REGISTER with the issued
// certificate that the lab registrar verifies, and the sign-out; --stop-after certificate is the
// cmdlet's run and nothing more.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeForRun } from '../../src/cli/bootstrap-run.js';
import { EXIT } from '../../src/exit-codes.js';
import { STAGE_NAMES } from '../../src/model.js';
import { orderedStages } from '../../src/report/stages.js';
import { renderJson } from '../../src/report/json.js';
import { headerValue, serializeSipMessage } from '../../src/sip/message.js';
import type { SipTraceEvent } from '../../src/stages/types.js';
import { runAgainst, startLab, type Lab } from './helpers.js';

let lab: Lab;
beforeAll(async () => {
  lab = await startLab({});
});
afterAll(async () => {
  await lab?.stop();
});

const stageOf = (run: Awaited<ReturnType<typeof runAgainst>>, name: string) => run.result.report.stages.find((stage) => stage.name === name);

describe('the sign-in against the lab pool', () => {
  it('signs in with TLS-DSK and signs out, with the registrar and the clock from DNS SRV', async () => {
    const messages: SipTraceEvent[] = [];
    const run = await runAgainst(lab, {}, () => undefined, { onSipMessage: (event) => messages.push(event) });
    const report = run.result.report;
    expect(report.stages.map((stage) => [stage.name, stage.status])).toEqual(STAGE_NAMES.map((name) => [name, 'pass']));
    expect(exitCodeForRun(report)).toBe(EXIT.ok);

    expect(stageOf(run, 'time')?.evidence).toMatchObject({ source: `SRV _ntp._udp.${lab.sipDomain}`, server: `127.0.0.1:${lab.ports.ntp}`, stratum: 3 });
    expect(Math.abs(Number(stageOf(run, 'time')?.evidence.offsetMs))).toBeLessThan(1000);
    expect(stageOf(run, 'dns')?.evidence).toMatchObject({ registrar: lab.registrarFqdn, address: '127.0.0.1', port: lab.ports.sip, source: 'srv' });
    expect(stageOf(run, 'registrar-tls')?.evidence).toMatchObject({ protocol: 'TLSv1', host: lab.registrarFqdn });
    expect(stageOf(run, 'register')?.evidence).toMatchObject({ signedOut: true, signatureMac: 'sha1' });
    expect(report.discovered.registrar).toEqual({ host: lab.registrarFqdn, address: '127.0.0.1', port: lab.ports.sip, source: 'srv' });
    expect(report.discovered.sipDomain).toEqual({ name: lab.sipDomain, source: 'resolveuser' });

    // REGISTER → 401, three handshake legs, signed REGISTER → 200, signed Expires: 0 → 200.
    expect(messages.map((event) => (event.message.kind === 'request' ? event.message.method : event.message.status))).toEqual([
      'REGISTER', 401, 'REGISTER', 401, 'REGISTER', 401, 'REGISTER', 200, 'REGISTER', 200,
    ]);
    const legs = messages.filter((event) => event.direction === 'out').slice(1, 3);
    for (const leg of legs) expect(headerValue(leg.message, 'authorization')).toMatch(/gssapi-data="[A-Za-z0-9+/=]{40,}"/);
    expect(headerValue(messages[8]!.message, 'expires')).toBe('0');
    expect(headerValue(messages[9]!.message, 'authentication-info')).toMatch(/rspauth="[0-9a-f]{40}"/);
    // Nothing of the private key travels in any message.
    const wire = messages.map((event) => serializeSipMessage(event.message).toString('utf8')).join('\n');
    expect(wire).not.toMatch(/PRIVATE KEY/);
    expect(wire).not.toContain(lab.sampleUser.pin);
  });

  it('--stop-after certificate is the cmdlet\'s run: seven stages, no SIP, the same summary fields', async () => {
    const messages: SipTraceEvent[] = [];
    const run = await runAgainst(lab, { stopAfter: 'certificate' }, () => undefined, { onSipMessage: (event) => messages.push(event) });
    const report = run.result.report;
    expect(report.stages.map((stage) => stage.name)).toEqual(['discover', 'rootchain', 'webticket', 'certprov-mex', 'resolveuser', 'webticket-sip', 'certificate']);
    expect(orderedStages(report)).toHaveLength(7);
    expect(report.stoppedAfter).toBe('certificate');
    expect(report.result).toBe('Success');
    expect(messages).toEqual([]);
    const json = JSON.parse(renderJson(report));
    expect(json.stages).toHaveLength(7);
    expect(json.stoppedAfter).toBe('certificate');
    expect(json.discovered.registrar).toBeNull();
  });

  it('follows one 301 to the home pool and says so', async () => {
    await lab.setFaults(['registrar-redirect']);
    try {
      const run = await runAgainst(lab);
      const register = stageOf(run, 'register');
      expect(run.result.report.result).toBe('Success');
      expect(register?.status).toBe('pass');
      expect(register?.diagnosis?.id).toBe('registrar-redirected');
      expect(register?.evidence.redirectedTo).toBe(`pool02.${lab.sipDomain}:${lab.ports.sip}`);
      expect(run.result.report.discovered.registrar?.source).toBe('redirect');
    } finally {
      await lab.setFaults([]);
    }
  });

  it('reports a client-version refusal with its ms-diagnostics verbatim and exit code 1', async () => {
    await lab.setFaults(['registrar-client-version-blocked']);
    try {
      const run = await runAgainst(lab);
      const register = stageOf(run, 'register');
      expect(register?.diagnosis?.id).toBe('registrar-client-version-blocked');
      expect(register?.error?.server?.['ms-diagnostics']).toBe(`17002;reason="Invalid protocol client version.";source="${lab.registrarFqdn}"`);
      expect(exitCodeForRun(run.result.report)).toBe(EXIT.failed);
    } finally {
      await lab.setFaults([]);
    }
  });

  it('a run told to ask DHCP option 6 for DNS, when DHCP names none, says the resolver was missing', async () => {
    const run = await runAgainst(lab, { dnsFromDhcp: true }, (options) => {
      delete options.dnsServer;
    });
    const failed = run.result.report.stages.find((stage) => stage.status === 'fail');
    expect(failed?.name).toBe('time');
    expect(failed?.diagnosis?.id).toBe('dns-resolver-failure');
  });
});
