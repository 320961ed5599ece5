// Runs the stages in order, each under its own deadline, and turns what each one saw into a
// StageReport with a diagnosis. The first failure stops the run; the rest are reported 'not-run'.
// Nothing here waits without a limit: every stage races its deadline, and the transport is closed
// whatever happens.

import { BootstrapTestError, LocalEnvironmentError } from '../errors.js';
import { diagnose, type DiagnosisContext } from '../diagnosis/classify.js';
import type { LookupFunction } from 'node:net';
import { observationOf } from '../diagnosis/transport.js';
import { observe } from '../diagnosis/observation.js';
import { stageStatusForSeverity } from '../diagnosis/status.js';
import type { ConnectionInfo } from '../net/connector.js';
import { startKeyGeneration, type KeyPair, type KeySource } from '../pki/keys.js';
import { TransportError } from '../net/errors.js';
import type { EventLoopUtilization } from 'node:perf_hooks';
import type { HttpExchange, HttpTransport } from '../net/transport.js';
import type { RunReport, ServerConnection, StageError, StageName, StageReport } from '../model.js';
import { PinRejectedError, type PinHolder } from './pin-holder.js';
import { STAGE_TABLE, stageBudget, type StageEntry, type StageTable } from './registry.js';
import {
  StageFailure,
  type Clock,
  type LogLine,
  type PipelineOptions,
  type RunState,
  type Stage,
  type StageContext,
  type StageOutcome,
  type StageSequel,
  type VerboseLog,
} from './types.js';

export interface PipelineHooks {
  onStageStart?: (name: StageName) => void;
  onStageEnd?: (report: StageReport) => void;
  onLog?: (line: LogLine) => void;
  onExchange?: (exchange: HttpExchange) => void;
  onDhcpPacket?: StageContext['onDhcpPacket'];
  onConnection?: (info: ConnectionInfo) => void;
  onSipMessage?: StageContext['onSipMessage'];
}

export interface PipelineDependencies {
  clock?: Clock;
  /** A key pair made elsewhere (benchmarks reuse one); default: generate RSA 2048 at start. */
  keyPair?: Promise<KeyPair>;
  /** Aborts the whole run (Ctrl-C). */
  signal?: AbortSignal;
  /** The stages to run, in order; default: the real ones (tests pass fakes). */
  stages?: StageTable;
  /** Name lookup for the HTTP transport (default: the system's); tests inject NXDOMAIN with it. */
  lookup?: LookupFunction;
  /**
   * The pool answers on this thread (the demo's in-process lab): busy time is then not the tool's
   * alone, so no client time is taken out and each stage's time is its wall time.
   */
  poolOnThisThread?: boolean;
}

export interface PipelineResult {
  report: RunReport;
  log: LogLine[];
  connections: ConnectionInfo[];
  /** Set when a stage failed because of a bug in the tool rather than anything it observed. */
  internalError?: Error;
  /** Key generation time (it overlaps the network stages). */
  keyGenerationMs?: number;
  keySource?: KeySource;
}

function systemClock(): Clock {
  const started = performance.now();
  return { now: () => new Date(), elapsedMs: () => performance.now() - started };
}

/** How long a stage may take to report its own failure once its signal aborted, before the pipeline cuts it off. */
const GRACE_AFTER_DEADLINE_MS = 50;

/** The abort reason for a run stopped from outside (Ctrl-C): the host did not finish the test. */
export class RunInterruptedError extends BootstrapTestError {
  constructor() {
    super('BT_RUN_INTERRUPTED', 'interrupted before the run finished');
  }
}

class StageDeadlineError extends BootstrapTestError {
  constructor(
    readonly stage: StageName,
    readonly limitMs: number,
    readonly runDeadline: boolean,
  ) {
    super(
      'BT_STAGE_DEADLINE',
      runDeadline
        ? `the run's deadline (--timeout) passed during ${stage} after ${limitMs} ms`
        : `${stage} did not finish within its ${limitMs} ms deadline`,
    );
  }
}

