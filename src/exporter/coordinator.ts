// Account safety for the exporter (docs/exporter.md): every scrape would otherwise send a PIN and
// publish a certificate. So:
// - one probe at a time per account (a lock per extension), and scrapes of a (module, target)
//   whose probe is running join it instead of starting another;
// - a minimum interval per (module, target): scrapes in between get the last result and its age;
// - after the server refused the PIN the account is latched: no PIN is sent again until the account's
//   configuration changes or an operator unlatches it;
// - a run is never cut by a scrape timeout: the scrape stops waiting, the run goes on and its
//   result is served to later scrapes;
// - at most `concurrency` runs at once; the others queue, and their wait is measured.

import { diagnose } from '../diagnosis/classify.js';
import { observe } from '../diagnosis/observation.js';
import { STAGE_NAMES, type RunReport, type StageReport } from '../model.js';
import type { ConnectionInfo } from '../net/connector.js';
import { PinHolder } from '../stages/pin-holder.js';
import type { LogLine } from '../stages/types.js';
import type { ModuleConfig } from './config.js';
import type { ProbeRunResult, ProbeTarget } from './probe-run.js';

export interface ProbeRecord {
  id: number;
  module: string;
  target: string;
  startedAtMs: number;
  finishedAtMs: number;
  queueMs: number;
  report: RunReport;
  log: LogLine[];
  connections: ConnectionInfo[];
  /** Requests that carried the PIN in this run. */
  pinUses: number;
  pinRejected: boolean;
}

/** How a scrape was answered: a run it started or joined, the cache, the latch, or nothing yet. */
export type ServedKind = 'fresh' | 'joined' | 'cached' | 'latched' | 'stale' | 'pending';
export const SERVED_KINDS: readonly ServedKind[] = ['fresh', 'joined', 'cached', 'latched', 'stale', 'pending'];

export interface ServedProbe {
  kind: ServedKind;
  /** Absent only for 'pending' (the first run of this target has not finished). */
  record?: ProbeRecord;
  /** Seconds since the served record finished (0 for a run this scrape waited for). */
  ageSeconds: number;
  latched: boolean;
}

export interface ProbeRequest {
  module: ModuleConfig;
  /** The PIN of the module's account, held by the caller apart from the module. */
  pin: string;
  target: ProbeTarget;
  targetText: string;
  /** How long this scrape can wait for a result. */
  waitMs: number;
}

export type ProbeRunner = (module: ModuleConfig, target: ProbeTarget, pin: PinHolder) => Promise<ProbeRunResult>;

export interface CoordinatorOptions {
  concurrency: number;
  recentProbes: number;
  run: ProbeRunner;
  now?: () => number;
}

interface Latch {
  fingerprint: string;
  module: string;
  sinceMs: number;
  record: ProbeRecord;
}

/** Results kept for (module, target) pairs; targets come from scrapes, so the map must not grow without end. */
const MAX_REMEMBERED_TARGETS = 4096;

/** Queue-wait histogram buckets, seconds. */
export const QUEUE_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

export interface CoordinatorStats {
  probesByResult: { success: number; failure: number };
  scrapesByKind: Record<ServedKind, number>;
  pinUses: number;
  running: number;
  queued: number;
  queueWait: { buckets: number[]; sum: number; count: number };
}

/** A FIFO semaphore whose size can change while slots are taken (a reload may lower it). */
class Slots {
  private taken = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private size: number) {}

  get queued(): number {
    return this.waiting.length;
  }

  acquire(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.drain();
    });
  }

  release(): void {
    this.taken -= 1;
    this.drain();
  }

  resize(size: number): void {
    this.size = size;
    this.drain();
  }

  private drain(): void {
    while (this.taken < this.size && this.waiting.length > 0) {
      this.taken += 1;
      this.waiting.shift()?.();
    }
  }
}

/** The account a module signs in as: what the lock and the latch are about. */
export function accountKeyOf(module: ModuleConfig): string {
  return module.account.extension;
}

