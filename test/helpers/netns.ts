// Private network namespaces for tests against real DHCP servers. Everything lives in namespaces
// this file creates (10.99.0.0/24, no default route), so nothing reaches the host's own network.
// The two-namespace link comes from test/helpers/netns/netns-up.sh; the bridge for several
// servers is built here with the same conventions.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..');
/** netns-up.sh / netns-down.sh, kept in the repository so a clone runs these tests on its own. */
export const NETNS_SCRIPTS_DIR = resolve(PROJECT_ROOT, 'test', 'helpers', 'netns');

export type ServerKind = 'dnsmasq' | 'kea' | 'dhcpd';

/** The built command line the tests drive as a user would. */
export const CLI_ENTRY = resolve(PROJECT_ROOT, 'bin', 'bootstrap-test.js');
/** Interface names netns-up.sh gives the two ends of the link (per namespace, so they repeat safely). */
export const SERVER_IF = 'veth-bt-srv';
export const CLIENT_IF = 'veth-bt-cli';

export interface SiteValues {
  sipServer: string;
  webServer: string;
  port: string;
  path?: string;
}

/** `bootstrap-test dhcp encode --format <kind>` for the test link: the configuration a real server starts with. */
export function encodeServerConfig(kind: ServerKind, site: SiteValues): Promise<CommandResult> {
  return run(process.execPath, [
    CLI_ENTRY,
    'dhcp',
    'encode',
    '--sip-server',
    site.sipServer,
    '--web-server',
    site.webServer,
    '--port',
    site.port,
    ...(site.path ? ['--path', site.path] : []),
    '--format',
    kind,
    '--subnet',
    '10.99.0.0/24',
    // dhcpd takes its interface on the command line, not in the configuration.
    ...(kind === 'dhcpd' ? [] : ['--interface', SERVER_IF]),
  ]);
}

export const SERVER_BINARY: Record<ServerKind, string> = {
  dnsmasq: 'dnsmasq',
  kea: 'kea-dhcp4',
  dhcpd: 'dhcpd',
};

const READY_LINE: Record<ServerKind, RegExp> = {
  dnsmasq: /started, version/,
  kea: /DHCP4_STARTED/,
  dhcpd: /Server starting service/,
};

const READY_TIMEOUT_MS = 10_000;

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; a non-zero exit is returned, not thrown. */
export async function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await execFileAsync(command, args, {
      env: options.env ?? process.env,
      timeout: options.timeoutMs ?? 30_000,
      cwd: options.cwd ?? PROJECT_ROOT,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: unknown; stdout?: string; stderr?: string; message: string };
    return {
      code: typeof failure.code === 'number' ? failure.code : -1,
      stdout: failure.stdout ?? '',
      stderr: failure.stderr ?? failure.message,
    };
  }
}

async function which(binary: string): Promise<boolean> {
  const found = await run('sh', ['-c', `command -v ${binary}`]);
  return found.code === 0 && found.stdout.trim() !== '';
}

/** Why namespace tests cannot run here, or undefined when they can. */
export async function namespaceUnavailableReason(): Promise<string | undefined> {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'not root: creating network namespaces needs root';
  }
  if (!(await which('ip'))) return 'the ip command (iproute2) is not installed';
  if (!existsSync(join(NETNS_SCRIPTS_DIR, 'netns-up.sh'))) {
    return `netns-up.sh not found in ${NETNS_SCRIPTS_DIR}`;
  }
  const probe = `btprobe${process.pid}`;
  const added = await run('ip', ['netns', 'add', probe]);
  if (added.code !== 0) return `"ip netns add" is not permitted here: ${added.stderr.trim()}`;
  await run('ip', ['netns', 'del', probe]);
  return undefined;
}

export async function missingBinaries(kinds: ServerKind[]): Promise<string[]> {
  const missing: string[] = [];
  for (const kind of kinds) if (!(await which(SERVER_BINARY[kind]))) missing.push(SERVER_BINARY[kind]);
  return missing;
}

let suffixCounter = 0;
/** A short name fragment unique to this process and call, so parallel test files never collide. */
export function uniqueSuffix(): string {
  suffixCounter += 1;
  return `${process.pid.toString(36)}${suffixCounter}`;
}

export async function makeRunDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `bt-${prefix}-`));
}

