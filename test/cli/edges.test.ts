// The edges of the command line, as a user meets them with the built command: mistyped commands, the
// cmdlet's parameter style, an option given twice, --trace targets that cannot or must not be written,
// the JSON report's types under redaction, and the lab's printed command pasted into a shell.
// Needs `npm run build` (npm test does it).

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, PROJECT_ROOT, runCli, runCommand, type Ran } from '../helpers/cli.js';
import { sampleDirectory } from '../../src/lab/directory.js';
import { startLab, type Lab } from '../../src/lab/pool.js';
import type { JsonReport } from '../../src/report/json.js';

/** Options that stop a bootstrap run before anything is sent if anything is wrong with them. */
const NO_DISCOVERY = ['--target-uri', 'https://pool.example.com/CertProv/CertProvisioningService.svc', '--target-fqdn', 'pool.example.com'];

const run = (args: string[], env: Record<string, string | undefined> = {}): Promise<Ran> => runCli(args, { env });

function expectOneLineUsageError(ran: Ran, message: RegExp | string): void {
  expect(ran.code).toBe(2);
  if (typeof message === 'string') expect(ran.stderr).toContain(message);
  else expect(ran.stderr).toMatch(message);
  expect(ran.stderr.trim().split('\n')).toHaveLength(1);
  expect(ran.stderr).not.toMatch(/\n\s+at /);
  expect(ran.stdout).toBe('');
}

describe('unknown commands and flags', () => {
  it('names a mistyped command and suggests the right one', async () => {
    expectOneLineUsageError(await run(['dchp']), "unknown command 'dchp' (did you mean dhcp?)");
    const unrelated = await run(['frobnicate']);
    expectOneLineUsageError(unrelated, "unknown command 'frobnicate'");
    expect(unrelated.stderr).not.toContain('did you mean');
  });

  it('keeps a mistyped sub-command on one line with commander\'s suggestion', async () => {
    expectOneLineUsageError(await run(['dhcp', 'infrom']), /unknown command 'infrom' \(Did you mean inform\?\)/);
  });

  it('has a help command, for the program and for a command', async () => {
    const top = await run(['help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/^Usage: bootstrap-test \[options\] \[command\]$/m);
    expect(top.stdout).toContain('Exit codes:');
    const dhcp = await run(['help', 'dhcp']);
    expect(dhcp.code).toBe(0);
    expect(dhcp.stdout).toMatch(/^Usage: bootstrap-test dhcp /m);
  });

  const cmdletParameters: Array<[string[], string]> = [
    [['-PhoneOrExt', '7501'], '--phone-or-ext'],
    [['-TargetFqdn', 'pool.example.com'], '--target-fqdn'],
    [['-TargetUri', 'https://pool.example.com/CertProv/CertProvisioningService.svc'], '--target-uri'],
    [['-targeturi:https://pool.example.com/x'], '--target-uri'],
  ];
  for (const [args, flag] of cmdletParameters) {
    it(`answers the cmdlet's ${args[0]} with ${flag}`, async () => {
      expectOneLineUsageError(await run(args), new RegExp(`unknown option '${args[0]!.split(':')[0]}': this is the cmdlet's parameter; here it is ${flag}`));
    });
  }

  it('answers -PIN with the PIN sources and never repeats the PIN typed after it', async () => {
    const ran = await run(['-PIN', '86420']);
    expectOneLineUsageError(ran, /unknown option '-PIN': .*--pin-file, --pin-stdin or BOOTSTRAP_TEST_PIN/);
    expect(ran.stderr).not.toContain('86420');
  });

  it('refuses --ext twice with different values instead of using the last one', async () => {
    expectOneLineUsageError(await run(['--ext', '7501', '--ext', '7502', ...NO_DISCOVERY], { BOOTSTRAP_TEST_PIN: '86420' }), '--ext given twice with different values ("7501", "7502")');
    expectOneLineUsageError(await run(['--phone-or-ext', '7501', '--phone-or-ext', '7599', ...NO_DISCOVERY], { BOOTSTRAP_TEST_PIN: '86420' }), '--phone-or-ext given twice');
  });

  it('refuses two different --pin values without printing either', async () => {
    const ran = await run(['--ext', '7501', '--pin', '86420', '--pin', '97531', ...NO_DISCOVERY]);
    expectOneLineUsageError(ran, '--pin given twice with different values; give it once');
    expect(ran.stderr).not.toMatch(/86420|97531/);
  });
});

describe('--trace targets', () => {
  it('refuses a directory that cannot be created (under /proc) with one line and exit 2', async () => {
    expectOneLineUsageError(await run(['--ext', '7501', ...NO_DISCOVERY, '--trace', '/proc/bootstrap-test/x'], { BOOTSTRAP_TEST_PIN: '86420' }), /^bootstrap-test: --trace: cannot create directory "\/proc\/bootstrap-test\/x": ENOENT/);
  });

  it('refuses an empty value and a forgotten value', async () => {
    expectOneLineUsageError(await run(['--ext', '7501', ...NO_DISCOVERY, '--trace', ''], { BOOTSTRAP_TEST_PIN: '86420' }), '--trace: needs a directory name');
    expectOneLineUsageError(await run(['--ext', '7501', ...NO_DISCOVERY, '--trace', '--json'], { BOOTSTRAP_TEST_PIN: '86420' }), '--trace: "--json" looks like an option');
  });
});

/** A free UDP port on loopback with five digits (ephemeral ports have), to serve as a PIN as well. */
function freeFiveDigitUdpPort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => (port >= 10000 ? resolvePromise(port) : freeFiveDigitUdpPort().then(resolvePromise, reject)));
    });
  });
}