function notRun(name: StageReport['name']): StageReport {
  return { name, status: 'not-run', ms: 0, summary: 'not run', evidence: {}, notes: [] };
}

function failedReport(stages: StageReport[], startedAt: Date, error: string): RunReport {
  return {
    targetUri: '',
    targetFqdn: '',
    result: 'Failure',
    latencyMs: 0,
    error,
    stages,
    discovered: { source: { targetUri: 'none', targetFqdn: 'none' } },
    startedAt: startedAt.toISOString(),
  };
}

/** A report for a probe that could not be started (bad CA file, no such interface): the host's fault. */
function notStartedReport(message: string, startedAt: Date): RunReport {
  const observation = observe.local('exporter');
  const first = STAGE_NAMES[0]!;
  const diagnosis = diagnose(first, observation);
  const stages = STAGE_NAMES.map((name) =>
    name === first ? { ...notRun(name), status: 'fail' as const, summary: message, error: { observation, message }, diagnosis } : notRun(name),
  );
  return failedReport(stages, startedAt, `${diagnosis.id}: ${diagnosis.summary}`);
}

/** What a scrape gets while the first run of its target is still going: failure, nothing reached yet. */
export function pendingReport(nowMs: number): RunReport {
  return failedReport(STAGE_NAMES.map(notRun), new Date(nowMs), '');
}

export class ProbeCoordinator {
  private readonly now: () => number;
  private readonly slots: Slots;
  private recentLimit: number;
  private readonly results = new Map<string, ProbeRecord>();
  private readonly inFlight = new Map<string, Promise<ProbeRecord>>();
  private readonly accountLocks = new Map<string, Promise<unknown>>();
  private readonly latches = new Map<string, Latch>();
  private readonly recent: ProbeRecord[] = [];
  private nextId = 1;
  private running = 0;
  private readonly stats: CoordinatorStats = {
    probesByResult: { success: 0, failure: 0 },
    scrapesByKind: { fresh: 0, joined: 0, cached: 0, latched: 0, stale: 0, pending: 0 },
    pinUses: 0,
    running: 0,
    queued: 0,
    queueWait: { buckets: QUEUE_BUCKETS.map(() => 0), sum: 0, count: 0 },
  };

  constructor(private readonly options: CoordinatorOptions) {
    this.now = options.now ?? Date.now;
    this.recentLimit = options.recentProbes;
    this.slots = new Slots(options.concurrency);
  }

  /** A reloaded configuration: new limits, and latches end for accounts whose settings changed. */
  reconfigure(concurrency: number, recentProbes: number, modules: ReadonlyMap<string, ModuleConfig>): void {
    this.slots.resize(concurrency);
    this.recentLimit = recentProbes;
    for (const [account, latch] of this.latches) {
      const module = modules.get(latch.module);
      if (!module || accountKeyOf(module) !== account || module.account.fingerprint !== latch.fingerprint) this.latches.delete(account);
    }
  }

  /** `POST /-/unlatch?module=`: an operator has checked the account; PINs may be sent again. */
  unlatch(module: ModuleConfig): boolean {
    return this.latches.delete(accountKeyOf(module));
  }

  isLatched(module: ModuleConfig): boolean {
    return this.latchFor(module) !== undefined;
  }

  recentProbes(): readonly ProbeRecord[] {
    return this.recent;
  }

  snapshot(): CoordinatorStats {
    return { ...this.stats, running: this.running, queued: this.slots.queued, queueWait: { ...this.stats.queueWait, buckets: [...this.stats.queueWait.buckets] } };
  }

  private latchFor(module: ModuleConfig): Latch | undefined {
    const latch = this.latches.get(accountKeyOf(module));
    return latch && latch.fingerprint === module.account.fingerprint ? latch : undefined;
  }

  private ageSeconds(record: ProbeRecord): number {
    return Math.max(0, (this.now() - record.finishedAtMs) / 1000);
  }

  private served(kind: ServedKind, record: ProbeRecord | undefined, module: ModuleConfig, fresh = false): ServedProbe {
    this.stats.scrapesByKind[kind] += 1;
    const result: ServedProbe = { kind, ageSeconds: record && !fresh ? this.ageSeconds(record) : 0, latched: this.isLatched(module) };
    if (record) result.record = record;
    return result;
  }