/** Rejects a little after the signal aborts, so a stage that honours the signal reports its own, more precise failure first. */
function deadlineReached(signal: AbortSignal, cleanup: Array<() => void>): Promise<never> {
  return new Promise((_, reject) => {
    const onAbort = (): void => {
      const timer = setTimeout(() => reject(signal.reason), GRACE_AFTER_DEADLINE_MS);
      cleanup.push(() => clearTimeout(timer));
    };
    if (signal.aborted) onAbort();
    else {
      signal.addEventListener('abort', onAbort, { once: true });
      cleanup.push(() => signal.removeEventListener('abort', onAbort));
    }
  });
}

interface FailureDetails {
  error: StageError;
  evidence: StageReport['evidence'];
  facts: DiagnosisContext;
  internal?: Error;
}

function serverConnectionOf(info: ConnectionInfo): ServerConnection {
  const connection: ServerConnection = { host: info.host, address: info.address, port: info.port };
  if (info.tlsProtocol) connection.tlsProtocol = info.tlsProtocol;
  if (info.peerCertificate) connection.certificate = { ...info.peerCertificate };
  return connection;
}

function failureOf(thrown: unknown, stage: StageName): FailureDetails {
  if (thrown instanceof StageFailure) return { error: thrown.error, evidence: thrown.evidence, facts: thrown.facts as DiagnosisContext };
  if (thrown instanceof TransportError) {
    return { error: { observation: observationOf(thrown, stage), message: thrown.message }, evidence: { ...thrown.evidence }, facts: {} };
  }
  if (thrown instanceof StageDeadlineError) {
    return {
      error: { observation: thrown.runDeadline ? observe.runDeadline() : observe.timeout(), message: thrown.message },
      evidence: { limitMs: thrown.limitMs, runDeadline: thrown.runDeadline },
      facts: {},
    };
  }
  if (thrown instanceof PinRejectedError) {
    return { error: { observation: 'local:pin-latched', message: thrown.message }, evidence: {}, facts: {} };
  }
  if (thrown instanceof RunInterruptedError) {
    return { error: { observation: 'local:interrupted', message: thrown.message }, evidence: {}, facts: {} };
  }
  // This host could not do the step (no privilege for UDP 68, no usable interface): says nothing about the pool.
  if (thrown instanceof LocalEnvironmentError) {
    return { error: { observation: `local:${thrown.systemCode ?? 'host'}`, message: thrown.message }, evidence: {}, facts: {} };
  }
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  return {
    error: { observation: 'internal', message: `internal error: ${error.message}` },
    evidence: {},
    facts: {},
    internal: error,
  };
}

/** The table up to and including `stopAfter` (the whole table when unset or not in it). */
export function stagesUpTo(table: StageTable, stopAfter: StageName | undefined): StageTable {
  const last = stopAfter === undefined ? -1 : table.findIndex((entry) => entry.name === stopAfter);
  return last < 0 ? table : table.slice(0, last + 1);
}

/** To the microsecond: finer than any of the clocks involved, so sums of stage times stay honest. */
function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Main-thread time spent working (not waiting in the event loop) since `since`, in ms. */
function busySince(since: EventLoopUtilization): number {
  return performance.eventLoopUtilization(since).active;
}

/**
 * The stage's times: wall from its first byte (code loaded) to its end, the tool's own work inside it,
 * and what is left for the pool and the network once that work and any wait for the key are taken out.
 */
function stageTimes(wallMs: number, clientMs: number, keyWaitMs: number): Pick<StageReport, 'ms' | 'wallMs' | 'clientMs'> {
  return { ms: roundMs(Math.max(0, wallMs - clientMs - keyWaitMs)), wallMs: roundMs(wallMs), clientMs: roundMs(Math.min(clientMs, wallMs)) };
}