export async function removeRunDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Anything that can be torn down; teardown never throws and reports what it could not undo. */
export interface Topology {
  /** Namespace the client runs in, its interface and address. */
  clientNs: string;
  clientIf: string;
  clientAddress: string;
  clientMac: string;
  servers: Array<{ ns: string; ifName: string; address: string }>;
  down(): Promise<string[]>;
}

function sharedScriptEnv(names: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...names, NETNS_KILL: '1' };
}

/** One server namespace and one client namespace joined by a veth pair (netns-up.sh). */
export async function createLink(suffix: string): Promise<Topology> {
  const names = {
    SRV_NS: `bt-srv-${suffix}`,
    CLI_NS: `bt-cli-${suffix}`,
    SRV_IF: 'veth-bt-srv',
    CLI_IF: 'veth-bt-cli',
    SRV_ADDR: '10.99.0.1/24',
    CLI_ADDR: '10.99.0.2/24',
    CLI_MAC: '02:00:00:00:99:02',
  };
  const topology: Topology = {
    clientNs: names.CLI_NS,
    clientIf: names.CLI_IF,
    clientAddress: '10.99.0.2',
    clientMac: names.CLI_MAC,
    servers: [{ ns: names.SRV_NS, ifName: names.SRV_IF, address: '10.99.0.1' }],
    down: async () => {
      const result = await run(join(NETNS_SCRIPTS_DIR, 'netns-down.sh'), [], { env: sharedScriptEnv(names) });
      return result.code === 0 ? [] : [`netns-down.sh: ${result.stderr.trim()}`];
    },
  };
  const up = await run(join(NETNS_SCRIPTS_DIR, 'netns-up.sh'), [], { env: sharedScriptEnv(names) });
  if (up.code !== 0) {
    await topology.down();
    throw new Error(`netns-up.sh failed (${up.code}): ${up.stderr.trim() || up.stdout.trim()}`);
  }
  return topology;
}

async function ip(args: string[]): Promise<void> {
  const result = await run('ip', args);
  if (result.code !== 0) throw new Error(`ip ${args.join(' ')}: ${result.stderr.trim()}`);
}

/**
 * Several server namespaces and one client namespace on a bridge that lives in its own namespace:
 * every server sees the client's broadcast and answers it, as on a real segment with two servers.
 * Server i gets 10.99.0.(10 + i); the client is 10.99.0.2.
 */
