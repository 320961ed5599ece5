// runInform against tiny DHCP responders on 127.0.0.0/8 (ephemeral ports only, nothing leaves the
// host). The responders reply to the request's source address and port, as dnsmasq does.

import { createSocket, type Socket } from 'node:dgram';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runInform, type InformConfig, type PacketEvent } from '../../src/dhcp/inform.js';
import { buildInformPacket } from '../../src/dhcp/inform-messages.js';
import { planTransmissions } from '../../src/dhcp/inform-settings.js';
import { describeSocketError, InformSocketError } from '../../src/dhcp/inform-socket-errors.js';
import { encodeMsUcVendorInfo } from '../../src/dhcp/msuc.js';
import { encodeSipServers } from '../../src/dhcp/option120.js';
import { optionData } from '../../src/dhcp/options.js';
import { decodePacket, encodePacket } from '../../src/dhcp/packet.js';
import { formatInformReport, informResultToJson } from '../../src/report/dhcputil.js';
import { PROJECT_ROOT } from '../helpers/netns.js';
import { exitCodeOfError } from '../../src/cli/main.js';

const CLIENT = { name: 'lo', address: '127.0.0.1', mac: '02:00:00:00:99:02' };
const URL_A = 'https://pool-a.example.test:443/CertProv/CertProvisioningService.svc';

interface AckSpec {
  /** Source address of the answering server (a loopback address). */
  from: string;
  serverId: string;
  webServer?: string;
  sipNames?: string[];
  /** Sub-options in reverse order with an END inside option 43, as dnsmasq sends them. */
  dnsmasqStyle?: boolean;
  messageType?: number;
  delayMs?: number;
  /** Answer only the n-th request received (1-based); default every request. */
  answerCopy?: number;
  /** Overrides applied to the reply header (foreign xid, other chaddr, op 1 ...). */
  header?: { xid?: number; chaddr?: string; op?: number };
  /** Send these bytes instead of an ACK. */
  raw?: Uint8Array;
}

function option43(spec: AckSpec): Uint8Array {
  const value = encodeMsUcVendorInfo({ webServerFqdn: spec.webServer ?? 'pool-a.example.test' });
  if (!spec.dnsmasqStyle) return value;
  // Rebuild as 5,4,3,2,1 + END.
  const subs: Uint8Array[] = [];
  for (let i = 0; i < value.length; ) {
    const length = value[i + 1] ?? 0;
    subs.push(value.subarray(i, i + 2 + length));
    i += 2 + length;
  }
  return Uint8Array.from([...subs.reverse().flatMap((sub) => [...sub]), 255]);
}

function buildReply(request: Uint8Array, spec: AckSpec): Uint8Array {
  if (spec.raw) return spec.raw;
  const decoded = decodePacket(request);
  const options = [
    optionData(53, spec.messageType ?? 5),
    optionData(54, spec.serverId),
    ...(spec.messageType === undefined || spec.messageType === 5 ? [{ code: 43, data: option43(spec) }] : []),
    ...(spec.sipNames ? [{ code: 120, data: encodeSipServers({ names: spec.sipNames }) }] : []),
  ];
  return encodePacket({
    header: {
      op: spec.header?.op ?? 2,
      xid: spec.header?.xid ?? decoded.header.xid,
      ciaddr: decoded.header.ciaddr,
      chaddr: spec.header?.chaddr ?? decoded.header.chaddr,
    },
    options,
    minLength: 0,
  });
}

interface FakeSegment {
  port: number;
  /** Every request received, in order. */
  requests: Uint8Array[];
  close(): Promise<void>;
}

const open: FakeSegment[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((segment) => segment.close()));
});

function bindSocket(address: string, port = 0): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(port, address, () => resolve(socket));
  });
}

/** One listening "server" port; every spec answers each request from its own loopback address. */
async function fakeSegment(specs: AckSpec[]): Promise<FakeSegment> {
  const listener = await bindSocket('127.0.0.1');
  const senders = await Promise.all(specs.map((spec) => bindSocket(spec.from)));
  const requests: Uint8Array[] = [];
  const timers = new Set<NodeJS.Timeout>();
  listener.on('message', (message, remote) => {
    const request = new Uint8Array(message);
    requests.push(request);
    specs.forEach((spec, index) => {
      if (spec.answerCopy !== undefined && spec.answerCopy !== requests.length) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        senders[index]?.send(buildReply(request, spec), remote.port, remote.address);
      }, spec.delayMs ?? 0);
      timers.add(timer);
    });
  });
  const segment: FakeSegment = {
    port: (listener.address() as { port: number }).port,
    requests,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      await Promise.all([listener, ...senders].map((socket) => new Promise<void>((r) => socket.close(() => r()))));
    },
  };
  open.push(segment);
  return segment;
}

