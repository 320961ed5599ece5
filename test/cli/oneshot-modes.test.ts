// The scheduler modes of the built command, against the lab: --format prometheus --output (the
// node_exporter textfile: written then renamed, one file per account, the same HELP texts in every
// file, promtool clean), --nagios (Monitoring Plugins line, perfdata, exit 0/1/2/3, UNKNOWN naming
// the stage cut off by -t) and --count/--interval (a line per run, the per-stage summary, and a loop
// that stops at the first PIN rejection). The PIN appears in none of it. Needs `npm run build`.

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../src/lab/pool.js';
import { CLI_ENTRY } from '../helpers/netns.js';
import { checkMetrics, describeWithTool, promtoolMissing, runTool, seriesOf, type ToolResult } from '../helpers/promtool.js';

let lab: Lab;
let pin = '';
let dir = '';

beforeAll(async () => {
  lab = await startLab({});
  pin = lab.sampleUser.pin ?? '';
  expect(pin).toMatch(/^\d+$/);
  dir = await mkdtemp(join(tmpdir(), 'bt-oneshot-cli-'));
});
afterAll(async () => {
  await lab?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The built command against the lab, the PIN on stdin (never on the command line). */
function runCli(args: string[], pinText = pin): Promise<ToolResult> {
  return runTool(process.execPath, [CLI_ENTRY, ...lab.clientArguments(), '--listen-ms', '100', '--pin-stdin', ...args], `${pinText}\n`, 60_000);
}

function expectNoPin(ran: ToolResult): void {
  expect(ran.stdout).not.toContain(pin);
  expect(ran.stderr).not.toContain(pin);
}

function helpLines(text: string): Map<string, string> {
  return new Map(text.split('\n').filter((line) => line.startsWith('# HELP ')).map((line) => [line.split(' ')[2] ?? '', line]));
}

describeWithTool(promtoolMissing, '--format prometheus --output (node_exporter textfile)', () => {
  it('writes one promtool-clean file per account in a directory, renamed into place, identical HELP across files', async () => {
    await lab.setFaults([]);
    const ok = await runCli(['--format', 'prometheus', '--output', dir]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('');
    expectNoPin(ok);
    const file = join(dir, `phone_bootstrap_${lab.sampleUser.phoneOrExt}.prom`);
    const passing = await readFile(file, 'utf8');
    // Nothing half-written left beside it: the temporary file was renamed over the target.
    expect((await readdir(dir)).filter((name) => name !== `phone_bootstrap_${lab.sampleUser.phoneOrExt}.prom`)).toEqual([]);
    const checked = await checkMetrics(passing);
    expect({ code: checked.code, findings: `${checked.stdout}${checked.stderr}`.trim() }).toEqual({ code: 0, findings: '' });
    const account = `account="${lab.sampleUser.phoneOrExt}"`;
    const values = seriesOf(passing);
    expect(values.get(`probe_success{${account}}`)).toBe(1);
    expect(values.get(`probe_phone_bootstrap_stage_result{${account},stage="certificate",result="pass"}`)).toBe(1);
    const lastRun = values.get(`probe_phone_bootstrap_last_run_timestamp_seconds{${account}}`) ?? 0;
    expect(Math.abs(lastRun - Date.now() / 1000)).toBeLessThan(120);
    expect(passing).not.toMatch(/^[a-z_]+(\{[^}]*\})? \S+ \d+$/m);

    // A second account's file (here: the same user with a rejected PIN, labelled apart).
    await lab.setFaults(['pin-wrong']);
    const other = join(dir, 'other.prom');
    const failing = await runCli(['--format', 'prometheus', '--output', other, '--label', 'account=other']);
    lab.unlockPin(lab.sampleUser.sipUri);
    await lab.setFaults([]);
    expect(failing.code).toBe(1);
    expectNoPin(failing);
    const failingText = await readFile(other, 'utf8');
    expect((await checkMetrics(failingText)).code).toBe(0);
    expect(seriesOf(failingText).get('probe_success{account="other"}')).toBe(0);
    expect(failingText).toMatch(/probe_phone_bootstrap_failure_info\{account="other",stage="webticket",diagnosis="[a-z0-9-]+"\} 1/);
    const helpA = helpLines(passing);
    const helpB = helpLines(failingText);
    const shared = [...helpA.keys()].filter((name) => helpB.has(name));
    expect(shared.length).toBeGreaterThanOrEqual(5);
    for (const name of shared) expect(helpB.get(name)).toBe(helpA.get(name));
    // Together, the two files hold no series twice (node_exporter would refuse the duplicate).
    const seriesA = [...seriesOf(passing).keys()];
    expect(seriesA.filter((series) => seriesOf(failingText).has(series))).toEqual([]);
  });

  it('says which path it could not write, in one line, exit 4', async () => {
    const ran = await runCli(['--format', 'prometheus', '--output', join(dir, 'missing', 'x.prom')]);
    expect(ran.code).toBe(4);
    expect(ran.stderr.trim().split('\n').at(-1)).toMatch(/^bootstrap-test: --output: cannot write ".*missing\/x\.prom" \(ENOENT\)$/);
  });
});

/** Monitoring Plugins perfdata: 'label'=value[UOM];[warn];[crit];[min];[max], space separated. */
const PERFDATA_ITEM = /^'[^'=]+'=(?:-?\d+(?:\.\d+)?|U)(?:s|%|B|KB|MB|TB|c)?(?:;[^;\s]*){0,4}$/;

function nagiosParts(stdout: string): { status: string; perfdata: string[]; long: string[] } {
  const [first = '', ...long] = stdout.trimEnd().split('\n');
  const [status = '', perf = ''] = first.split(' | ');
  return { status, perfdata: perf.split(' ').filter(Boolean), long };
}

describe('--nagios', () => {
  it('OK, exit 0: one status line, perfdata for the run and each stage in seconds, long output after', async () => {
    await lab.setFaults([]);
    const ran = await runCli(['--nagios', '-w', '30', '-c', '40']);
    expect(ran.code).toBe(0);
    expectNoPin(ran);
    const { status, perfdata, long } = nagiosParts(ran.stdout);
    expect(status).toMatch(/^BOOTSTRAP OK - sign-in passed in \d+\.\d{3} s$/);
    for (const item of perfdata) expect(item).toMatch(PERFDATA_ITEM);
    expect(perfdata[0]).toMatch(/^'latency'=[\d.]+s;30;40;0$/);
    for (const stage of ['discover', 'rootchain', 'webticket', 'certificate']) expect(perfdata.some((item) => item.startsWith(`'${stage}'=`) && /s;;;0$/.test(item))).toBe(true);
    expect(perfdata.some((item) => /^'user_cert_days'=\d+;14:;7:$/.test(item))).toBe(true);
    expect(long.some((line) => /^certificate: pass \d+ ms - /.test(line))).toBe(true);
    // Stage table and summary are not mixed into a plugin's output.
    expect(ran.stdout).not.toMatch(/Result\s+:/);
  });

  it('WARNING (exit 1) and CRITICAL (exit 2) from the -w/-c latency thresholds', async () => {
    const warning = await runCli(['--nagios', '-w', '0.000001', '-c', '60']);
    expect(warning.code).toBe(1);
    expect(warning.stdout).toMatch(/^BOOTSTRAP WARNING - /);
    const critical = await runCli(['--nagios', '-w', '0.000001', '-c', '0.000002']);
    expect(critical.code).toBe(2);
    expect(critical.stdout).toMatch(/^BOOTSTRAP CRITICAL - /);
  });

  it('WARNING when the issued certificate expires within --warning-days, CRITICAL within --critical-days', async () => {
    // The lab issues certificates valid for well under 10 years; thresholds of 10 years put it inside.
    const warning = await runCli(['--nagios', '--warning-days', '3650', '--critical-days', '0']);
    expect(warning.code).toBe(1);
    expect(warning.stdout).toMatch(/^BOOTSTRAP WARNING - sign-in passed in [\d.]+ s; [^|]*expires in \d+ days/);
    const critical = await runCli(['--nagios', '--warning-days', '3650', '--critical-days', '3650']);
    expect(critical.code).toBe(2);
  });

  it('CRITICAL (exit 2) naming the stage and diagnosis for a rejected PIN, PIN absent', async () => {
    await lab.setFaults(['pin-wrong']);
    const ran = await runCli(['--nagios']);
    lab.unlockPin(lab.sampleUser.sipUri);
    await lab.setFaults([]);
    expect(ran.code).toBe(2);
    expect(nagiosParts(ran.stdout).status).toMatch(/^BOOTSTRAP CRITICAL - webticket failed: [a-z0-9-]+: /);
    expect(ran.stdout).toMatch(/^CHECK: /m);
    expectNoPin(ran);
  });

  it('UNKNOWN (exit 3) naming the stage when -t cuts the run off', async () => {
    await lab.setFaults(['slow:1500']);
    const ran = await runCli(['--nagios', '-t', '1']);
    await lab.setFaults([]);
    expect(ran.code).toBe(3);
    expect(ran.stdout).toMatch(/^BOOTSTRAP UNKNOWN - timed out during discover after [\d.]+ s \| /);
  });

  it('UNKNOWN (exit 3) on stdout for bad arguments', async () => {
    const ran = await runCli(['--nagios', '--warning-days', 'soon']);
    expect(ran.code).toBe(3);
    expect(ran.stdout).toBe('BOOTSTRAP UNKNOWN - --warning-days: "soon" is not a number of at least 0\n');
  });
});

describe('--count N --interval D', () => {
  it('runs N times, a line per run, then pass/fail per stage and latency percentiles', async () => {
    await lab.setFaults([]);
    const ran = await runCli(['--count', '3', '--interval', '100ms']);
    expect(ran.code).toBe(0);
    expectNoPin(ran);
    const runLines = ran.stdout.split('\n').filter((line) => line.startsWith('run '));
    expect(runLines).toHaveLength(3);
    for (const line of runLines) expect(line).toMatch(/^run [123]\/3 {2}\S+ +[\d.]+ s {2}pass/);
    expect(ran.stdout).toMatch(/^3 of 3 run\(s\): 3 passed, 0 failed$/m);
    expect(ran.stdout).toMatch(/^stage +pass +warn +fail +not-run +p50 ms +p90 ms +p99 ms +max ms$/m);
    for (const stage of ['discover', 'rootchain', 'webticket', 'certprov-mex', 'resolveuser', 'webticket-sip', 'certificate']) {
      expect(ran.stdout).toMatch(new RegExp(`^${stage} +3 +0 +0 +0 +\\d+ +\\d+ +\\d+ +\\d+$`, 'm'));
    }
    expect(ran.stdout).toMatch(/^total +3 +0 +\d+ +\d+ +\d+ +\d+$/m);
  });

  it('stops at the first PIN rejection: one rejected attempt in the lab ledger, never a second', async () => {
    await lab.setFaults(['pin-wrong']);
    const failuresBefore = lab.stats.pin.totalFailures;
    const ran = await runCli(['--count', '5', '--interval', '50ms'], '97531');
    const rejected = lab.stats.pin.totalFailures - failuresBefore;
    lab.unlockPin(lab.sampleUser.sipUri);
    await lab.setFaults([]);
    expect(ran.code).toBe(1);
    expect(rejected).toBe(1);
    expect(ran.stdout.split('\n').filter((line) => line.startsWith('run '))).toHaveLength(1);
    expect(ran.stdout).toMatch(/^1 of 5 run\(s\): 0 passed, 1 failed; stopped early: the server rejected the PIN in run 1; it is not sent again/m);
    expect(ran.stdout).toMatch(/^webticket +0 +0 +1 +0 /m);
    expect(ran.stdout).toMatch(/^ {2}1 x webticket: [a-z0-9-]+$/m);
    expect(ran.stdout).not.toContain('97531');
    expect(ran.stderr).not.toContain('97531');
  });

  it('refuses --count with --nagios, --format or --json, and a count out of range', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--count', '2', '--nagios'], /--count and --nagios exclude each other/],
      [['--count', '2', '--json'], /--count and --json exclude each other/],
      [['--count', '0'], /--count: "0" is not in 1\.\.10000/],
      [['--interval', '5s'], /--interval needs --count N/],
    ];
    for (const [args, message] of cases) {
      const ran = await runCli(args);
      expect(ran.code).toBe(args.includes('--nagios') ? 3 : 2);
      expect(`${ran.stdout}${ran.stderr}`).toMatch(message);
    }
  });
});