/** Records how long stages wait for the key pair: the wait starts when a stage first asks for it. */
function keyWaitMeter(keyPair: Promise<KeyPair>): { get: () => Promise<KeyPair>; waitedMs: () => number | undefined } {
  let askedAt: number | undefined;
  let readyAt: number | undefined;
  keyPair.then(
    () => (readyAt = performance.now()),
    () => (readyAt = performance.now()),
  );
  return {
    get: () => {
      askedAt ??= performance.now();
      return keyPair;
    },
    waitedMs: () => (askedAt === undefined ? undefined : Math.max(0, (readyAt ?? performance.now()) - askedAt)),
  };
}

/**
 * One bootstrap run. Never throws for anything the network or the server does; those become the
 * failing stage's report. `internalError` is set when the tool itself broke.
 */
export async function runPipeline(
  options: PipelineOptions,
  pin: PinHolder,
  hooks: PipelineHooks = {},
  dependencies: PipelineDependencies = {},
): Promise<PipelineResult> {
  const clock = dependencies.clock ?? systemClock();
  const startedAt = clock.now().toISOString();
  const keyPair = dependencies.keyPair ?? startKeyGeneration();
  // A run that stops before the certificate stage never awaits the key; that must not be an unhandled rejection.
  keyPair.catch(() => undefined);
  const keyWait = keyWaitMeter(keyPair);

  const log: LogLine[] = [];
  // undici and the SOAP layer cost more to load than the whole DHCP exchange; they load while
  // discovery waits for answers, never before its first packet is out.
  let transport: HttpTransport | undefined;
  let transportModule: Promise<typeof import('../net/transport.js')> | undefined;
  const loadTransport = (): Promise<typeof import('../net/transport.js')> => {
    transportModule ??= import('../net/transport.js');
    return transportModule;
  };
  const openTransport = async (): Promise<HttpTransport> => {
    if (transport) return transport;
    const { HttpTransport: Transport, DEFAULT_TRANSPORT_SETTINGS } = await loadTransport();
    transport = new Transport({
      resolve: options.resolve,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_TRANSPORT_SETTINGS.connectTimeoutMs,
      maxResponseBytes: options.maxResponseBytes,
      onConnection: hooks.onConnection,
      onExchange: hooks.onExchange,
      ...(dependencies.lookup ? { lookup: dependencies.lookup } : {}),
    });
    return transport;
  };
  const state: RunState = {
    discovered: {
      source: {
        targetUri: options.targetUri ? 'option' : 'none',
        targetFqdn: options.targetFqdn ? 'option' : 'none',
      },
    },
  };

  const table = dependencies.stages ?? STAGE_TABLE;
  const stages = stagesUpTo(table, options.stopAfter);
  // Warm the later stages' modules while discovery waits on the network.
  const loaded = new Map<StageName, Promise<Stage>>();
  const load = (entry: StageEntry): Promise<Stage> => {
    let promise = loaded.get(entry.name);
    if (!promise) {
      promise = entry.load();
      promise.catch(() => undefined);
      loaded.set(entry.name, promise);
    }
    return promise;
  };

  let warmed = false;
  const warmLaterStages = (): void => {
    if (warmed) return;
    warmed = true;
    void loadTransport().catch(() => undefined);
    for (const later of stages) void load(later);
  };
  const onDhcpPacket: StageContext['onDhcpPacket'] = (event) => {
    hooks.onDhcpPacket?.(event);
    if (event.direction === 'out') setImmediate(warmLaterStages);
  };

  const runDeadlineAt = options.timeoutMs;
  const reports: StageReport[] = [];
  /** Stages still learning after they returned, with the controller that cuts them off at the run's deadline. */
  const sequels: Array<{ report: StageReport; sequel: Promise<StageSequel>; controller: AbortController }> = [];
  let internalError: Error | undefined;
  let failed = false;

  for (const entry of stages) {
    const { name } = entry;
    if (failed) {
      const report: StageReport = { name, status: 'not-run', ms: 0, summary: 'not run', evidence: {}, notes: [] };
      reports.push(report);
      continue;
    }
    hooks.onStageStart?.(name);
    const notes: string[] = [];
    const stageLog: VerboseLog = (() => {
      const emit = (kind: LogLine['kind'], text: string, body?: string): void => {
        const line: LogLine = { atMs: Math.round(clock.elapsedMs()), stage: name, text, kind };
        if (body !== undefined) line.body = body;
        log.push(line);
        if (kind === 'inferred' || kind === 'defaulted' || kind === 'warn') notes.push(text);
        hooks.onLog?.(line);
      };
      return {
        step: (text) => emit('step', text),
        inferred: (text) => emit('inferred', text),
        defaulted: (text) => emit('defaulted', text),
        detail: (text, body) => emit('detail', text, body),
        warn: (text) => emit('warn', text),
      };
    })();

    const remaining = runDeadlineAt - clock.elapsedMs();
    const { limitMs, limitedByRun } = stageBudget(entry, options, remaining);
    const deadline = performance.now() + limitMs;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new StageDeadlineError(name, limitMs, limitedByRun)), limitMs);
    const signal = dependencies.signal ? AbortSignal.any([controller.signal, dependencies.signal]) : controller.signal;
    const cleanup: Array<() => void> = [];
    // Set once the stage's code is loaded: loading is this tool's business, not the pool's.
    let started = clock.elapsedMs();
    let busyFrom = performance.eventLoopUtilization();
    let keyWaitBefore = keyWait.waitedMs() ?? 0;
    const times = (): Pick<StageReport, 'ms' | 'wallMs' | 'clientMs'> =>
      stageTimes(clock.elapsedMs() - started, dependencies.poolOnThisThread ? 0 : busySince(busyFrom), (keyWait.waitedMs() ?? 0) - keyWaitBefore);

    let stageTransport: HttpTransport | undefined;
    const context: StageContext = {
      options,
      state,
      get transport(): HttpTransport {
        if (!stageTransport) throw new Error(`${name} has no HTTP transport`);
        return stageTransport;
      },
      log: stageLog,
      clock,
      signal,
      deadline,
      pin,
      get keyPair(): Promise<KeyPair> {
        return keyWait.get();
      },
      onDhcpPacket,
      ...(hooks.onSipMessage ? { onSipMessage: hooks.onSipMessage } : {}),
    };

    let report: StageReport;
    try {
      if (remaining <= 0) throw new StageDeadlineError(name, 0, true);
      // When discovery is skipped (or sends nothing) the warm-up starts with the first HTTP stage instead.
      if (entry.usesHttp) warmLaterStages();
      const stage = await Promise.race([load(entry), deadlineReached(signal, cleanup)]);
      if (entry.usesHttp) stageTransport = await Promise.race([openTransport(), deadlineReached(signal, cleanup)]);
      started = clock.elapsedMs();
      busyFrom = performance.eventLoopUtilization();
      keyWaitBefore = keyWait.waitedMs() ?? 0;
      const outcome: StageOutcome = await Promise.race([stage(context), deadlineReached(signal, cleanup)]);
      report = {
        name,
        status: outcome.status,
        ...times(),
        deadlineMs: limitMs,
        summary: outcome.summary,
        evidence: outcome.evidence,
        notes,
      };
      if (outcome.warning) {
        const diagnosis = diagnose(name, outcome.warning.observation);
        report.error = outcome.warning;
        report.diagnosis = diagnosis;
        report.status = stageStatusForSeverity(diagnosis.severity) === 'fail' ? 'warn' : stageStatusForSeverity(diagnosis.severity);
      }
      if (outcome.sequel) {
        outcome.sequel.catch(() => undefined);
        sequels.push({ report, sequel: outcome.sequel, controller });
      }
    } catch (thrown) {
      const failure = failureOf(thrown, name);
      // Nothing came back before a deadline that was the run's, not the stage's: the run's --timeout was spent.
      if (limitedByRun && failure.error.observation === observe.timeout()) {
        failure.error = { ...failure.error, observation: observe.runDeadline(), message: `${failure.error.message}; the run's --timeout left this stage ${limitMs} ms` };
      }
      if (failure.internal) internalError = failure.internal;
      report = {
        name,
        status: 'fail',
        ...times(),
        deadlineMs: limitMs,
        summary: failure.error.message,
        evidence: failure.evidence,
        notes,
        error: failure.error,
        diagnosis: diagnose(name, failure.error.observation, {
          ...failure.facts,
          addressGivenByAdmin: options.targetUri !== undefined,
        }),
      };
      failed = true;
    } finally {
      clearTimeout(timer);
      for (const undo of cleanup) undo();
    }
    reports.push(report);
    hooks.onStageEnd?.(report);
  }

  await transport?.close();
  const runDeadlineLeft = Math.max(0, runDeadlineAt - clock.elapsedMs());
  for (const pending of sequels) await foldSequel(pending, runDeadlineLeft, dependencies.signal);
  const keyWaitMs = keyWait.waitedMs();
  // Only a run that used the key reports it: one that stopped earlier must not wait for it to finish.
  const pair = keyWaitMs === undefined ? undefined : await keyPair.catch(() => undefined);

  const failedStage = reports.find((stage) => stage.status === 'fail');
  const report: RunReport = {
    targetUri: state.certProvisioningUrl?.toString() ?? options.targetUri ?? '',
    targetFqdn: state.registrarFqdn ?? options.targetFqdn ?? '',
    result: failedStage ? 'Failure' : 'Success',
    // What a phone would have waited: the pool's and the network's share of every stage that ran.
    latencyMs: Math.round(reports.reduce((sum, stage) => sum + stage.ms, 0) * 10_000) / 10_000,
    wallMs: roundMs(clock.elapsedMs()),
    ...(keyWaitMs !== undefined ? { keyWaitMs: roundMs(keyWaitMs) } : {}),
    error: failedStage?.diagnosis ? `${failedStage.diagnosis.id}: ${failedStage.diagnosis.summary}` : '',
    stages: reports,
    discovered: state.discovered,
    startedAt,
    ...(options.stopAfter !== undefined && stages.length < table.length ? { stoppedAfter: options.stopAfter } : {}),
    serverConnections: (transport?.connections ?? []).map(serverConnectionOf),
  };
  const result: PipelineResult = { report, log, connections: [...(transport?.connections ?? [])] };
  if (internalError) result.internalError = internalError;
  if (pair) {
    result.keyGenerationMs = pair.generatedInMs;
    result.keySource = pair.source;
  }
  return result;
}

/**
 * Waits for what a stage learnt after it returned (bounded by what is left of the run's deadline)
 * and folds it into the stage's report: more evidence, a new table line, or a late failure.
 */
async function foldSequel(
  { report, sequel, controller }: { report: StageReport; sequel: Promise<StageSequel>; controller: AbortController },
  deadlineLeftMs: number,
  runSignal: AbortSignal | undefined,
): Promise<void> {
  const timer = setTimeout(() => controller.abort(new StageDeadlineError(report.name, deadlineLeftMs, true)), deadlineLeftMs);
  try {
    const late = await sequel;
    Object.assign(report.evidence, late.evidence);
    if (late.summary !== undefined) report.summary = late.summary;
    if (late.failure) {
      report.status = 'fail';
      report.summary = late.failure.message;
      report.error = late.failure;
      report.diagnosis = diagnose(report.name, late.failure.observation);
    }
  } catch (thrown) {
    // Cut short (the run's deadline, Ctrl-C, a socket error): the report keeps what arrived before.
    if (runSignal?.aborted) return;
    report.notes.push(`stopped listening early: ${thrown instanceof Error ? thrown.message : String(thrown)}`);
  } finally {
    clearTimeout(timer);
  }
}