function config(segment: FakeSegment, extra: Partial<InformConfig> = {}): InformConfig {
  return {
    client: CLIENT,
    clientPort: 0,
    server: { address: '127.0.0.1', port: segment.port },
    timeoutMs: 1500,
    retransmit: { initialMs: 4000, jitterMs: 0, maxMs: 64_000 },
    ...extra,
  };
}

describe('the DHCPINFORM packet', () => {
  it('is a Lync phone request: ciaddr set, options 53, 61, 12, 60, 55 in that order, padded to 300 bytes', () => {
    const bytes = buildInformPacket({
      xid: 0xabeb5f94,
      ciaddr: '10.99.0.2',
      mac: '02:00:00:00:99:02',
      hostName: 'LYNCPHONE01',
      vendorClass: 'MS-UC-Client',
      requestedOptions: [120, 43],
    });
    expect(bytes.length).toBe(300);
    const packet = decodePacket(bytes);
    expect(packet.header).toMatchObject({ op: 1, htype: 1, hlen: 6, xid: 0xabeb5f94, flags: 0, ciaddr: '10.99.0.2', chaddr: '02:00:00:00:99:02' });
    expect(packet.instances.map((option) => option.code)).toEqual([53, 61, 12, 60, 55]);
    // 284 bytes before padding with an 11-character host name (dhcp.md a.2).
    expect(packet.endOffset).toBe(283);
    expect(Buffer.from(packet.options.get(55)?.data ?? []).toString('hex')).toBe('782b');
    expect(Buffer.from(packet.options.get(61)?.data ?? []).toString('hex')).toBe('01020000009902');
    expect(packet.vendorClass).toBe('MS-UC-Client');
    expect(packet.options.has(50) || packet.options.has(51) || packet.options.has(54)).toBe(false);
  });

  it('adds option 57 after 55 when a maximum message size is given, and refuses ciaddr 0.0.0.0', () => {
    const base = { xid: 1, mac: '02:00:00:00:99:02', hostName: 'x', vendorClass: 'MS-UC-Client', requestedOptions: [120, 43, 42] };
    const packet = decodePacket(buildInformPacket({ ...base, ciaddr: '10.0.0.9', maxMessageSize: 1500 }));
    expect(packet.instances.map((option) => option.code)).toEqual([53, 61, 12, 60, 55, 57]);
    expect([...(packet.options.get(57)?.data ?? [])]).toEqual([0x05, 0xdc]);
    expect(() => buildInformPacket({ ...base, ciaddr: '0.0.0.0' })).toThrow(/ciaddr/);
  });
});

describe('planTransmissions', () => {
  it('follows the RFC 2131 backoff (4 s +-1, then 8, 16) within the deadline and the try limit', () => {
    const mid = () => 0.5;
    expect(planTransmissions(4, 60_000, { initialMs: 4000, jitterMs: 1000, maxMs: 64_000 }, mid)).toEqual([0, 4000, 12_000, 28_000]);
    expect(planTransmissions(4, 6000, { initialMs: 4000, jitterMs: 1000, maxMs: 64_000 }, () => 0)).toEqual([0, 3000]);
    // No copy so late that an answer could not arrive before the deadline.
    expect(planTransmissions(4, 5000, { initialMs: 4000, jitterMs: 1000, maxMs: 64_000 }, () => 0.999)).toEqual([0]);
    expect(planTransmissions(1, 60_000, { initialMs: 4000, jitterMs: 1000, maxMs: 64_000 }, mid)).toEqual([0]);
    expect(planTransmissions(10, 600_000, { initialMs: 4000, jitterMs: 0, maxMs: 64_000 }, mid).slice(5)).toEqual([124_000, 188_000, 252_000, 316_000, 380_000]);
  });
});

