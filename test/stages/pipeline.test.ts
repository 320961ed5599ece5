// runPipeline driven by fake stages (issue 7, items 3 and 4): the order, the first failure stopping
// the run, a stage that throws, per-stage and whole-run deadlines, the grace a stage gets after its
// signal aborts, and a stage that never settles. The fakes use the real stage names (reports are
// typed on them) but none of the real stage code, and no network.

import { describe, expect, it } from 'vitest';
import { STAGE_CATALOG_SECTIONS, STAGE_NAMES, type StageName } from '../../src/model.js';
import type { KeyPair } from '../../src/pki/keys.js';
import { runPipeline, RunInterruptedError, type PipelineResult } from '../../src/stages/pipeline.js';
import { PinHolder } from '../../src/stages/pin-holder.js';
import { DHCP_STAGE_MARGIN_MS, STAGE_TABLE, stageBudget, type StageEntry } from '../../src/stages/registry.js';
import { StageFailure, type Clock, type PipelineOptions, type Stage, type StageContext, type StageSequel } from '../../src/stages/types.js';

function options(overrides: Partial<PipelineOptions> = {}): PipelineOptions {
  return {
    phoneOrExt: '7501',
    registrarPort: 5061,
    extraTrustAnchors: [],
    resolve: [],
    dhcp: { clientPort: 0, vendorClass: 'MS-UC-Client', hostName: 'test', extraRequestedOptions: [], timeoutMs: 3000, tries: 2 },
    timeoutMs: 60_000,
    csrHash: 'sha1',
    maxResponseBytes: 1024,
    ...overrides,
  };
}

/** A fake stage entry; `loads` counts how often the pipeline loaded it. */
function fake(name: StageName, stage: Stage, defaultBudgetMs = 5000): StageEntry & { loads: () => number } {
  let loads = 0;
  return {
    name,
    catalogStage: STAGE_CATALOG_SECTIONS[name],
    load: async () => {
      loads += 1;
      return stage;
    },
    defaultBudgetMs,
    usesHttp: false,
    needsPin: false,
    loads: () => loads,
  };
}

const passes: Stage = async () => ({ status: 'pass', summary: 'ok', evidence: {} });
const neverSettles: Stage = () => new Promise(() => undefined);

/** Settles only with the failure it reports itself once its signal aborts. */
const honoursSignal: Stage = (context) =>
  new Promise((_, reject) => {
    context.signal.addEventListener('abort', () => reject(new StageFailure({ observation: 'no-reply', message: 'gave up at the deadline' })), { once: true });
  });

const KEY = Promise.resolve({ generatedInMs: 0 } as KeyPair);

function run(stages: StageEntry[], overrides: Partial<PipelineOptions> = {}, extra: { clock?: Clock; signal?: AbortSignal } = {}): Promise<PipelineResult> {
  return runPipeline(options(overrides), new PinHolder('0000'), {}, { stages, keyPair: KEY, ...extra });
}

function statuses(result: PipelineResult): Array<[string, string]> {
  return result.report.stages.map((stage) => [stage.name, stage.status]);
}

