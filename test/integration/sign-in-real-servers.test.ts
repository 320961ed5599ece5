// The sign-in stages against real servers on loopback. dnsmasq (no DHCP, no upstream, authoritative
// for the lab's SIP domain) serves the SRV and A records of the lab pool, then the same zone with the
// SRV target outside the domain and with no SRV record (NXDOMAIN). stunnel, configured TLS 1.2-only
// with a certificate from the lab's CA, stands where the registrar is: the phone profile's refusal
// comes from a real TLS server. chronyd (NTP server only: -x, no upstream, loopback) stands where
// the SIP domain's _ntp._udp SRV record points, synchronised to its local clock and unsynchronised.
// The rest of the run is the lab's. Needs dnsmasq, stunnel4 and chronyd (apt packages dnsmasq-base
// or dnsmasq, stunnel4, chrony); skips without them, but fails under CI=true.

import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueServerCertificate, loadCertificateAuthority, privateKeyPem } from '../../src/lab/ca.js';
import { startKeyGeneration } from '../../src/pki/keys.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBinary } from '../helpers/netns.js';
import { queryDns } from '../../src/dns/resolver.js';
import { startChronyd } from '../helpers/chronyd.js';
import { runAgainst, startLab, type Lab } from '../e2e/helpers.js';

const inCi = process.env.CI === 'true';
const available = await hasBinary('dnsmasq');
const stunnelAvailable = available && (await hasBinary('stunnel4'));
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const chronydMissing = !available ? 'dnsmasq is not installed' : !(await hasBinary('chronyd')) ? 'chronyd is not installed (apt package chrony)' : !isRoot ? 'not root: chronyd needs root to start' : undefined;

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

interface Server {
  port: number;
  stop(): Promise<void>;
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
}