describe('runInform on loopback', () => {
  it('reports one answer with the URL from 43 and the registrar from 120, and names what it sent', async () => {
    const segment = await fakeSegment([{ from: '127.0.0.1', serverId: '10.0.0.1', sipNames: ['pool-a.example.test'] }]);
    const events: PacketEvent[] = [];
    const result = await runInform(config(segment, { listenMs: 100, xid: 0x01020304, onPacket: (event) => events.push(event) }));

    expect(result.responders).toHaveLength(1);
    const [answer] = result.responders;
    expect(answer).toMatchObject({
      server: '10.0.0.1',
      serverIdentifier: '10.0.0.1',
      source: { address: '127.0.0.1' },
      kind: 'ack',
      certProvisioningUrl: URL_A,
      sipServers: ['pool-a.example.test'],
      afterTries: 1,
    });
    expect(answer?.packet.msuc?.subOptions.map((sub) => sub.code)).toEqual([1, 2, 3, 4, 5]);
    expect(result.chosen).toBe(0);
    expect(result.disagreements).toEqual([]);
    expect(result.sent).toMatchObject({ xid: 0x01020304, ciaddr: '127.0.0.1', tries: 1, broadcast: false });
    expect(result.sent.fromPort).toBeGreaterThan(1023);
    // The listen window ended the run, not the deadline.
    expect(result.waitedMs).toBeLessThan(result.timeoutMs);
    expect(segment.requests).toHaveLength(1);
    expect(Buffer.from(segment.requests[0] ?? []).equals(Buffer.from(result.sent.bytes))).toBe(true);
    expect(events.map((event) => event.direction)).toEqual(['out', 'in']);
    expect(events[0]).toMatchObject({ address: '127.0.0.1', port: segment.port, atMs: 0 });

    const text = formatInformReport(result);
    expect(text).toMatch(/^Result\s+: Succeeded$/m);
    expect(text).toMatch(/^DHCP Server\s+: 10\.0\.0\.1$/m);
    expect(text).toMatch(/^SIP Server FQDN\s+: pool-a\.example\.test$/m);
    expect(text).toContain(`Certificate Provisioning Service URL : ${URL_A}`);
    expect(text).toContain('Option 60 vendor class identifier (12 bytes)');
    expect(text).toContain('4D532D55432D436C69656E74');
    const json = informResultToJson(result);
    expect(json).toMatchObject({ schema: 'bootstrap-test/dhcp-inform/1', result: 'succeeded', phoneWouldUse: 0 });
    expect(json.responders[0]?.subOptions.find((sub) => sub.code === 3)?.text).toBe('pool-a.example.test');
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it('keeps every responder until the deadline and finds no disagreement when they agree in substance', async () => {
    const segment = await fakeSegment([
      { from: '127.0.0.1', serverId: '10.0.0.1', sipNames: ['pool-a.example.test'] },
      { from: '127.0.0.2', serverId: '10.0.0.2', sipNames: ['POOL-A.example.test'], dnsmasqStyle: true, delayMs: 30 },
    ]);
    const result = await runInform(config(segment, { timeoutMs: 600 }));
    expect(result.responders.map((r) => [r.server, r.source.address])).toEqual([
      ['10.0.0.1', '127.0.0.1'],
      ['10.0.0.2', '127.0.0.2'],
    ]);
    expect(result.responders[1]?.packet.msuc?.subOptions.map((sub) => sub.code)).toEqual([5, 4, 3, 2, 1]);
    expect(result.responders[1]?.certProvisioningUrl).toBe(URL_A);
    expect(result.disagreements).toEqual([]);
    expect(result.findings.map((finding) => finding.id)).toContain('dhcp-multiple-responders');
    expect(result.waitedMs).toBeGreaterThanOrEqual(600);
  });

  it('flags responders that disagree on 43 and 120, and picks the first ACK with a 120 name as the phone would', async () => {
    const segment = await fakeSegment([
      { from: '127.0.0.1', serverId: '10.0.0.1' },
      { from: '127.0.0.3', serverId: '10.0.0.3', webServer: 'old-pool.example.test', sipNames: ['old-pool.example.test'], delayMs: 20 },
      { from: '127.0.0.2', serverId: '10.0.0.2', sipNames: ['pool-a.example.test'], delayMs: 40 },
    ]);
    const result = await runInform(config(segment, { timeoutMs: 500 }));
    expect(result.responders.map((r) => r.server)).toEqual(['10.0.0.1', '10.0.0.3', '10.0.0.2']);
    expect(result.chosen).toBe(1);
    expect(result.disagreements.map((d) => d.option)).toEqual([43, 120]);
    const on43 = result.disagreements.find((d) => d.option === 43);
    expect(on43?.values).toEqual([
      { server: '10.0.0.1', value: URL_A },
      { server: '10.0.0.3', value: 'https://old-pool.example.test:443/CertProv/CertProvisioningService.svc' },
      { server: '10.0.0.2', value: URL_A },
    ]);
    expect(result.disagreements.find((d) => d.option === 120)?.values.map((v) => v.value)).toEqual([
      '(no option 120)',
      'old-pool.example.test',
      'pool-a.example.test',
    ]);
    const text = formatInformReport(result);
    expect(text).toMatch(/WARNING: the DHCP servers disagree on option 43: 10\.0\.0\.1 says https:\/\/pool-a/);
    expect(text).toContain('Responder 2 of 3 (the answer a phone would use');
    expect(informResultToJson(result).result).toBe('failed');
  });

  it('ignores foreign xids, other clients\' chaddr, requests and garbage, and says why', async () => {
    const segment = await fakeSegment([
      { from: '127.0.0.4', serverId: '10.0.0.4', header: { xid: 0xdeadbeef } },
      { from: '127.0.0.5', serverId: '10.0.0.5', header: { chaddr: '02:00:00:00:00:05' } },
      { from: '127.0.0.6', serverId: '10.0.0.6', header: { op: 1 } },
      { from: '127.0.0.7', serverId: '10.0.0.7', raw: Uint8Array.from([1, 2, 3]) },
      { from: '127.0.0.1', serverId: '10.0.0.1', sipNames: ['pool-a.example.test'], delayMs: 50 },
    ]);
    const result = await runInform(config(segment, { xid: 0x11111111, timeoutMs: 400 }));
    expect(result.responders.map((r) => r.server)).toEqual(['10.0.0.1']);
    const reasons = result.ignored.map((entry) => `${entry.from.split(':')[0]} ${entry.reason}`).sort();
    expect(reasons).toHaveLength(4);
    expect(reasons[0]).toMatch(/^127\.0\.0\.4 xid 0xdeadbeef is not ours \(0x11111111\)/);
    expect(reasons[1]).toMatch(/^127\.0\.0\.5 our xid but chaddr 02:00:00:00:00:05, not ours/);
    expect(reasons[2]).toMatch(/^127\.0\.0\.6 a request \(op 1\), not a reply/);
    expect(reasons[3]).toMatch(/^127\.0\.0\.7 not a DHCP message: truncated DHCP message, 3 bytes/);
    expect(formatInformReport(result, { verbose: true })).toMatch(/Ignored 3 bytes from 127\.0\.0\.7:\d+ at \d+ ms: not a DHCP message/);
  });

  it('reports a DHCPNAK as that server\'s answer, not as silence', async () => {
    const segment = await fakeSegment([{ from: '127.0.0.8', serverId: '10.0.0.8', messageType: 6 }]);
    const result = await runInform(config(segment, { listenMs: 50 }));
    expect(result.responders).toHaveLength(1);
    expect(result.responders[0]).toMatchObject({ kind: 'nak', messageType: 6, server: '10.0.0.8' });
    expect(result.chosen).toBeUndefined();
    expect(result.findings).toContainEqual({ id: 'dhcp-inform-ignored', message: '10.0.0.8 answered DHCPNAK instead of DHCPACK' });
    expect(formatInformReport(result)).toMatch(/^Result\s+: Failed: answered DHCPNAK, not DHCPACK$/m);
  });

  it('retransmits the same xid on the backoff schedule until someone answers, then stops', async () => {
    const segment = await fakeSegment([{ from: '127.0.0.1', serverId: '10.0.0.1', sipNames: ['pool-a.example.test'], answerCopy: 2 }]);
    const result = await runInform(
      config(segment, { timeoutMs: 3000, tries: 4, listenMs: 400, retransmit: { initialMs: 150, jitterMs: 0, maxMs: 1000 } }),
    );
    expect(result.sent.tries).toBe(2);
    expect(result.sent.sentAtMs[1]).toBeGreaterThanOrEqual(140);
    expect(result.responders[0]?.afterTries).toBe(2);
    // Both copies carry the one xid of the run.
    expect(segment.requests.map((request) => decodePacket(request).header.xid)).toEqual([result.sent.xid, result.sent.xid]);
    // The third copy (planned at 450 ms) was cancelled by the answer.
    expect(segment.requests).toHaveLength(2);
  });

  it('honours the deadline when nobody answers, and explains silence on an ephemeral port', async () => {
    const segment = await fakeSegment([]);
    const result = await runInform(
      config(segment, { timeoutMs: 700, tries: 10, retransmit: { initialMs: 100, jitterMs: 0, maxMs: 1000 } }),
    );
    expect(result.responders).toEqual([]);
    // 0, 100, 300 fit; 700 is past the deadline's reply margin.
    expect(result.sent.sentAtMs).toHaveLength(3);
    expect(segment.requests).toHaveLength(3);
    expect(result.waitedMs).toBeGreaterThanOrEqual(700);
    const finding = result.findings[0];
    expect(finding?.id).toBe('dhcp-unprivileged-port-silence');
    expect(finding?.message).toMatch(new RegExp(`xid 0x[0-9a-f]{8}, ciaddr 127\\.0\\.0\\.1, from port ${result.sent.fromPort} to 127\\.0\\.0\\.1:${segment.port}, 3 tries\\) within \\d+ ms`));
    expect(finding?.message).toMatch(/Kea and ISC dhcpd answer to port 68/);
    expect(informResultToJson(result).result).toBe('no-answer');
    // The socket is closed: its port can be bound again at once.
    const again = await bindSocket('0.0.0.0', result.sent.fromPort);
    again.close();
  });

  it('stops at once when aborted, closing the socket', async () => {
    const segment = await fakeSegment([]);
    const controller = new AbortController();
    const events: PacketEvent[] = [];
    const run = runInform(config(segment, { timeoutMs: 10_000, onPacket: (event) => events.push(event) }), controller.signal);
    setTimeout(() => controller.abort(new Error('operator gave up')), 50);
    await expect(run).rejects.toThrow('operator gave up');
    expect(events).toHaveLength(1);
    expect(segment.requests).toHaveLength(1);
    await expect(runInform(config(segment), AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });

  it('maps a port held by another process to a LocalEnvironmentError naming a DHCP client daemon', async () => {
    const holder = await bindSocket('0.0.0.0');
    const port = (holder.address() as { port: number }).port;
    try {
      const segment = await fakeSegment([]);
      const error = await runInform(config(segment, { clientPort: port })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InformSocketError);
      expect(error).toMatchObject({ code: 'BT_DHCP_SOCKET', systemCode: 'EADDRINUSE', phase: 'bind' });
      expect(exitCodeOfError(error)).toBe(4);
      expect((error as Error).message).toMatch(new RegExp(`cannot bind UDP port ${port} .*another process holds it, usually a DHCP client daemon`));
    } finally {
      holder.close();
    }
  });

  it('explains EACCES on port 68 with the three ways out, and ENETUNREACH with the missing route', () => {
    const eacces = Object.assign(new Error('bind EACCES 0.0.0.0:68'), { code: 'EACCES' });
    const mapped = describeSocketError(eacces, 'bind', { port: 68, bindAddress: '0.0.0.0', to: '255.255.255.255:67' });
    expect(exitCodeOfError(mapped)).toBe(4);
    expect(mapped.message.split('\n')).toHaveLength(1);
    expect(mapped.message).toMatch(/needs root or CAP_NET_BIND_SERVICE/);
    expect(mapped.message).toMatch(/sudo/);
    expect(mapped.message).toMatch(/setcap cap_net_bind_service=\+ep \$\(which node\)/);
    expect(mapped.message).toMatch(/--client-port 0 .*only dnsmasq-like servers answer/);
    const unreachable = Object.assign(new Error('send ENETUNREACH'), { code: 'ENETUNREACH' });
    expect(describeSocketError(unreachable, 'send', { port: 68, bindAddress: '0.0.0.0', to: '255.255.255.255:67' }).message).toMatch(
      /no route names an outgoing interface.*ip route add 255\.255\.255\.255\/32 dev IFACE/,
    );
  });

  it.runIf(process.platform === 'linux' && process.getuid?.() === 0)(
    'really gets EACCES binding port 68 as an unprivileged user',
    () => {
      // The errno the mapping above relies on, produced by the kernel (run as nobody).
      const child = spawnSync(
        process.execPath,
        ['-e', "require('dgram').createSocket('udp4').on('error',e=>{console.log(e.code);process.exit(0)}).bind(68,'127.0.0.1',()=>{console.log('bound');process.exit(0)})"],
        { uid: 65534, gid: 65534, encoding: 'utf8' },
      );
      expect(child.stdout.trim()).toBe('EACCES');
    },
  );
});

const CLI_ENTRY = join(PROJECT_ROOT, 'bin', 'bootstrap-test.js');
const BUILT_MAIN = join(PROJECT_ROOT, 'dist', 'cli', 'main.js');
const cliBuilt = existsSync(BUILT_MAIN);

/** Runs the CLI without blocking this process, whose event loop serves the fake responders. */
function runCli(args: string[], options: { uid?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_ENTRY, 'dhcp', 'inform', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20_000,
      ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.skipIf(!cliBuilt && process.env.CI !== 'true')(`bootstrap-test dhcp inform on loopback${cliBuilt ? '' : ' (skipped: run npm run build first)'}`, () => {
  it('answers exit 0 with the DHCPUtil lines, and --json with the same facts', async () => {
    const segment = await fakeSegment([{ from: '127.0.0.1', serverId: '10.0.0.1', sipNames: ['pool-a.example.test'] }]);
    const common = ['--dhcp-server', `127.0.0.1:${segment.port}`, '--client-port', '0', '--listen-ms', '200'];
    const text = await runCli(common);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^Result\s+: Succeeded$/m);
    expect(text.stdout).toContain(`Certificate Provisioning Service URL : ${URL_A}`);
    const json = await runCli([...common, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const parsed = JSON.parse(json.stdout) as { result: string; request: { interface: string; ciaddr: string }; responders: Array<{ certProvisioningUrl: string }> };
    expect(parsed.result).toBe('succeeded');
    // A loopback server means the loopback interface speaks for the client.
    expect(parsed.request.ciaddr).toBe('127.0.0.1');
    expect(parsed.responders[0]?.certProvisioningUrl).toBe(URL_A);
  });

  it('exits 1 when servers disagree, and 4 when nobody answers an ephemeral port (as the bootstrap run does)', async () => {
    const segment = await fakeSegment([
      { from: '127.0.0.1', serverId: '10.0.0.1', sipNames: ['pool-a.example.test'] },
      { from: '127.0.0.2', serverId: '10.0.0.2', sipNames: ['pool-b.example.test'], webServer: 'pool-b.example.test' },
    ]);
    const conflicting = await runCli(['--dhcp-server', `127.0.0.1:${segment.port}`, '--client-port', '0', '--dhcp-timeout', '600ms']);
    expect(conflicting.code).toBe(1);
    expect(conflicting.stdout).toMatch(/WARNING: the DHCP servers disagree on option 43/);
    const silent = await fakeSegment([]);
    const none = await runCli(['--dhcp-server', `127.0.0.1:${silent.port}`, '--client-port', '0', '--dhcp-timeout', '300ms']);
    // Silence heard from an ephemeral port proves nothing: this host could not test.
    expect(none.code).toBe(4);
    expect(none.stdout).toMatch(/^Result\s+: Failed: no answer within \d+ ms$/m);
    expect(none.stdout).toMatch(/dhcp-unprivileged-port-silence/);
  });

  it('exits 2 with one line naming the bad option', async () => {
    for (const [args, message] of [
      [['--dhcp-server', 'dhcp.example.test'], /--dhcp-server: "dhcp\.example\.test" is not an IPv4 address/],
      [['--client-port', '70000'], /--client-port: "70000" is not in 0\.\.65535/],
      [['--dhcp-timeout', 'soon'], /--dhcp-timeout: "soon" is not a duration/],
      [['--max-message-size', '100'], /--max-message-size: "100" is not in 576\.\.65535/],
      [['--interface', 'no-such-if0'], /--interface: no interface named "no-such-if0"/],
    ] as const) {
      const result = await runCli([...args]);
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(message);
    }
  });

  it.runIf(process.platform === 'linux' && process.getuid?.() === 0)('exits 4 with the fix when it may not bind port 68', async () => {
    // Run as nobody; the bind fails before anything is sent.
    const result = await runCli(['--dhcp-server', '127.0.0.1:9'], { uid: 65534 });
    expect(result.code).toBe(4);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/cannot bind UDP port 68 \(EACCES\): a DHCP client port needs root or CAP_NET_BIND_SERVICE/);
  });
});
