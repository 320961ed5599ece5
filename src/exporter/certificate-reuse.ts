// Certificate reuse (a module's `reuse_certificate`): a phone signs in with its PIN once and then lives
// on the certificate it was issued; a probe that did the same on every scrape would send the PIN each
// time (lockout risk) and fill the account's certificate store. So while a certificate issued to the
// account is held and valid, a probe runs only the stages that need no PIN (registry `needsPin`), and
// the whole PIN path runs again every full_interval or when the certificate nears its end.
// Held in memory, or in a state directory (0700, files 0600) so that a restart does not cost a PIN.

import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CertificateInfo, RunReport, StageName, StageReport } from '../model.js';
import type { KeyPair } from '../pki/keys.js';
import type { StageTable } from '../stages/registry.js';
import type { RunState } from '../stages/types.js';
import type { ReuseConfig } from './config.js';

/** A certificate the pool issued to the account, and the key it was issued for. Never rendered. */
export interface HeldCertificate {
  info: CertificateInfo;
  notAfterMs: number;
  /** When the full path that produced it finished. */
  issuedAtMs: number;
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  /** PEM, when the pipeline's state carries it (the sign-in stages add it); otherwise the info stands for it. */
  certificatePem?: string;
}

export type ReuseDecision = { kind: 'reuse'; held: HeldCertificate } | { kind: 'full'; reason: string };

/** Whether this probe may reuse `held` or must run the PIN path. Pure. */
export function decideReuse(held: HeldCertificate | undefined, reuse: ReuseConfig, nowMs: number): ReuseDecision {
  if (!held) return { kind: 'full', reason: 'no certificate held' };
  if (held.notAfterMs - nowMs < reuse.minValidityMs) return { kind: 'full', reason: 'the held certificate is about to expire' };
  if (nowMs - held.issuedAtMs >= reuse.fullIntervalMs) return { kind: 'full', reason: 'full_interval has passed' };
  return { kind: 'reuse', held };
}

/** The module's table without the stages that need the PIN. */
export function stagesWithoutPin(table: StageTable): StageTable {
  return table.filter((entry) => !entry.needsPin);
}

/**
 * The table with the issuing stage wrapped so that, when it passes, `onIssued` sees the certificate
 * it left in the run's state and the run's key pair. The stage itself is unchanged.
 */
export function capturingIssuedCertificate(table: StageTable, onIssued: (state: RunState, keyPair: KeyPair) => void): StageTable {
  return table.map((entry) =>
    entry.name !== 'certificate'
      ? entry
      : {
          ...entry,
          load: async () => {
            const stage = await entry.load();
            return async (context) => {
              const outcome = await stage(context);
              onIssued(context.state, await context.keyPair);
              return outcome;
            };
          },
        },
  );
}

/** What the state of a passed certificate stage holds, as a HeldCertificate. */
export function heldFrom(state: RunState, keyPair: KeyPair, issuedAtMs: number): HeldCertificate | undefined {
  const info = state.discovered.issuedCertificate;
  const notAfterMs = info ? Date.parse(info.notAfter) : Number.NaN;
  if (!info || Number.isNaN(notAfterMs)) return undefined;
  return {
    info,
    notAfterMs,
    issuedAtMs,
    privateKeyPem: keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certificatePem: state.issuedCertificatePem,
  };
}

/** The domain of the user the held certificate names (`CN=user@domain`), for the sign-in stages. */
export function sipDomainOfHeld(held: HeldCertificate): string | undefined {
  return /CN=[^,\n@]+@([^,\n]+)/.exec(held.info.subject)?.[1]?.trim().toLowerCase();
}

/** The held key as the run's key pair: a reuse run signs with it, and generates none. */
export function heldKeyPair(held: HeldCertificate): KeyPair {
  const privateKey = createPrivateKey(held.privateKeyPem);
  return { privateKey, publicKey: createPublicKey(privateKey), generatedInMs: 0, source: 'held' };
}

/**
 * A reuse run's report as the renderers expect it: the PIN stages the module selected are 'skipped'
 * (saying which certificate stood in for them), in run order, and the held certificate is the issued one.
 */
export function reuseReport(report: RunReport, selected: readonly StageName[], skipped: readonly StageName[], held: HeldCertificate): RunReport {
  const ran = new Map(report.stages.map((stage) => [stage.name, stage]));
  const summary = `reused the certificate issued ${new Date(held.issuedAtMs).toISOString()} (serial ${held.info.serialNumber}, valid until ${held.info.notAfter}); no PIN sent`;
  const stages = selected.flatMap((name): StageReport[] => {
    const stage = ran.get(name);
    if (stage) return [stage];
    if (!skipped.includes(name)) return [];
    return [{ name, status: 'skipped', ms: 0, summary, evidence: { certificateReused: true }, notes: [] }];
  });
  return { ...report, stages, discovered: { ...report.discovered, issuedCertificate: held.info } };
}

interface StoredCertificate extends HeldCertificate {
  key: string;
}

/** Held certificates by (module, target, account settings); optionally mirrored to a state directory. */
export class CertificateStore {
  private readonly held = new Map<string, HeldCertificate>();

  async get(key: string, stateDir: string | undefined): Promise<HeldCertificate | undefined> {
    const inMemory = this.held.get(key);
    if (inMemory || stateDir === undefined) return inMemory;
    let stored: StoredCertificate;
    try {
      stored = JSON.parse(await readFile(fileFor(stateDir, key), 'utf8')) as StoredCertificate;
    } catch {
      // Nothing kept yet, or a file this version cannot read: the full path makes a new one.
      return undefined;
    }
    if (stored.key !== key || typeof stored.privateKeyPem !== 'string' || typeof stored.notAfterMs !== 'number') return undefined;
    const { key: _ignored, ...held } = stored;
    this.held.set(key, held);
    return held;
  }

  async put(key: string, held: HeldCertificate, stateDir: string | undefined): Promise<void> {
    this.held.set(key, held);
    if (stateDir === undefined) return;
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const file = fileFor(stateDir, key);
    const temporary = `${file}.${process.pid}`;
    const stored: StoredCertificate = { key, ...held };
    try {
      await writeFile(temporary, JSON.stringify(stored), { mode: 0o600 });
      // The mode of writeFile is masked by the umask; the key must not be readable by others whatever it is.
      await chmod(temporary, 0o600);
      await rename(temporary, file);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }
}

function fileFor(stateDir: string, key: string): string {
  return join(stateDir, `certificate-${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`);
}
