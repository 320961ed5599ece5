// The dns and time stages against a real DNS server: dnsmasq on loopback (no DHCP, no upstream,
// authoritative for the lab's SIP domain) serving the SRV and A records of the lab pool, then the
// same zone with the SRV target outside the domain and with no SRV record (NXDOMAIN). The rest of
// the run is the lab's. Needs the dnsmasq binary; skips without it, but fails under CI=true.

import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBinary } from '../helpers/netns.js';
import { queryDns } from '../../src/dns/resolver.js';
import { runAgainst, startLab, type Lab } from '../e2e/helpers.js';

const inCi = process.env.CI === 'true';
const available = await hasBinary('dnsmasq');

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

interface Dnsmasq {
  port: number;
  stop(): Promise<void>;
}

/** dnsmasq in the foreground on 127.0.0.1:<port>, answering only from its command line. */
async function startDnsmasq(records: string[]): Promise<Dnsmasq> {
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
  return {
    port,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

let lab: Lab;
beforeAll(async () => {
  if (available) lab = await startLab({});
});
afterAll(async () => {
  await lab?.stop();
});

function zone(lab: Lab, srvTarget: string | undefined): string[] {
  const domain = lab.sipDomain;
  return [
    `--local=/${domain}/`,
    `--host-record=${lab.registrarFqdn},127.0.0.1`,
    `--host-record=ntp.${domain},127.0.0.1`,
    `--srv-host=_ntp._udp.${domain},ntp.${domain},${lab.ports.ntp},0,0`,
    ...(srvTarget ? [`--srv-host=_sipinternaltls._tcp.${domain},${srvTarget},${lab.ports.sip},0,0`] : []),
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
