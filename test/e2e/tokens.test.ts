// Issue 8 items 1, 2, 8, 9, 10 through the real pipeline: the ticket's audience, the proof-key
// layouts of WS-Trust 1.3 §4.4.3 (and the one retry with the other reading), the PIN-encoding
// precedence, both public forms of a refused PIN, and refused proofs that are not "no such user".

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeForRun } from '../../src/cli/bootstrap-run.js';
import { ACTION_RESOLVE_USER, OCS_AUTH } from '../../src/soap/namespaces.js';
import { parseEnvelope } from '../../src/soap/envelope.js';
import type { LogLine } from '../../src/stages/types.js';
import { pathOf, proofEnvelope, requestTicket, soapPost } from '../lab/helpers.js';
import { runAgainst, startLab, type Lab } from './helpers.js';

let lab: Lab;
beforeAll(async () => {
  lab = await startLab({});
});
afterAll(async () => {
  await lab?.stop();
});

type Run = Awaited<ReturnType<typeof runAgainst>>;

function stage(run: Run, name: string) {
  const found = run.result.report.stages.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no stage ${name}`);
  return found;
}

function outcome(run: Run): string {
  const failed = run.result.report.stages.find((candidate) => candidate.status === 'fail');
  return failed ? `${failed.name} ${failed.diagnosis?.id} exit ${exitCodeForRun(run.result.report)}` : `Success exit ${exitCodeForRun(run.result.report)}`;
}

async function runWith(faults: string[], log?: LogLine[]): Promise<Run> {
  await lab.setFaults(faults);
  try {
    return await runAgainst(lab, {}, () => undefined, log ? { onLog: (line) => log.push(line) } : {});
  } finally {
    await lab.setFaults([]);
    lab.unlockPin(lab.sampleUser.sipUri);
  }
}

describe('ticket scope (item 1)', () => {
  it('asks both tickets for the WebTicketProof port the CertProv metadata names, read before the first ticket', async () => {
    const log: LogLine[] = [];
    const run = await runWith([], log);
    expect(outcome(run)).toBe('Success exit 0');
    expect(stage(run, 'webticket').evidence).toMatchObject({ appliesTo: lab.urls.webTicketProof, appliesToFrom: 'certprov-metadata' });
    expect(stage(run, 'webticket-sip').evidence.appliesTo).toBe(lab.urls.webTicketProof);
    // The CertProv metadata is downloaded once, by the webticket stage, before the PIN request.
    const texts = log.map((line) => `${line.stage} ${line.text}`);
    const mexAt = texts.findIndex((text) => text.startsWith('webticket Trying to download MEX data from') && text.includes('CertProvisioningService.svc/mex'));
    const pinAt = texts.indexOf('webticket Requesting new web ticket');
    expect(mexAt).toBeGreaterThanOrEqual(0);
    expect(pinAt).toBeGreaterThan(mexAt);
    expect(texts.filter((text) => text.includes('CertProvisioningService.svc/mex') && text.includes('Trying to download'))).toHaveLength(1);
    // The cmdlet's documented lines are all still there, in the certprov-mex stage.
    expect(texts).toContain('certprov-mex Using Webticket Proof authentication');
    expect(texts.some((text) => text.startsWith('certprov-mex Searching for end point with name CertProvisioningServiceWebTicketProof'))).toBe(true);
  });

  it('the lab refuses a ticket asked for any other AppliesTo (the option-43 URL here) as a refused proof', async () => {
    const { ticket, proofKey } = await requestTicket(lab, { appliesTo: lab.urls.certProv });
    expect(ticket).toBeDefined();
    const xml = proofEnvelope(lab, ACTION_RESOLVE_USER, `<ResolveUser xmlns="${OCS_AUTH}"/>`, ticket!, proofKey);
    const reply = await soapPost(lab, pathOf(lab.urls.webTicketProof), xml, `"${ACTION_RESOLVE_USER}"`);
    const message = parseEnvelope(reply.text);
    expect(message.kind === 'fault' && message.fault.codeName).toBe('FailedAuthentication');
    // The same ticket for the proof port is accepted.
    const good = await requestTicket(lab, { appliesTo: lab.urls.webTicketProof });
    const accepted = await soapPost(lab, pathOf(lab.urls.webTicketProof), proofEnvelope(lab, ACTION_RESOLVE_USER, `<ResolveUser xmlns="${OCS_AUTH}"/>`, good.ticket!, good.proofKey), `"${ACTION_RESOLVE_USER}"`);
    expect(accepted.status).toBe(200);
  });
});

describe('proof keys per WS-Trust 1.3 §4.4.3 (item 2)', () => {
  it('default lab: ComputedKey + server Entropy, key = P_SHA1(client, server), accepted at the first try', async () => {
    const before = lab.stats.proofRejections;
    const run = await runWith([]);
    expect(outcome(run)).toBe('Success exit 0');
    expect(stage(run, 'webticket').evidence.proofKeyFrom).toBe('computed-key');
    expect(stage(run, 'resolveuser').evidence.proofKey).toBe('computed-key');
    expect(stage(run, 'resolveuser').evidence).not.toHaveProperty('proofKeyRefused');
    expect(lab.stats.proofRejections).toBe(before);
  });

  it('RequestedProofToken/BinarySecret without ComputedKey is the key itself', async () => {
    const before = lab.stats.proofRejections;
    const run = await runWith(['token-proof-secret']);
    expect(outcome(run)).toBe('Success exit 0');
    expect(stage(run, 'webticket').evidence.proofKeyFrom).toBe('proof-secret');
    expect(stage(run, 'resolveuser').evidence.proofKey).toBe('binary-secret');
    expect(stage(run, 'certificate').evidence.proofKey).toBe('binary-secret');
    expect(lab.stats.proofRejections).toBe(before);
  });

  it('the non-standard layout: one refused ResolveUser, one retry with the same ticket and no PIN, then the accepted reading is used first', async () => {
    const log: LogLine[] = [];
    const before = lab.stats.proofRejections;
    const run = await runWith(['token-legacy-entropy'], log);
    expect(outcome(run)).toBe('Success exit 0');
    expect(stage(run, 'resolveuser').evidence).toMatchObject({ proofKey: 'computed-key', proofKeyRefused: 'binary-secret' });
    // The second ticket's call went out with the reading CertProv had accepted: no second refusal.
    expect(stage(run, 'certificate').evidence.proofKey).toBe('computed-key');
    expect(stage(run, 'certificate').evidence).not.toHaveProperty('proofKeyRefused');
    expect(lab.stats.proofRejections).toBe(before + 1);
    // Two tickets, two PIN uses: the retry re-sent no PIN.
    expect(run.pin.uses).toBe(2);
    expect(log.some((line) => line.stage === 'resolveuser' && /CertProv accepted the proof key as P_SHA1/.test(line.text))).toBe(true);
  });

  it('retries that call once only: a proof refused under both readings fails resolveuser with resolve-proof-rejected', async () => {
    const before = lab.stats.proofRejections;
    const run = await runWith(['token-legacy-entropy', 'proof-rejected']);
    expect(outcome(run)).toBe('resolveuser resolve-proof-rejected exit 1');
    expect(lab.stats.proofRejections).toBe(before + 2);
    expect(run.pin.uses).toBe(1);
  });

  it('EncryptedKey ends the webticket stage with webticket-proof-key-unsupported', async () => {
    const run = await runWith(['token-encrypted-key']);
    expect(outcome(run)).toBe('webticket webticket-proof-key-unsupported exit 1');
    expect(stage(run, 'webticket').error?.message).toMatch(/EncryptedKey/);
  });
});

describe('the PIN encoding flag wins (item 8)', () => {
  it('--pin-encoding beats the policy: plain against a base64 pool is sent plain (and refused), base64 passes', async () => {
    const pool = await startLab({ pinEncoding: 'base64', dhcp: true });
    try {
      const plain = await runAgainst(pool, { pinEncoding: 'plain' });
      expect(stage(plain, 'webticket').evidence.encoding).toBe('plain');
      expect(outcome(plain)).toMatch(/^webticket webticket-auth-rejected exit 1$/);
      const base64 = await runAgainst(pool, { pinEncoding: 'base64' });
      expect(outcome(base64)).toBe('Success exit 0');
      const fromPolicy = await runAgainst(pool);
      expect(stage(fromPolicy, 'webticket').evidence.encoding).toBe('base64');
    } finally {
      await pool.stop();
    }
  });

  it('a plain UsernameToken policy names no encoding: --pin-encoding base64 is used as given', async () => {
    const run = await runAgainst(lab, { pinEncoding: 'base64' });
    expect(stage(run, 'webticket').evidence.encoding).toBe('base64');
    // The lab's PIN port takes plain values, so the base64 credential is refused: the option was honoured.
    expect(outcome(run)).toBe('webticket webticket-auth-rejected exit 1');
    lab.unlockPin(lab.sampleUser.sipUri);
  });
});

describe('a rejected PIN, both public forms (item 9)', () => {
  it.each(['pin-rejected-28020', 'pin-rejected-401'])('%s ranks "the PIN or the number was rejected" first, exit 1, PIN sent once', async (fault) => {
    const run = await runWith([fault]);
    expect(outcome(run)).toBe('webticket webticket-auth-rejected exit 1');
    expect(stage(run, 'webticket').error?.server?.ErrorId).toBe('28020');
    expect(run.pin.uses).toBe(1);
  });

  it("the server's reason re-ranks the causes: a locked PIN is not a wrong PIN", async () => {
    const locked = await runWith(['pin-locked']);
    expect(stage(locked, 'webticket').diagnosis?.id).toBe('webticket-auth-rejected');
    expect(stage(locked, 'webticket').diagnosis?.alsoPossible[0]).toBe('webticket-pin-locked');
    const wrong = await runWith(['pin-wrong']);
    expect(stage(wrong, 'webticket').diagnosis?.alsoPossible[0]).toBe('webticket-pin-wrong');
  });
});

describe('a refused proof is not "no such user" (item 10)', () => {
  it.each([
    ['proof-invalid-security', 'resolveuser'],
    ['proof-rejected', 'resolveuser'],
    ['cert-proof-http-403', 'certificate'],
  ])('%s -> %s resolve-proof-rejected, exit 1', async (fault, where) => {
    const run = await runWith([fault]);
    expect(outcome(run)).toBe(`${where} resolve-proof-rejected exit 1`);
    expect(stage(run, where).diagnosis?.alsoPossible).not.toContain('resolve-no-user');
  });
});
