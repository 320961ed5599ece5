// How a diagnosis severity turns into a stage status and a Nagios plugin state. (Process exit codes
// are the CLI's choice: src/cli.)

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