export async function createBridgedSegment(suffix: string, serverCount: number): Promise<Topology> {
  const bridgeNs = `bt-br-${suffix}`;
  const clientNs = `bt-cli-${suffix}`;
  const servers = Array.from({ length: serverCount }, (_, index) => ({
    ns: `bt-srv${index}-${suffix}`,
    ifName: 'veth-bt-srv',
    address: `10.99.0.${10 + index}`,
  }));
  const allNs = [bridgeNs, clientNs, ...servers.map((server) => server.ns)];
  const topology: Topology = {
    clientNs,
    clientIf: 'veth-bt-cli',
    clientAddress: '10.99.0.2',
    clientMac: '02:00:00:00:99:02',
    servers,
    down: async () => {
      const problems: string[] = [];
      // netns-down.sh handles two namespaces per call; reuse it so leftovers are killed the same way.
      for (let index = 0; index < allNs.length; index += 2) {
        const names = { SRV_NS: allNs[index] ?? '', CLI_NS: allNs[index + 1] ?? allNs[index] ?? '' };
        const result = await run(join(NETNS_SCRIPTS_DIR, 'netns-down.sh'), [], { env: sharedScriptEnv(names) });
        if (result.code !== 0) problems.push(`netns-down.sh: ${result.stderr.trim()}`);
      }
      return problems;
    },
  };
  try {
    for (const ns of allNs) {
      await ip(['netns', 'add', ns]);
      await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    await ip(['-n', bridgeNs, 'link', 'add', 'br0', 'type', 'bridge']);
    await ip(['-n', bridgeNs, 'link', 'set', 'br0', 'up']);
    const attach = async (ns: string, ifName: string, port: string, mac: string, cidr: string) => {
      await ip(['link', 'add', ifName, 'netns', ns, 'type', 'veth', 'peer', 'name', port, 'netns', bridgeNs]);
      await ip(['-n', bridgeNs, 'link', 'set', port, 'master', 'br0']);
      await ip(['-n', bridgeNs, 'link', 'set', port, 'up']);
      await ip(['-n', ns, 'link', 'set', ifName, 'address', mac]);
      await ip(['-n', ns, 'addr', 'add', cidr, 'dev', ifName]);
      await ip(['-n', ns, 'link', 'set', ifName, 'up']);
      // No default route anywhere; the limited broadcast needs a host route naming the interface.
      await ip(['-n', ns, 'route', 'replace', '255.255.255.255/32', 'dev', ifName]);
    };
    await attach(clientNs, topology.clientIf, 'port-cli', topology.clientMac, '10.99.0.2/24');
    for (const [index, server] of servers.entries()) {
      const mac = `02:00:00:00:99:${(0x10 + index).toString(16).padStart(2, '0')}`;
      await attach(server.ns, server.ifName, `port-srv${index}`, mac, `${server.address}/24`);
    }
  } catch (error) {
    await topology.down();
    throw error;
  }
  return topology;
}

export interface RunningServer {
  kind: ServerKind;
  pid: number;
  log(): string;
  stop(): Promise<void>;
}

function serverArgs(kind: ServerKind, configFile: string, runDir: string, ifName: string): string[] {
  switch (kind) {
    case 'dnsmasq':
      return [
        'dnsmasq',
        `--conf-file=${configFile}`,
        '--keep-in-foreground',
        '--log-facility=-',
        `--pid-file=${join(runDir, 'dnsmasq.pid')}`,
      ];
    case 'kea':
      return ['kea-dhcp4', '-c', configFile];
    case 'dhcpd':
      return [
        'dhcpd',
        '-4',
        '-f',
        '-d',
        '-cf',
        configFile,
        '-lf',
        join(runDir, 'dhcpd.leases'),
        '-pf',
        join(runDir, 'dhcpd.pid'),
        ifName,
      ];
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGKILL');
    }
  }, 3000);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts a DHCP server in a namespace (`ip netns exec` replaces itself, so the child's PID is the
 * server's) and resolves once it logs its ready line; rejects with its log after 10 s or on exit.
 */
export async function startServer(
  kind: ServerKind,
  ns: string,
  configFile: string,
  runDir: string,
  ifName: string,
): Promise<RunningServer> {
  if (kind === 'dhcpd') {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(runDir, 'dhcpd.leases'), '', { flag: 'a' });
  }
  const env = kind === 'kea' ? { ...process.env, KEA_PIDFILE_DIR: runDir, KEA_LOCKFILE_DIR: runDir } : process.env;
  const child = spawn('ip', ['netns', 'exec', ns, ...serverArgs(kind, configFile, runDir, ifName)], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const server: RunningServer = {
    kind,
    pid: child.pid ?? -1,
    log: () => log,
    stop: () => stopChild(child),
  };
  await new Promise<void>((resolveReady, rejectReady) => {
    const poll = setInterval(() => {
      if (READY_LINE[kind].test(log)) finish();
    }, 50);
    const timer = setTimeout(
      () => finish(new Error(`${kind} did not log its ready line within ${READY_TIMEOUT_MS} ms:\n${log}`)),
      READY_TIMEOUT_MS,
    );
    const onExit = (code: number | null, signal: string | null) =>
      finish(new Error(`${kind} exited (${code ?? signal}) before it was ready:\n${log}`));
    const onError = (error: Error) => finish(error);
    child.once('exit', onExit);
    child.once('error', onError);
    function finish(error?: Error) {
      clearInterval(poll);
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('error', onError);
      if (error) {
        void stopChild(child).then(() => rejectReady(error));
      } else {
        resolveReady();
      }
    }
  });
  return server;
}

/** Runs a command inside a namespace. */
export function runInNs(ns: string, command: string, args: string[], timeoutMs = 30_000): Promise<CommandResult> {
  return run('ip', ['netns', 'exec', ns, command, ...args], { timeoutMs });
}

export interface Capture {
  stop(): Promise<string>;
}

/** tcpdump on the client side, for an independent look at the wire (optional: needs tcpdump). */
export async function startCapture(ns: string, ifName: string, pcapFile: string): Promise<Capture | undefined> {
  if (!(await which('tcpdump'))) return undefined;
  const child = spawn(
    'ip',
    ['netns', 'exec', ns, 'tcpdump', '-i', ifName, '-n', '-U', '--immediate-mode', '-w', pcapFile, 'udp port 67 or udp port 68'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const deadline = Date.now() + 5000;
  while (!/listening on/.test(log) && Date.now() < deadline && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!/listening on/.test(log)) {
    await stopChild(child);
    return undefined;
  }
  return {
    stop: async () => {
      await stopChild(child);
      return pcapFile;
    },
  };
}

export { which as hasBinary };
