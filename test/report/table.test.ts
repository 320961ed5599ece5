import { describe, expect, it } from 'vitest';
import { STAGE_NAMES } from '../../src/model.js';
import { createRedactor } from '../../src/report/redact.js';
import { PLAIN } from '../../src/report/style.js';
import { createStageDisplay, renderStageTable } from '../../src/report/table.js';
import { pinRejectedReport, successReport } from './fixtures.js';

const COLOUR = { color: true, tty: true };
const ESC = '\u001b[';

describe('stage table', () => {
  it('prints one line per stage in run order, marks, ms and the evidence line', () => {
    const lines = renderStageTable(successReport(), PLAIN).trimEnd().split('\n');
    expect(lines).toHaveLength(STAGE_NAMES.length);
    lines.forEach((line, index) => {
      expect(line.startsWith(`✓ ${STAGE_NAMES[index]}`)).toBe(true);
    });
    expect(lines[0]).toMatch(/^✓ discover\s+12 ms {2}DHCPACK from 127\.0\.0\.1/);
    expect(lines[6]).toMatch(/90 ms {2}CN=alice@lab/);
  });

  it('aligns the ms column', () => {
    const lines = renderStageTable(successReport(), PLAIN).trimEnd().split('\n');
    const columns = new Set(lines.map((line) => line.indexOf(' ms ')));
    expect(columns.size).toBe(1);
  });

  it('marks the failed stage with ✗, its id and what was observed, and later stages as not run', () => {
    const table = renderStageTable(pinRejectedReport(), PLAIN);
    const lines = table.trimEnd().split('\n');
    expect(lines[2]).toMatch(/^✗ webticket\s+150 ms {2}webticket-auth-rejected: HTTP 500 with a FailedAuthentication fault$/);
    for (const line of lines.slice(3)) expect(line).toMatch(/^– \S+\s+– {2}not run$/);
    // Stages missing from the report are still listed.
    expect(lines).toHaveLength(STAGE_NAMES.length);
  });

  it('uses ! for a warning', () => {
    const report = successReport();
    report.stages[0] = { ...report.stages[0]!, status: 'warn', summary: 'no option 120' };
    expect(renderStageTable(report, PLAIN).split('\n')[0]).toMatch(/^! discover/);
  });

  it('colours only when told to', () => {
    expect(renderStageTable(pinRejectedReport(), PLAIN)).not.toContain(ESC);
    const coloured = renderStageTable(pinRejectedReport(), COLOUR);
    expect(coloured).toContain(`${ESC}32m✓`);
    expect(coloured).toContain(`${ESC}31m✗`);
  });
});

describe('live stage display', () => {
  function capture() {
    const chunks: string[] = [];
    return { chunks, write: (text: string) => chunks.push(text) };
  }

  it('prints nothing while running when not on a TTY, then the whole table once', () => {
    const { chunks, write } = capture();
    const display = createStageDisplay({ write, style: PLAIN, redact: createRedactor() });
    const report = successReport();
    for (const stage of report.stages) {
      display.stageStarted(stage.name);
      display.stageFinished(stage);
    }
    expect(chunks).toEqual([]);
    display.finish(report);
    expect(chunks.join('')).toBe(renderStageTable(report, PLAIN));
    expect(chunks.join('')).not.toContain('\r');
  });

  it('on a TTY prints each stage as it finishes and only the rest at the end', () => {
    const { chunks, write } = capture();
    const style = { color: false, tty: true };
    const display = createStageDisplay({ write, style, redact: createRedactor() });
    const report = pinRejectedReport();
    display.stageStarted('discover');
    expect(chunks.join('')).toContain('discover');
    display.stageFinished(report.stages[0]!);
    expect(chunks.join('')).toMatch(/\r\u001b\[2K✓ discover .*\n$/);
    const before = chunks.length;
    display.finish(report);
    const rest = chunks.slice(before).join('');
    expect(rest).not.toContain('✓ discover');
    expect(rest).toContain('✓ rootchain');
    expect(rest).toContain('✗ webticket');
    expect(rest.match(/not run/g)).toHaveLength(STAGE_NAMES.length - 3);
  });

  it('keeps interleaved log lines off the pending line and redraws it after', () => {
    const { chunks, write } = capture();
    const display = createStageDisplay({ write, style: { color: false, tty: true }, redact: createRedactor() });
    const log = display.interleave(write);
    display.stageStarted('rootchain');
    log('[+   12 ms] Connecting to web service : http://pool/\n');
    const text = chunks.join('');
    expect(text).toMatch(/… rootchain\s*\r\u001b\[2K\[\+   12 ms\] Connecting.*\n… rootchain/);
  });

  it('redacts what it writes', () => {
    const { chunks, write } = capture();
    const display = createStageDisplay({ write, style: PLAIN, redact: createRedactor(['14789']) });
    const report = successReport();
    report.stages[0] = { ...report.stages[0]!, summary: 'echo 14789' };
    display.finish(report);
    expect(chunks.join('')).not.toContain('14789');
    expect(chunks.join('')).toContain('echo [REDACTED]');
  });
});