describe('runPipeline with a stage table', () => {
  it('runs the stages in table order and hands each one its deadline and signal', async () => {
    const seen: Array<{ name: string; left: number; aborted: boolean }> = [];
    const recording =
      (name: string): Stage =>
      async (context: StageContext) => {
        seen.push({ name, left: context.deadline - performance.now(), aborted: context.signal.aborted });
        return { status: 'pass', summary: name, evidence: {} };
      };
    const result = await run([fake('discover', recording('discover'), 4000), fake('rootchain', recording('rootchain'), 2000)]);
    expect(statuses(result)).toEqual([
      ['discover', 'pass'],
      ['rootchain', 'pass'],
    ]);
    expect(result.report.result).toBe('Success');
    expect(seen.map((entry) => entry.name)).toEqual(['discover', 'rootchain']);
    expect(seen.every((entry) => !entry.aborted)).toBe(true);
    // The absolute deadline is the stage's budget from when it started, never more.
    expect(seen[0]!.left).toBeGreaterThan(0);
    expect(seen[0]!.left).toBeLessThanOrEqual(4000);
    expect(seen[1]!.left).toBeLessThanOrEqual(2000);
    expect(result.report.stages.map((stage) => stage.deadlineMs)).toEqual([4000, 2000]);
  });

  it('stops at the first failure: the rest are not run and never even loaded', async () => {
    const failing: Stage = async () => {
      throw new StageFailure({ observation: 'content:no-43', message: 'no option 43' }, { responders: 1 });
    };
    const later = fake('webticket', passes);
    const result = await run([fake('discover', passes), fake('rootchain', failing), later, fake('certificate', passes)]);
    expect(statuses(result)).toEqual([
      ['discover', 'pass'],
      ['rootchain', 'fail'],
      ['webticket', 'not-run'],
      ['certificate', 'not-run'],
    ]);
    const failed = result.report.stages[1]!;
    expect(failed.error).toEqual({ observation: 'content:no-43', message: 'no option 43' });
    expect(failed.evidence).toEqual({ responders: 1 });
    expect(failed.diagnosis?.id).toMatch(/^chain-/);
    expect(result.report.result).toBe('Failure');
    expect(result.report.error).toContain(failed.diagnosis!.id);
    expect(later.loads()).toBe(0);
    expect(result.internalError).toBeUndefined();
    expect(result.keyGenerationMs).toBeUndefined();
  });

  it('reports a stage that throws an ordinary error as an internal error of that stage', async () => {
    const bug = new TypeError('cannot read properties of undefined');
    const throwing: Stage = async () => {
      throw bug;
    };
    const result = await run([fake('discover', throwing), fake('rootchain', passes)]);
    expect(statuses(result)).toEqual([
      ['discover', 'fail'],
      ['rootchain', 'not-run'],
    ]);
    expect(result.report.stages[0]!.error?.observation).toBe('internal');
    expect(result.report.stages[0]!.summary).toContain('cannot read properties of undefined');
    expect(result.internalError).toBe(bug);
  });

  it('lets a stage that honours its signal report its own failure at its deadline', async () => {
    const result = await run([fake('discover', honoursSignal, 80), fake('rootchain', passes)]);
    const stage = result.report.stages[0]!;
    expect(stage.status).toBe('fail');
    // Its own, more precise failure wins over the pipeline's generic one (the grace period).
    expect(stage.error).toEqual({ observation: 'no-reply', message: 'gave up at the deadline' });
    expect(stage.deadlineMs).toBe(80);
    expect(result.report.stages[1]!.status).toBe('not-run');
  });

  it('ends a stage that never settles at its deadline plus the grace, as a timeout of that stage', async () => {
    const result = await run([fake('discover', neverSettles, 80), fake('rootchain', passes)]);
    const stage = result.report.stages[0]!;
    expect(stage.status).toBe('fail');
    expect(stage.error?.observation).toBe('timeout');
    expect(stage.error?.message).toBe('discover did not finish within its 80 ms deadline');
    expect(stage.evidence).toEqual({ limitMs: 80, runDeadline: false });
    expect(stage.ms).toBeGreaterThanOrEqual(80);
    expect(result.report.stages[1]!.status).toBe('not-run');
  });

  it('caps a stage by what is left of the run, and says that the run deadline ended it', async () => {
    const result = await run([fake('discover', neverSettles, 10_000), fake('rootchain', passes)], { timeoutMs: 90 });
    const stage = result.report.stages[0]!;
    // A deadline diagnosis, not discover's "no reply" or dhcp-unclassified.
    expect(stage.error?.observation).toBe('timeout:run');
    expect(stage.diagnosis?.id).toBe('run-deadline-exhausted');
    expect(stage.evidence.runDeadline).toBe(true);
    expect(stage.evidence.limitMs).toBeLessThanOrEqual(90);
    expect(stage.deadlineMs).toBe(stage.evidence.limitMs);
    expect(stage.error?.message).toContain("the run's deadline (--timeout) passed during discover");
  });

  it('does not start a stage once the run deadline has passed', async () => {
    let elapsed = 0;
    const clock: Clock = { now: () => new Date(0), elapsedMs: () => elapsed };
    const usesUpTheRun: Stage = async () => {
      elapsed = 500;
      return { status: 'pass', summary: 'slow', evidence: {} };
    };
    const late = fake('rootchain', passes);
    const result = await run([fake('discover', usesUpTheRun), late, fake('webticket', passes)], { timeoutMs: 400 }, { clock });
    expect(statuses(result)).toEqual([
      ['discover', 'pass'],
      ['rootchain', 'fail'],
      ['webticket', 'not-run'],
    ]);
    expect(result.report.stages[1]!.evidence).toEqual({ limitMs: 0, runDeadline: true });
    expect(late.loads()).toBe(0);
  });

  it('stops the run when it is interrupted from outside, whatever the stage does', async () => {
    const interrupt = new AbortController();
    const waitsForever: Stage = (context) => {
      setImmediate(() => interrupt.abort(new RunInterruptedError()));
      return neverSettles(context);
    };
    const result = await run([fake('discover', waitsForever), fake('rootchain', passes)], {}, { signal: interrupt.signal });
    expect(result.report.stages[0]!.error?.observation).toBe('local:interrupted');
    expect(result.report.stages[1]!.status).toBe('not-run');
  });
});

