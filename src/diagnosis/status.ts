// How a diagnosis severity turns into a stage status, a process exit code and a Nagios plugin state.

import { EXIT, type ExitCode } from '../exit-codes.js';
import type { DiagnosisSeverity, RunReport, StageStatus } from '../model.js';

/** Monitoring Plugins exit states. */
export const NAGIOS = { ok: 0, warning: 1, critical: 2, unknown: 3 } as const;
export type NagiosState = (typeof NAGIOS)[keyof typeof NAGIOS];
export const NAGIOS_LABEL: Readonly<Record<NagiosState, string>> = { 0: 'OK', 1: 'WARNING', 2: 'CRITICAL', 3: 'UNKNOWN' };

export function nagiosStateForSeverity(severity: DiagnosisSeverity): NagiosState {
  switch (severity) {
    case 'fail':
      return NAGIOS.critical;
    case 'warn':
      return NAGIOS.warning;
    case 'unknown':
      return NAGIOS.unknown;
    case 'info':
    case 'device-only':
      return NAGIOS.ok;
  }
}

/** A stage's status from its diagnosis: 'unknown' still stops the run (the step could not be done). */
export function stageStatusForSeverity(severity: DiagnosisSeverity): StageStatus {
  switch (severity) {
    case 'fail':
    case 'unknown':
      return 'fail';
    case 'warn':
      return 'warn';
    case 'info':
    case 'device-only':
      return 'pass';
  }
}

/** The worst state over the run's stages (UNKNOWN outranks CRITICAL: the check itself did not run). */
export function nagiosStateForRun(report: RunReport): NagiosState {
  // A run stopped from outside checked nothing to the end.
  if (report.result === 'Interrupted') return NAGIOS.unknown;
  let state: NagiosState = NAGIOS.ok;
  const rank = (value: NagiosState) => (value === NAGIOS.unknown ? 3.5 : value);
  for (const stage of report.stages) {
    let stageState: NagiosState = NAGIOS.ok;
    if (stage.diagnosis) stageState = nagiosStateForSeverity(stage.diagnosis.severity);
    else if (stage.status === 'fail') stageState = NAGIOS.critical;
    else if (stage.status === 'warn') stageState = NAGIOS.warning;
    if (rank(stageState) > rank(state)) state = stageState;
  }
  if (report.result === 'Failure' && state === NAGIOS.ok) state = NAGIOS.critical;
  return state;
}

/** Exit code of a finished run: 0 success, 4 when this host could not test, 1 when a stage failed. */
export function exitCodeForRun(report: RunReport): ExitCode {
  if (report.result === 'Success') return EXIT.ok;
  const failed = report.stages.find((stage) => stage.status === 'fail');
  if (failed?.diagnosis?.severity === 'unknown') return EXIT.local;
  return EXIT.failed;
}
