// The stage table: one line per stage (mark, stage, ms, one line of evidence), written to stderr,
// live as each stage finishes on a TTY, all at once at the end otherwise.

import { formatMs } from './latency.js';
import { STAGE_NAMES, type RunReport, type StageName, type StageReport, type StageStatus } from '../model.js';
import { orderedStages } from './stages.js';
import { type Colour, paint, type TerminalStyle } from './style.js';

export const STATUS_MARK: Readonly<Record<StageStatus, string>> = {
  pass: '✓',
  fail: '✗',
  warn: '!',
  skipped: '–',
  'not-run': '–',
};

const STATUS_COLOUR: Readonly<Record<StageStatus, Colour>> = {
  pass: 'green',
  fail: 'red',
  warn: 'yellow',
  skipped: 'dim',
  'not-run': 'dim',
};

const NAME_WIDTH = Math.max(...STAGE_NAMES.map((name) => name.length));
const MS_WIDTH = 6;

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** What the line says after the timing: the evidence summary, or for a failure the id and what was seen. */
export function stageLineText(stage: StageReport): string {
  if (stage.status === 'not-run' || stage.status === 'skipped') return stage.summary || 'not run';
  if ((stage.status === 'fail' || stage.status === 'warn') && stage.diagnosis) {
    const seen = stage.error?.message ?? stage.summary;
    return oneLine(seen ? `${stage.diagnosis.id}: ${seen}` : `${stage.diagnosis.id}: ${stage.diagnosis.summary}`);
  }
  return oneLine(stage.summary);
}

export function formatStageLine(stage: StageReport, style: TerminalStyle): string {
  const ran = stage.status !== 'not-run' && stage.status !== 'skipped';
  const mark = paint(style, STATUS_COLOUR[stage.status], STATUS_MARK[stage.status]);
  const name = stage.name.padEnd(NAME_WIDTH);
  const ms = (ran ? `${formatMs(stage.ms)} ms` : '–').padStart(MS_WIDTH + 3);
  const text = stageLineText(stage);
  const line = `${mark} ${name} ${ms}  ${ran ? text : paint(style, 'dim', text)}`;
  return line.trimEnd();
}

/** The whole table, every stage in run order (missing ones as not run), newline-terminated. */
export function renderStageTable(report: Pick<RunReport, 'stages'>, style: TerminalStyle): string {
  return orderedStages(report)
    .map((stage) => `${formatStageLine(stage, style)}\n`)
    .join('');
}

export interface StageDisplay {
  stageStarted(name: StageName): void;
  stageFinished(stage: StageReport): void;
  /** Prints what has not been printed yet (everything, when not on a TTY). */
  finish(report: Pick<RunReport, 'stages'>): void;
  /**
   * Wraps another writer to the same terminal (the --verbose log) so that its lines do not land in
   * the middle of the pending "… stage" line: the pending line is cleared first and redrawn after.
   */
  interleave(write: (text: string) => void): (text: string) => void;
}

export interface StageDisplayOptions {
  write: (text: string) => void;
  style: TerminalStyle;
  /** Every line goes through it (stage summaries can quote server text). */
  redact: (text: string) => string;
}

/**
 * On a TTY: a pending line while a stage runs, replaced by its result line when it finishes.
 * Elsewhere (pipes, files, TERM=dumb): silent until finish(), which prints the whole table once.
 */
export function createStageDisplay({ write, style, redact }: StageDisplayOptions): StageDisplay {
  const printed = new Set<StageName>();
  let pending: StageName | undefined;
  const out = (text: string) => write(redact(text));
  const clearPending = () => {
    if (pending !== undefined) out('\r\u001b[2K');
    pending = undefined;
  };

  const drawPending = (name: StageName) => {
    pending = name;
    out(`${paint(style, 'dim', `… ${name.padEnd(NAME_WIDTH)}`)}`);
  };

  return {
    stageStarted(name) {
      if (!style.tty) return;
      clearPending();
      drawPending(name);
    },
    stageFinished(stage) {
      if (!style.tty) return;
      clearPending();
      printed.add(stage.name);
      out(`${formatStageLine(stage, style)}\n`);
    },
    finish(report) {
      clearPending();
      for (const stage of orderedStages(report)) {
        if (printed.has(stage.name)) continue;
        printed.add(stage.name);
        out(`${formatStageLine(stage, style)}\n`);
      }
    },
    interleave(other) {
      return (text) => {
        const waiting = pending;
        clearPending();
        other(text);
        if (waiting !== undefined) drawPending(waiting);
      };
    },
  };
}