describe('what a stage learns after it returned (its sequel)', () => {
  /** Returns at once; its sequel settles when `release` is called, or rejects when its signal aborts. */
  function withSequel(late: StageSequel): { stage: Stage; release: () => void; order: string[] } {
    const order: string[] = [];
    let release: () => void = () => undefined;
    const stage: Stage = async (context) => ({
      status: 'pass',
      summary: 'first answer',
      evidence: { responders: 1 },
      sequel: new Promise<StageSequel>((resolve, reject) => {
        release = () => {
          order.push('sequel');
          resolve(late);
        };
        context.signal.addEventListener('abort', () => reject(context.signal.reason), { once: true });
      }),
    });
    return { stage, release: () => release(), order };
  }

  it('does not hold up the next stage, and is folded into the report before the run ends', async () => {
    const first = withSequel({ evidence: { responders: 2, listenedMs: 40 }, summary: 'two agree' });
    const next: Stage = async () => {
      first.order.push('next stage');
      setTimeout(first.release, 10);
      return { status: 'pass', summary: 'ok', evidence: {} };
    };
    const result = await run([fake('discover', first.stage), fake('rootchain', next)]);
    expect(first.order).toEqual(['next stage', 'sequel']);
    const discover = result.report.stages[0]!;
    expect(discover).toMatchObject({ status: 'pass', summary: 'two agree', evidence: { responders: 2, listenedMs: 40 } });
    expect(result.report.result).toBe('Success');
  });

  it('fails the stage after the fact when the sequel brings a failure', async () => {
    const first = withSequel({
      evidence: { responders: 2 },
      failure: { observation: 'content:multiple-responders', message: '2 DHCP servers disagree' },
    });
    const next: Stage = async () => {
      setTimeout(first.release, 5);
      return { status: 'pass', summary: 'ok', evidence: {} };
    };
    const result = await run([fake('discover', first.stage), fake('rootchain', next)]);
    expect(statuses(result)).toEqual([
      ['discover', 'fail'],
      ['rootchain', 'pass'],
    ]);
    expect(result.report.result).toBe('Failure');
    expect(result.report.stages[0]!.error?.message).toBe('2 DHCP servers disagree');
  });

  it("is cut off at the run's deadline, and the report keeps what the stage returned with a note", async () => {
    const first = withSequel({ evidence: {} });
    const result = await run([fake('discover', first.stage), fake('rootchain', passes)], { timeoutMs: 60 });
    const discover = result.report.stages[0]!;
    expect(discover.status).toBe('pass');
    expect(discover.notes.join(' ')).toMatch(/stopped listening early/);
  });
});

describe('stageBudget', () => {
  const table = Object.fromEntries(STAGE_TABLE.map((entry) => [entry.name, entry])) as Record<StageName, StageEntry>;
  const dhcp = (timeoutMs: number) => ({ ...options().dhcp, timeoutMs });

  it.each([
    ['the default when nothing is configured', 'rootchain', {}, 60_000, { limitMs: 10_000, limitedByRun: false }],
    ['a configured limit over the default', 'rootchain', { stageTimeoutsMs: { rootchain: 2500 } }, 60_000, { limitMs: 2500, limitedByRun: false }],
    ['what is left of the run when that is less', 'webticket', {}, 7000.7, { limitMs: 7000, limitedByRun: true }],
    ['at least 1 ms once the run is over', 'certificate', {}, -20, { limitMs: 1, limitedByRun: true }],
    ['discover: the configured limit when it outlasts DHCP', 'discover', { dhcp: dhcp(3000) }, 120_000, { limitMs: 65_000, limitedByRun: false }],
    ['discover: DHCP deadline plus margin when the configured limit is shorter', 'discover', { dhcp: dhcp(9000), stageTimeoutsMs: { discover: 2000 } }, 60_000, { limitMs: 9000 + DHCP_STAGE_MARGIN_MS, limitedByRun: false }],
    ['discover: still capped by the run', 'discover', { dhcp: dhcp(9000), stageTimeoutsMs: { discover: 2000 } }, 5000, { limitMs: 5000, limitedByRun: true }],
  ] as const)('%s', (_, name, overrides, remaining, expected) => {
    expect(stageBudget(table[name], options(overrides as Partial<PipelineOptions>), remaining)).toEqual(expected);
  });
});

describe('STAGE_TABLE', () => {
  it('has one entry per stage name, in run order, each loading a stage function', async () => {
    expect(STAGE_TABLE.map((entry) => entry.name)).toEqual([...STAGE_NAMES]);
    for (const entry of STAGE_TABLE) {
      expect(entry.catalogStage).toBe(STAGE_CATALOG_SECTIONS[entry.name]);
      expect(typeof (await entry.load())).toBe('function');
    }
    // Discovery runs before the HTTP transport exists; the sign-in stages speak NTP, DNS and SIP.
    expect(STAGE_TABLE.filter((entry) => !entry.usesHttp).map((entry) => entry.name)).toEqual(['discover', 'time', 'dns', 'registrar-tls', 'register']);
  });
});
