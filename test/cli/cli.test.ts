// The built command as a user runs it: exit codes, --help, one-line errors, every PIN source, and the
// PIN absent from stdout, stderr, --json and every --trace file. Needs `npm run build` (npm test does it).

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../src/lab/pool.js';
import { PROJECT_ROOT, runCli, type Ran } from '../helpers/cli.js';

function run(args: string[], options: { env?: Record<string, string>; stdin?: string } = {}): Promise<Ran> {
  return runCli(args, { ...options, stdin: options.stdin ?? '' });
}

describe('usage', () => {
  it('--help documents exit codes, PIN sources and examples', async () => {
    const ran = await run(['--help']);
    expect(ran.code).toBe(0);
    for (const text of ['Exit codes:', '0  every stage passed', '2  usage error', '3  internal error', '4  this host cannot run the test', 'BOOTSTRAP_TEST_PIN', '--pin-file', '--resolve', 'Examples:', 'demo']) {
      expect(ran.stdout).toContain(text);
    }
  });

  it('--version prints the package version', async () => {
    const ran = await run(['--version']);
    expect(ran.code).toBe(0);
    expect(ran.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  const usageErrors: Array<[string, string[], RegExp]> = [
    ['an unknown option', ['--ext', '7501', '--frobnicate'], /unknown option '--frobnicate'/],
    ['a bad extension', ['--ext', '75x1', '--target-uri', 'https://a.example.com/x', '--target-fqdn', 'a.example.com'], /--ext: "75x1"/],
    ['a SIP address without sip:', ['--ext', '7501', '--user-sip-address', 'a@b.c', '--target-uri', 'https://a.example.com/x', '--target-fqdn', 'a.example.com'], /must start with sip:/],
    ['a bad --resolve', ['--ext', '7501', '--resolve', 'pool=nowhere', '--target-uri', 'https://a.example.com/x', '--target-fqdn', 'a.example.com'], /--resolve "pool=nowhere"/],
    ['a bad --csr-hash', ['--ext', '7501', '--csr-hash', 'md5'], /--csr-hash/],
    ['an unknown inferred shape', ['--ext', '7501', '--root-chain-shape', 'rest', '--target-uri', 'https://a.example.com/x', '--target-fqdn', 'a.example.com'], /--root-chain-shape: "rest" is not one of soap, get/],
    ['an unreadable --ca-file', ['--ext', '7501', '--ca-file', '/nonexistent/ca.pem', '--target-uri', 'https://a.example.com/x', '--target-fqdn', 'a.example.com'], /--ca-file: cannot read/],
    ['no PIN source without a terminal', ['--ext', '7501', '--target-uri', 'https://a.example.com/x', '--target-fqdn', 'a.example.com'], /no PIN given/],
  ];
  for (const [what, args, message] of usageErrors) {
    it(`exits 2 with one line for ${what}`, async () => {
      const ran = await run(args);
      expect(ran.code).toBe(2);
      expect(ran.stderr).toMatch(message);
      expect(ran.stderr.trim().split('\n')).toHaveLength(1);
      expect(ran.stderr).not.toMatch(/\n\s+at /);
      expect(ran.stdout).toBe('');
    });
  }
});

describe('against the lab pool', () => {
  let lab: Lab;
  let pin: string;
  const dir = mkdtempSync(join(tmpdir(), 'bt-cli-'));

  beforeAll(async () => {
    lab = await startLab({});
    pin = lab.sampleUser.pin ?? '';
    expect(pin).toMatch(/^\d+$/);
  });
  afterAll(async () => {
    await lab?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // A short listen window after the lab's answer: the default waits the whole --dhcp-timeout for more servers.
  const labArgs = (): string[] => [...lab.clientArguments(), '--listen-ms', '200'];

  const expectNoPin = (...texts: string[]): void => {
    for (const text of texts) expect(text).not.toContain(pin);
  };

  it('succeeds with the PIN from BOOTSTRAP_TEST_PIN: exit 0, table on stderr, summary on stdout, no PIN anywhere', async () => {
    const ran = await run(labArgs(), { env: { BOOTSTRAP_TEST_PIN: pin } });
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/Result\s+: Success/);
    expect(ran.stdout).toMatch(/Latency\s+: \d\d:\d\d:\d\d\.\d{7}/);
    expect(ran.stderr).toMatch(/✓ certificate/);
    expectNoPin(ran.stdout, ran.stderr);
  });

  it('reads --pin-file and --pin-stdin', async () => {
    const file = join(dir, 'pin');
    writeFileSync(file, `${pin}\n`, { mode: 0o600 });
    const fromFile = await run([...labArgs(), '--pin-file', file]);
    expect(fromFile.code).toBe(0);
    const fromStdin = await run([...labArgs(), '--pin-stdin'], { stdin: `${pin}\n` });
    expect(fromStdin.code).toBe(0);
    expectNoPin(fromFile.stdout, fromFile.stderr, fromStdin.stdout, fromStdin.stderr);
  });

  it('warns about --pin on the command line and still keeps it out of the output', async () => {
    const ran = await run([...labArgs(), '--pin', pin]);
    expect(ran.code).toBe(0);
    expect(ran.stderr).toMatch(/visible in ps/);
    expectNoPin(ran.stdout, ran.stderr);
  });

  it('keeps the PIN out of --verbose, --json and every --trace file', async () => {
    const traceDir = join(dir, 'trace');
    const ran = await run([...labArgs(), '--json', '-v', '--trace', traceDir], { env: { BOOTSTRAP_TEST_PIN: pin } });
    expect(ran.code).toBe(0);
    const json = JSON.parse(ran.stdout) as { summary: { result: string }; stages: unknown[] };
    expect(json.summary.result).toBe('Success');
    // The cmdlet's seven stages and the sign-in's four.
    expect(json.stages).toHaveLength(11);
    expect(ran.stderr).toMatch(/inferred: /);
    const files = readdirSync(traceDir);
    expect(files.some((name) => name.includes('dhcp'))).toBe(true);
    // REGISTER, the three TLS-DSK legs, the sign-out, and their answers.
    expect(files.filter((name) => /-sip-/.test(name))).toHaveLength(10);
    expect(files.filter((name) => name.endsWith('.request.txt')).length).toBeGreaterThanOrEqual(7);
    const issueToken = files.find((name) => /IssueToken|Issue/i.test(name) && name.endsWith('.request.txt'));
    expect(issueToken).toBeDefined();
    expect(readFileSync(join(traceDir, issueToken!), 'utf8')).toMatch(/<wsse:Password[^>]*>\[REDACTED\]<\/wsse:Password>/);
    for (const name of files) expectNoPin(readFileSync(join(traceDir, name), 'latin1'));
    expectNoPin(ran.stdout, ran.stderr);
  });

  it('exits 1 with the diagnosis when the PIN is wrong, and does not print the wrong PIN', async () => {
    const wrong = '99999';
    const ran = await run(labArgs(), { env: { BOOTSTRAP_TEST_PIN: wrong } });
    expect(ran.code).toBe(1);
    expect(ran.stdout).toMatch(/Result\s+: Failure/);
    expect(ran.stdout).toMatch(/Error\s+: webticket-auth-rejected: /);
    expect(ran.stderr).toMatch(/✗ webticket/);
    expect(ran.stderr).not.toContain(wrong);
    expect(ran.stdout).not.toContain(wrong);
    lab.unlockPin(lab.sampleUser.sipUri);
  });

  it('runs the demo end to end and exits 0', async () => {
    const ran = await run(['demo']);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/Result\s+: Success/);
    expectNoPin(ran.stdout, ran.stderr);
  });

  it('names the tool and its version in the demo\'s JSON report', async () => {
    const ran = await run(['demo', '--json']);
    expect(ran.code).toBe(0);
    const version = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect((JSON.parse(ran.stdout) as { tool: unknown }).tool).toEqual({ name: 'bootstrap-test', version });
  });

  it("reports the demo's stage times as wall time: its lab answers on the tool's own thread", async () => {
    const report = JSON.parse((await run(['demo', '--json'])).stdout) as { stages: Array<{ name: string; ms: number; wallMs: number; clientMs: number }> };
    const register = report.stages.find((stage) => stage.name === 'register');
    // The TLS-DSK sign-in takes the lab tens of milliseconds at least; busy time must not cancel it out.
    expect(register?.ms).toBeGreaterThan(1);
    for (const stage of report.stages) expect({ name: stage.name, clientMs: stage.clientMs }).toEqual({ name: stage.name, clientMs: 0 });
  });
});
