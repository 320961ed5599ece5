import { access, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLabCommand, registerLabCommand, type LabCliOptions } from '../../src/cli/lab.js';
import { BootstrapTestError, UsageError } from '../../src/errors.js';
import { exitCodeOfError } from '../../src/cli/main.js';
import { EXIT } from '../../src/exit-codes.js';
import { LAB_FAULTS } from '../../src/lab/index.js';
import { WIRE_LAYOUT_NAMES } from '../../src/lab/layouts.js';

const defaults: LabCliOptions = {
  fqdn: 'pool01.lab.bootstrap-test.test',
  httpPort: '0',
  httpsPort: '0',
  dhcpPort: '0',
  dhcp: true,
  bind: '127.0.0.1',
  fault: [],
  certValidityHours: '4320',
  ticketLifetimeMinutes: '480',
};

function capture() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return { stdout, stderr, out: () => out, err: () => err };
}

async function run(options: Partial<LabCliOptions>) {
  const io = capture();
  const code = await runLabCommand({ ...defaults, ...options }, { stdout: io.stdout, stderr: io.stderr, untilStopped: async () => 'test' });
  return { code, out: io.out(), err: io.err() };
}

async function failure(options: Partial<LabCliOptions>): Promise<BootstrapTestError> {
  try {
    await run(options);
  } catch (error) {
    expect(error).toBeInstanceOf(BootstrapTestError);
    return error as BootstrapTestError;
  }
  throw new Error('expected the command to fail');
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bootstrap-test-lab-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('bootstrap-test lab', () => {
  it('lists every fault with its stage and expected diagnosis, as text and JSON', async () => {
    const text = await run({ listFaults: true });
    expect(text.code).toBe(EXIT.ok);
    for (const fault of LAB_FAULTS) {
      expect(text.out).toContain(fault.name);
      if (fault.expectedDiagnosisId) expect(text.out).toContain(fault.expectedDiagnosisId);
    }
    expect(text.out).toMatch(/^dhcp-silent +discover +dhcp-unprivileged-port-silence .*, exit 4$/m);
    expect(text.out).toMatch(/^pin-wrong +webticket +\S+.*, exit 1$/m);
    const json = await run({ listFaults: true, json: true });
    expect(JSON.parse(json.out)).toEqual(JSON.parse(JSON.stringify(LAB_FAULTS)));
  });

  it('lists every server layout --variant serves, as text and JSON, and refuses an unknown one', async () => {
    const text = await run({ listVariants: true });
    expect(text.code).toBe(EXIT.ok);
    for (const name of WIRE_LAYOUT_NAMES) expect(text.out).toMatch(new RegExp(`^${name} +\\S`, 'm'));
    const json = await run({ listVariants: true, json: true });
    expect((JSON.parse(json.out) as Array<{ name: string }>).map((entry) => entry.name)).toEqual(WIRE_LAYOUT_NAMES);
    await expect(run({ variant: ['soap13'] })).rejects.toThrow(UsageError);
  });

  it('prints the pool, the ports, the sample user and the client command, then stops', async () => {
    const { code, out, err } = await run({ fault: ['slow:10'] });
    expect(code).toBe(EXIT.ok);
    expect(out).toMatch(/bootstrap-test lab pool pool01\.lab\.bootstrap-test\.test ready \d+ ms after start/);
    const dhcp = /udp 127\.0\.0\.1:(\d+)/.exec(out)?.[1];
    const http = /HTTP {2}\(80\) {3}127\.0\.0\.1:(\d+)/.exec(out)?.[1];
    expect(out).toContain(`--dhcp-server 127.0.0.1:${dhcp}`);
    expect(out).toContain(`--resolve pool01.lab.bootstrap-test.test:80=127.0.0.1:${http} --resolve pool01.lab.bootstrap-test.test=127.0.0.1`);
    expect(out).toMatch(/bootstrap-test --ext 7501 .*--pin-file \S+sample-user\.pin/);
    expect(out).not.toContain('14789');
    expect(out).toContain('--client-port 0');
    expect(out).toContain('faults       slow:10');
    expect(err).toContain('stopped (test)');
  });

  it('hands the sample PIN over in a private file that is gone once the lab stops', async () => {
    const io = capture();
    let pinFile = '';
    let whileRunning: { pin: string; mode: number } | undefined;
    const untilStopped = async (): Promise<string> => {
      // The banner comes after this call; wait (boundedly) for it, as a person reading the terminal would.
      for (let tries = 0; tries < 200 && !io.out().includes('--pin-file'); tries += 1) await new Promise((resolve) => setTimeout(resolve, 10));
      pinFile = /--pin-file (\S+)/.exec(io.out())?.[1] ?? '';
      whileRunning = { pin: (await readFile(pinFile, 'utf8')).trim(), mode: (await stat(pinFile)).mode & 0o777 };
      return 'test';
    };
    const code = await runLabCommand({ ...defaults, quiet: true }, { stdout: io.stdout, stderr: io.stderr, untilStopped });
    expect(code).toBe(EXIT.ok);
    expect(whileRunning).toEqual({ pin: '14789', mode: 0o600 });
    await expect(access(pinFile)).rejects.toThrow(/ENOENT/);
  });

  it('keeps its CA in --ca-dir and loads the same one next time', async () => {
    const caDir = join(dir, 'ca');
    const first = await run({ caDir, quiet: true });
    expect(first.out).toContain(`lab CA       created in ${caDir}`);
    const pem = await readFile(join(caDir, 'lab-ca.pem'), 'utf8');
    const second = await run({ caDir, quiet: true });
    expect(second.out).toContain(`lab CA       loaded from ${caDir}`);
    expect(await readFile(join(caDir, 'lab-ca.pem'), 'utf8')).toBe(pem);
    await writeFile(join(caDir, 'lab-ca.key'), 'not a key');
    expect((await failure({ caDir })).message).toMatch(/the CA key is not a readable/);
  });

  it('does not print PINs from a users file', async () => {
    const users = join(dir, 'users.json');
    await writeFile(users, JSON.stringify({ users: [{ sipUri: 'sip:desk@example.com', lineUri: 'tel:+13125550042;ext=0042', pin: '99887766' }] }));
    const { out } = await run({ users, quiet: true });
    expect(out).not.toContain('99887766');
    expect(out).toContain('--ext 0042');
    expect(out).toContain('--pin-stdin');
  });

  it.each([
    [{ users: '/nonexistent/users.json' }, UsageError, '--users /nonexistent/users.json: cannot read (ENOENT)'],
    [{ httpPort: '70000' }, UsageError, '--http-port: "70000" is not in 0..65535 (0 = any free port)'],
    [{ fault: ['no-such'] }, UsageError, '--fault: unknown fault "no-such"'],
    [{ fault: ['slow:fast'] }, UsageError, 'ms must be a whole number'],
    [{ bind: '10.1.2.3' }, UsageError, 'not a loopback address'],
    [{ fqdn: 'not_a_name' }, UsageError, 'fqdn: "not_a_name" is not a valid host name'],
    [{ certValidityHours: '0' }, UsageError, '--cert-validity-hours: "0"'],
  ])('refuses %j with a one-line usage error', async (options, type, message) => {
    const error = await failure(options);
    expect(error).toBeInstanceOf(type);
    expect(error.message).toContain(message);
    expect(error.message).not.toContain('\n');
  });

  it('names a users-file problem by file, entry and field', async () => {
    const users = join(dir, 'bad-users.json');
    await writeFile(users, JSON.stringify({ users: [{ sipUri: 'sip:a@example.com', lineUri: 'tel:7501' }] }));
    const error = await failure({ users });
    expect(exitCodeOfError(error)).toBe(EXIT.usage);
    expect(error.message).toBe(`${users}: users[0].lineUri: "tel:7501" is not tel:+<digits> with an optional ;ext=<digits>`);
  });

  it('reports a port in use as a local problem', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const error = await failure({ httpPort: String(port) });
      expect(exitCodeOfError(error)).toBe(EXIT.local);
      expect(error.message).toContain('EADDRINUSE');
    } finally {
      blocker.close();
    }
  });

  it('registers as a sub-command with its options', () => {
    const program = new Command('bootstrap-test');
    registerLabCommand(program);
    const lab = program.commands.find((command) => command.name() === 'lab');
    const flags = lab?.options.map((option) => option.long);
    for (const flag of ['--fqdn', '--http-port', '--https-port', '--dhcp-port', '--bind', '--users', '--ca-dir', '--fault', '--pin-encoding', '--list-faults', '--cert-validity-hours', '--quiet']) {
      expect(flags).toContain(flag);
    }
  });
});