async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** stunnel in the foreground on 127.0.0.1:<port>, TLS 1.2 and later only, in front of `target`. */
async function startStunnel(dir: string, certPem: string, keyPem: string, target: number): Promise<Server> {
  const port = await freeTcpPort();
  await writeFile(join(dir, 'cert.pem'), certPem);
  await writeFile(join(dir, 'key.pem'), keyPem, { mode: 0o600 });
  const config = ['foreground = yes', 'pid =', '[sip]', `accept = 127.0.0.1:${port}`, `connect = 127.0.0.1:${target}`, `cert = ${join(dir, 'cert.pem')}`, `key = ${join(dir, 'key.pem')}`, 'sslVersionMin = TLSv1.2', ''].join('\n');
  await writeFile(join(dir, 'stunnel.conf'), config);
  const child = spawn('stunnel4', [join(dir, 'stunnel.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  for (let attempt = 0; attempt < 50; attempt++) {
    if (child.exitCode !== null) throw new Error(`stunnel exited ${child.exitCode}: ${stderr}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { port, stop: stopper(child) };
}

/** dnsmasq in the foreground on 127.0.0.1:<port>, answering only from its command line. */
async function startDnsmasq(records: string[]): Promise<Server> {
  const port = await freeUdpPort();
  const child: ChildProcess = spawn('dnsmasq', ['--keep-in-foreground', '--no-daemon', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--bind-interfaces', '--listen-address=127.0.0.1', `--port=${port}`, '--user=root', '--pid-file=', ...records], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // Ready when it answers (its own SOA for the local domain).
  for (let attempt = 0; attempt < 50; attempt++) {
    if (child.exitCode !== null) throw new Error(`dnsmasq exited ${child.exitCode}: ${stderr}`);
    try {
      await queryDns({ host: '127.0.0.1', port }, 'ready.invalid', 'A', { timeoutMs: 100 });
      break;
    } catch {
      // not listening yet
    }
  }
  return { port, stop: stopper(child) };
}

let lab: Lab;
let caDir: string;
beforeAll(async () => {
  caDir = await mkdtemp(join(tmpdir(), 'bt-signin-ca-'));
  // The lab keeps its CA in caDir, so stunnel can present a certificate the phone would trust.
  if (available) lab = await startLab({ caDir });
});
afterAll(async () => {
  await lab?.stop();
  await rm(caDir, { recursive: true, force: true });
});

function zone(lab: Lab, srvTarget: string | undefined, sipPort = lab.ports.sip, ntpPort = lab.ports.ntp): string[] {
  const domain = lab.sipDomain;
  return [
    `--local=/${domain}/`,
    `--host-record=${lab.registrarFqdn},127.0.0.1`,
    `--host-record=ntp.${domain},127.0.0.1`,
    `--srv-host=_ntp._udp.${domain},ntp.${domain},${ntpPort},0,0`,
    ...(srvTarget ? [`--srv-host=_sipinternaltls._tcp.${domain},${srvTarget},${sipPort},0,0`] : []),
  ];
}

async function runWith(records: string[]) {
  const dnsmasq = await startDnsmasq(records);
  try {
    return await runAgainst(lab, { dnsServer: { host: '127.0.0.1', port: dnsmasq.port } });
  } finally {
    await dnsmasq.stop();
  }
}

const stage = (run: Awaited<ReturnType<typeof runAgainst>>, name: string) => run.result.report.stages.find((s) => s.name === name);

describe.skipIf(!available && !inCi)('the sign-in with dnsmasq as the DNS server', () => {
  it('can run here (CI=true requires dnsmasq)', () => {
    expect(available).toBe(true);
  });

  it('finds the clock and the registrar through dnsmasq\'s SRV records and signs in', async () => {
    const run = await runWith(zone(lab, lab.registrarFqdn));
    expect(run.result.report.result).toBe('Success');
    expect(stage(run, 'time')?.evidence.source).toBe(`SRV _ntp._udp.${lab.sipDomain}`);
    expect(stage(run, 'dns')?.evidence).toMatchObject({ registrar: lab.registrarFqdn, port: lab.ports.sip, source: 'srv' });
    expect(stage(run, 'register')?.status).toBe('pass');
  });

  it('an SRV target outside the SIP domain fails dns with dns-srv-target-outside-domain', async () => {
    const run = await runWith(zone(lab, 'sip.elsewhere.test'));
    expect(stage(run, 'dns')?.status).toBe('fail');
    expect(stage(run, 'dns')?.diagnosis?.id).toBe('dns-srv-target-outside-domain');
  });

  it('no _sipinternaltls SRV record (NXDOMAIN) is a warning: the option-120 host is used', async () => {
    const run = await runWith(zone(lab, undefined));
    expect(stage(run, 'dns')?.status).toBe('warn');
    expect(stage(run, 'dns')?.diagnosis?.id).toBe('dns-sipinternaltls-missing');
    expect(stage(run, 'dns')?.evidence.lookups).toContain(`SRV _sipinternaltls._tcp.${lab.sipDomain}: nxdomain`);
    expect(run.result.report.result).toBe('Success');
  });
});

describe.skipIf(!stunnelAvailable && !inCi)('the registrar behind a real TLS 1.2-only server (stunnel)', () => {
  it('can run here (CI=true requires stunnel4)', () => {
    expect(stunnelAvailable).toBe(true);
  });

  it('registrar-tls tells "TLS 1.0 refused" from a bad certificate: tls-legacy-protocol-refused, TLS 1.2 accepted', async () => {
    const ca = loadCertificateAuthority(await readFile(join(caDir, 'lab-ca.pem'), 'utf8'), await readFile(join(caDir, 'lab-ca.key'), 'utf8'), caDir);
    const key = await startKeyGeneration();
    const now = Date.now();
    const certificate = issueServerCertificate(ca, { publicKey: key.publicKey, dnsNames: [lab.registrarFqdn], notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 86_400_000) });
    const stunnel = await startStunnel(caDir, certificate.pem, privateKeyPem(key.privateKey), lab.ports.sip);
    try {
      const run = await runWith(zone(lab, lab.registrarFqdn, stunnel.port));
      const probe = stage(run, 'registrar-tls');
      expect(probe?.status).toBe('fail');
      expect(probe?.diagnosis?.id).toBe('tls-legacy-protocol-refused');
      expect(probe?.evidence).toMatchObject({ port: stunnel.port, phoneProfile: 'refused' });
      expect(String(probe?.evidence.modernProfile)).toMatch(/^TLSv1\.[23]$/);
    } finally {
      await stunnel.stop();
    }
  });
});

describe.skipIf(chronydMissing !== undefined && !inCi)(`the clock from a real NTP server (chronyd, never setting this host's clock)${chronydMissing ? ` (skipped: ${chronydMissing})` : ''}`, () => {
  const running: Array<{ stop(): Promise<void> }> = [];
  let runDir = '';
  beforeAll(async () => {
    runDir = await mkdtemp(join(tmpdir(), 'bt-chronyd-'));
  });
  afterAll(async () => {
    for (const server of running.splice(0)) await server.stop();
    await rm(runDir, { recursive: true, force: true });
  });

  /** chronyd on 127.0.0.1:<free port>; returns the port. */
  async function chronyd(name: string, localStratum: number | undefined): Promise<{ port: number }> {
    if (chronydMissing) throw new Error(`cannot run the chronyd tests (CI=true requires them): ${chronydMissing}`);
    const port = await freeUdpPort();
    running.push(await startChronyd({ runDir, name, port, bindAddress: '127.0.0.1', allow: '127.0.0.1', ...(localStratum !== undefined ? { localStratum } : {}) }));
    return { port };
  }

  it('a synchronised chronyd (local stratum 8) behind the SRV record: time passes, stratum 8, small offset', async () => {
    const server = await chronyd('synchronised', 8);
    const run = await runWith(zone(lab, lab.registrarFqdn, lab.ports.sip, server.port));
    const time = stage(run, 'time');
    expect(time?.status).toBe('pass');
    expect(time?.evidence).toMatchObject({ source: `SRV _ntp._udp.${lab.sipDomain}`, server: `127.0.0.1:${server.port}`, stratum: 8, leap: 0 });
    // chronyd serves this host's own clock, so only the loopback exchange separates them.
    expect(Math.abs(Number(time?.evidence.offsetMs))).toBeLessThan(1000);
  });

  it('an unsynchronised chronyd (no reference, no local clock) is diagnosed time-source-unsynchronised', async () => {
    const server = await chronyd('unsynchronised', undefined);
    const run = await runWith(zone(lab, lab.registrarFqdn, lab.ports.sip, server.port));
    const time = stage(run, 'time');
    // A phone does not set its clock from a server that says it has none, so the stage fails.
    expect(time?.status).toBe('fail');
    expect(time?.diagnosis?.id).toBe('time-source-unsynchronised');
    expect(time?.error?.message).toContain(`127.0.0.1:${server.port} is not synchronised: leap indicator 3`);
  });
});
