// Renderers show every pipeline stage, in run order, even when the run stopped early.

import { STAGE_NAMES, type RunReport, type StageReport } from '../model.js';

export function notRunStage(name: StageReport['name']): StageReport {
  return { name, status: 'not-run', ms: 0, summary: 'not run', evidence: {}, notes: [] };
}

/**
 * The report's stages in STAGE_NAMES order; stages the report lacks are shown as not run, except
 * those after `stoppedAfter` (a `--stop-after` run shows only what it was asked to run).
 */
export function orderedStages(report: Pick<RunReport, 'stages' | 'stoppedAfter'>): StageReport[] {
  const byName = new Map(report.stages.map((stage) => [stage.name, stage]));
  const names = report.stoppedAfter === undefined ? STAGE_NAMES : STAGE_NAMES.slice(0, STAGE_NAMES.indexOf(report.stoppedAfter) + 1);
  return names.map((name) => byName.get(name) ?? notRunStage(name));
}

/** The stage that ended the run, if any. */
export function failedStage(report: Pick<RunReport, 'stages'>): StageReport | undefined {
  return report.stages.find((stage) => stage.status === 'fail');
}