describe('against the lab pool', () => {
  let lab: Lab;
  let pin: string;
  const scratch = mkdtempSync(join(tmpdir(), 'bt-edges-'));

  /** The DHCP client's source port, which the JSON evidence reports as the number `fromPort`. */
  let clientPort: number;

  beforeAll(async () => {
    // The PIN is also the DHCP client's port: the port then shows up as a number in the JSON
    // evidence, and redaction must hide it there without turning the number into a string.
    clientPort = await freeFiveDigitUdpPort();
    pin = String(clientPort);
    const directory = sampleDirectory();
    directory.users = directory.users.map((user) => (user.lineUri.includes('ext=7501') ? { ...user, pin } : user));
    lab = await startLab({ directory });
  });
  afterAll(async () => {
    await lab?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const labArgs = (): string[] => [...lab.clientArguments(), '--listen-ms', '200'];

  it('--json keeps every number a number (or null where the PIN hides in it), never a string', async () => {
    const args = lab.clientArguments();
    const portAt = args.indexOf('--client-port');
    expect(portAt).toBeGreaterThan(-1);
    args.splice(portAt, 2, '--client-port', String(clientPort));
    const ran = await run([...args, '--listen-ms', '200', '--json'], { BOOTSTRAP_TEST_PIN: pin });
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout + ran.stderr).not.toContain(pin);
    const json = JSON.parse(ran.stdout) as JsonReport;
    expect(json.summary.result).toBe('Success');
    expect(typeof json.summary.latencyMs).toBe('number');
    for (const stage of json.stages) expect(typeof stage.ms, stage.name).toBe('number');
    // The number that equals the PIN is null, not "[REDACTED]"; the other numbers are untouched.
    const discover = json.stages.find((stage) => stage.name === 'discover')!;
    expect(discover.evidence.fromPort).toBeNull();
    expect(discover.evidence.tries).toBe(1);
    expect(ran.stdout).not.toMatch(/:\s*"\[REDACTED\]"/);
  });

  it('--trace into a non-empty directory writes a new private subdirectory and says so, leaving the old files alone', async () => {
    const traceDir = join(scratch, 'trace');
    mkdirSync(traceDir);
    writeFileSync(join(traceDir, 'index.txt'), 'an earlier run\n');
    writeFileSync(join(traceDir, '001-dhcp-inform-out.hex'), 'old\n');
    const ran = await run([...labArgs(), '--trace', traceDir], { BOOTSTRAP_TEST_PIN: pin });
    expect(ran.code).toBe(0);
    expect(readFileSync(join(traceDir, 'index.txt'), 'utf8')).toBe('an earlier run\n');
    expect(readFileSync(join(traceDir, '001-dhcp-inform-out.hex'), 'utf8')).toBe('old\n');
    const subdirectories = readdirSync(traceDir).filter((name) => name.startsWith('trace-'));
    expect(subdirectories).toHaveLength(1);
    const written = join(traceDir, subdirectories[0]!);
    expect(ran.stderr).toContain(`trace: "${traceDir}" is not empty; this run's trace goes into "${written}"`);
    expect(statSync(written).mode & 0o777).toBe(0o700);
    const files = readdirSync(written);
    expect(files.length).toBeGreaterThan(5);
    for (const name of files) {
      expect(statSync(join(written, name)).mode & 0o777, name).toBe(0o600);
      expect(readFileSync(join(written, name), 'latin1')).not.toContain(pin);
    }
  });
});

describe('newcomer path', () => {
  let labProcess: ReturnType<typeof spawn> | undefined;
  afterAll(() => {
    labProcess?.kill('SIGTERM');
  });

  it('the command the lab prints works when pasted into a shell in the repository directory', async () => {
    labProcess = spawn(process.execPath, [BIN, 'lab', '--quiet'], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const printed = await new Promise<string>((resolvePromise, reject) => {
      let banner = '';
      labProcess!.stdout!.on('data', (chunk) => {
        banner += chunk;
        const line = /^Run a phone bootstrap against it:\n {2}(.+)$/m.exec(banner)?.[1];
        if (line) resolvePromise(line);
      });
      labProcess!.on('close', (code) => reject(new Error(`the lab exited (${code}) before printing its command:\n${banner}`)));
    });
    // Not on PATH after npm install: the printed command must say how to run it.
    expect(printed).toMatch(/^npx bootstrap-test /);
    const ran = await runCommand('sh', ['-c', printed], { cwd: PROJECT_ROOT });
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toMatch(/Result\s+: Success/);
  });
});