  /** Answers one scrape, following the safety rules above. */
  async probe(request: ProbeRequest): Promise<ServedProbe> {
    const { module } = request;
    const key = `${module.name}\n${request.targetText}`;
    const latch = this.latchFor(module);
    if (latch) return this.served('latched', this.results.get(key) ?? latch.record, module);
    const previous = this.results.get(key);
    if (previous && this.now() - previous.finishedAtMs < module.budgets.minIntervalMs) return this.served('cached', previous, module);

    let running = this.inFlight.get(key);
    const joined = running !== undefined;
    if (!running) {
      running = this.runExclusive(key, request);
      this.inFlight.set(key, running);
      const started = running;
      void started.finally(() => {
        if (this.inFlight.get(key) === started) this.inFlight.delete(key);
      });
    }
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), Math.max(0, request.waitMs));
    });
    try {
      const record = await Promise.race([running, gaveUp]);
      if (record) return this.served(joined ? 'joined' : 'fresh', record, module, true);
      // The scrape's time is up; the run goes on (it may be mid-way through a PIN exchange).
      return previous ? this.served('stale', previous, module) : this.served('pending', undefined, module);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs under the account's lock, so one account never has two sign-ins at once. */
  private runExclusive(key: string, request: ProbeRequest): Promise<ProbeRecord> {
    const account = accountKeyOf(request.module);
    const before = this.accountLocks.get(account) ?? Promise.resolve();
    const run = before.then(() => this.runOnce(key, request));
    const settled = run.catch(() => undefined);
    this.accountLocks.set(account, settled);
    void settled.then(() => {
      if (this.accountLocks.get(account) === settled) this.accountLocks.delete(account);
    });
    return run;
  }

  private async runOnce(key: string, request: ProbeRequest): Promise<ProbeRecord> {
    const { module } = request;
    // Another module of this account may have been refused while this one waited for the lock.
    const latch = this.latchFor(module);
    if (latch) return this.results.get(key) ?? latch.record;

    const queuedAt = this.now();
    await this.slots.acquire();
    const queueMs = this.now() - queuedAt;
    this.recordQueueWait(queueMs / 1000);
    this.running += 1;
    const startedAtMs = this.now();
    const pin = new PinHolder(request.pin);
    let outcome: ProbeRunResult;
    try {
      outcome = await this.options.run(module, request.target, pin);
    } catch (error) {
      outcome = { report: notStartedReport((error as Error).message, new Date(startedAtMs)), log: [], connections: [] };
    } finally {
      this.running -= 1;
      this.slots.release();
    }
    const record: ProbeRecord = {
      id: this.nextId++,
      module: module.name,
      target: request.targetText,
      startedAtMs,
      finishedAtMs: this.now(),
      queueMs,
      report: outcome.report,
      log: outcome.log,
      connections: outcome.connections,
      pinUses: pin.uses,
      pinRejected: pin.rejected,
    };
    this.stats.pinUses += pin.uses;
    this.stats.probesByResult[record.report.result === 'Success' ? 'success' : 'failure'] += 1;
    if (pin.rejected) {
      this.latches.set(accountKeyOf(module), { fingerprint: module.account.fingerprint, module: module.name, sinceMs: record.finishedAtMs, record });
    }
    this.results.delete(key);
    this.results.set(key, record);
    if (this.results.size > MAX_REMEMBERED_TARGETS) this.results.delete(this.results.keys().next().value ?? key);
    this.recent.unshift(record);
    this.recent.splice(this.recentLimit);
    return record;
  }

  private recordQueueWait(seconds: number): void {
    const wait = this.stats.queueWait;
    QUEUE_BUCKETS.forEach((bound, index) => {
      if (seconds <= bound) wait.buckets[index] = (wait.buckets[index] ?? 0) + 1;
    });
    wait.sum += seconds;
    wait.count += 1;
  }
}
