// `bootstrap-test dhcp inform` against real DHCP servers (dnsmasq, Kea, ISC dhcpd), each configured
// with the output of our own `bootstrap-test dhcp encode --format ...`. Everything runs in network
// namespaces this file creates (10.99.0.0/24, no default route): nothing reaches the host's network.
// Needs root, `ip netns` and the three servers; skips without them, but fails under CI=true.

import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InformResultJson } from '../../src/report/dhcputil.js';
import {
  PROJECT_ROOT,
  createBridgedSegment,
  createLink,
  hasBinary,
  makeRunDir,
  missingBinaries,
  namespaceUnavailableReason,
  removeRunDir,
  run,
  runInNs,
  startCapture,
  startServer,
  uniqueSuffix,
  type RunningServer,
  type ServerKind,
  type Topology,
  CLI_ENTRY,
  CLIENT_IF,
  encodeServerConfig,
  SERVER_IF,
} from '../helpers/netns.js';

const BUILT_MAIN = join(PROJECT_ROOT, 'dist', 'cli', 'main.js');
const ALL_KINDS: ServerKind[] = ['dnsmasq', 'kea', 'dhcpd'];
const CERTPROV_PATH = '/CertProv/CertProvisioningService.svc';

/** The values a site would configure; non-default web server and port prove they flow through. */
const SITE_A = { sipServer: 'pool01.site-a.test', webServer: 'web01.site-a.test', port: '4443' };
const SITE_B = { sipServer: 'pool02.site-b.test', webServer: 'web02.site-b.test', port: '443' };
const urlOf = (site: typeof SITE_A) => `https://${site.webServer}:${site.port}${CERTPROV_PATH}`;

/** Sub-option order on the wire is each server's own (dhcp.md d): evidence a real server answered. */
const WIRE_ORDER: Record<ServerKind, number[]> = {
  dnsmasq: [5, 4, 3, 2, 1],
  kea: [1, 2, 3, 4, 5],
  dhcpd: [1, 2, 3, 4, 5],
};

const unavailable =
  (await namespaceUnavailableReason()) ??
  (existsSync(BUILT_MAIN) ? undefined : `${BUILT_MAIN} is missing: run "npm run build" first`);
const missing = unavailable === undefined ? await missingBinaries(ALL_KINDS) : [];
const inCi = process.env.CI === 'true';
/** Why the tshark wire cross-check cannot run here (it needs tcpdump to capture and tshark to read). */
const wireCheckMissing =
  unavailable !== undefined
    ? unavailable
    : !(await hasBinary('tshark'))
      ? 'tshark is not installed'
      : !(await hasBinary('tcpdump'))
        ? 'tcpdump is not installed'
        : undefined;
const tsharkAvailable = wireCheckMissing === undefined;

/** `dhcp inform` inside the client namespace; returns exit code, parsed JSON (when asked) and output. */
async function inform(topology: Topology, args: string[]) {
  const result = await runInNs(topology.clientNs, process.execPath, [
    CLI_ENTRY,
    'dhcp',
    'inform',
    '--interface',
    topology.clientIf,
    ...args,
  ]);
  const json = args.includes('--json') && result.stdout.trim() !== '' ? (JSON.parse(result.stdout) as InformResultJson) : undefined;
  return { ...result, json };
}

async function writeServerConfig(kind: ServerKind, site: typeof SITE_A, runDir: string): Promise<string> {
  const encoded = await encodeServerConfig(kind, site);
  expect(encoded.code, `dhcp encode --format ${kind} failed: ${encoded.stderr}`).toBe(0);
  const file = join(runDir, `${kind}-${site.sipServer}.conf`);
  await writeFile(file, encoded.stdout);
  return file;
}

function responderSubOptions(json: InformResultJson, index = 0): Record<number, string | null> {
  return Object.fromEntries((json.responders[index]?.subOptions ?? []).map((sub) => [sub.code, sub.text]));
}

/** Frames of a capture as tshark reads them: an oracle independent of our decoder. */
async function tsharkFields(pcap: string, fields: string[]): Promise<string[][]> {
  const result = await run('tshark', ['-r', pcap, '-T', 'fields', ...fields.flatMap((field) => ['-e', field])]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.split('\t'));
}

if (unavailable !== undefined && inCi) {
  describe('DHCP servers in network namespaces', () => {
    it('can run here (CI=true requires it)', () => {
      throw new Error(`cannot run the real-server DHCP tests: ${unavailable}`);
    });
  });
} else if (unavailable !== undefined) {
  describe.skip(`DHCP servers in network namespaces (skipped: ${unavailable})`, () => {
    it('needs root and ip netns', () => undefined);
  });
} else {
  describe('dhcp inform against real DHCP servers configured by dhcp encode', () => {
    let runDir = '';
    let link: Topology | undefined;
    const servers: RunningServer[] = [];
    /** Per server: the capture of its exchange and what our client reported, for the tshark cross-check. */
    const wireRecords = new Map<ServerKind, { pcap: string; xid: string; ackHex: string | undefined }>();
    let keaEphemeral: { pcap: string; xid: string; fromPort: number } | undefined;

    beforeAll(async () => {
      runDir = await makeRunDir('dhcp-servers');
      link = await createLink(uniqueSuffix());
    });

    afterAll(async () => {
      for (const server of servers.splice(0)) await server.stop();
      const problems = link ? await link.down() : [];
      await removeRunDir(runDir);
      expect(problems).toEqual([]);
    });

    async function withServer<T>(kind: ServerKind, body: (topology: Topology) => Promise<T>): Promise<T> {
      if (!link) throw new Error('no namespace link');
      const config = await writeServerConfig(kind, SITE_A, runDir);
      const server = await startServer(kind, link.servers[0]?.ns ?? '', config, runDir, SERVER_IF);
      servers.push(server);
      try {
        return await body(link);
      } catch (error) {
        throw new Error(`${(error as Error).message}\n--- ${kind} log ---\n${server.log()}`, { cause: error });
      } finally {
        servers.splice(servers.indexOf(server), 1);
        await server.stop();
      }
    }

    for (const kind of ALL_KINDS) {
      const skipReason = missing.includes(kind === 'kea' ? 'kea-dhcp4' : kind) ? `${kind} is not installed` : undefined;
      it.skipIf(skipReason !== undefined && !inCi)(
        `${kind}: a broadcast INFORM from port 68 returns its 43 sub-options and 120 name${skipReason ? ` (${skipReason})` : ''}`,
        async () => {
          if (skipReason) throw new Error(skipReason);
          await withServer(kind, async (topology) => {
            const pcap = join(runDir, `${kind}.pcap`);
            const capture = tsharkAvailable ? await startCapture(topology.clientNs, CLIENT_IF, pcap) : undefined;
            const result = await inform(topology, ['--json', '--dhcp-timeout', '4', '--listen-ms', '300']);
            await capture?.stop();
            if (tsharkAvailable) expect(capture, 'tcpdump did not start').toBeDefined();
            expect(result.code, result.stderr).toBe(0);
            const json = result.json;
            if (!json) throw new Error(`no JSON output: ${result.stderr}`);

            expect(json.result).toBe('succeeded');
            expect(json.request).toMatchObject({
              ciaddr: topology.clientAddress,
              chaddr: topology.clientMac,
              fromPort: 68,
              to: '255.255.255.255:67',
              broadcast: true,
              vendorClass: 'MS-UC-Client',
            });
            expect(json.responders).toHaveLength(1);
            const [answer] = json.responders;
            expect(answer).toMatchObject({
              server: '10.99.0.1',
              serverIdentifier: '10.99.0.1',
              source: '10.99.0.1:67',
              messageType: 'DHCPACK',
              usable: true,
              sipServers: [SITE_A.sipServer],
              certProvisioningUrl: urlOf(SITE_A),
            });
            expect(responderSubOptions(json)).toEqual({
              1: 'MS-UC-Client',
              2: 'https',
              3: SITE_A.webServer,
              4: SITE_A.port,
              5: CERTPROV_PATH,
            });
            expect(answer?.subOptions.map((sub) => sub.code)).toEqual(WIRE_ORDER[kind]);
            expect(json.phoneWouldUse).toBe(0);
            expect(json.disagreements).toEqual([]);

            if (capture) wireRecords.set(kind, { pcap, xid: json.request.xid.toLowerCase(), ackHex: answer?.hex });
          });
        },
      );

      // A separate test so that a host without tshark reports the cross-check as skipped instead of
      // passing without it; under CI=true the missing tool is a failure.
      it.skipIf((skipReason !== undefined || wireCheckMissing !== undefined) && !inCi)(
        `${kind}: tshark reads the same INFORM/ACK exchange from the wire${wireCheckMissing ? ` (${wireCheckMissing})` : ''}`,
        async () => {
          if (skipReason) throw new Error(skipReason);
          if (wireCheckMissing) throw new Error(`cannot cross-check with tshark (CI=true requires it): ${wireCheckMissing}`);
          const record = wireRecords.get(kind);
          if (!record) throw new Error(`no capture of the ${kind} exchange: the INFORM test above failed or tcpdump did not start`);
          // tshark's reading of the wire: our INFORM from 68, the server's ACK to 68 with the same
          // xid, the option 120 name, and the exact bytes our client reported.
          const frames = await tsharkFields(record.pcap, ['udp.srcport', 'udp.dstport', 'dhcp.id', 'dhcp.option.dhcp', 'dhcp.option.sip_server.name']);
          expect(frames).toContainEqual(['68', '67', record.xid, '8', '']);
          expect(frames).toContainEqual(['67', '68', record.xid, '5', SITE_A.sipServer]);
          const raw = await tsharkFields(record.pcap, ['udp.dstport', 'udp.payload']);
          const ack = raw.find(([port]) => port === '68');
          expect(ack?.[1]?.replace(/:/g, '').toUpperCase()).toBe(record.ackHex);
        },
      );
    }

    it.skipIf(missing.includes('dnsmasq') && !inCi)('dnsmasq: prints the DHCPUtil-style report', async () => {
      await withServer('dnsmasq', async (topology) => {
        const result = await inform(topology, ['--dhcp-timeout', '4', '--listen-ms', '300']);
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toMatch(/^DHCPINFORM from veth-bt-cli \(ciaddr 10\.99\.0\.2, chaddr 02:00:00:00:99:02\), UDP 68 -> 255\.255\.255\.255:67 \(broadcast\)/);
        expect(result.stdout).toMatch(/^DHCPACK from 10\.99\.0\.1:67 after \d+ ms/m);
        expect(result.stdout).toMatch(/^Result\s+: Succeeded$/m);
        expect(result.stdout).toMatch(/^DHCP Server\s+: 10\.99\.0\.1$/m);
        expect(result.stdout).toMatch(new RegExp(`^SIP Server FQDN\\s+: ${SITE_A.sipServer.replace(/\./g, '\\.')}$`, 'm'));
        expect(result.stdout).toContain(`Certificate Provisioning Service URL : ${urlOf(SITE_A)}`);
      });
    });

    it.skipIf(missing.includes('kea-dhcp4') && !inCi)(
      'kea: from an ephemeral port the ACK goes to port 68, and the silence is explained, not blamed on the network',
      async () => {
        await withServer('kea', async (topology) => {
          const pcap = join(runDir, 'kea-ephemeral.pcap');
          const capture = tsharkAvailable ? await startCapture(topology.clientNs, CLIENT_IF, pcap) : undefined;
          const result = await inform(topology, ['--json', '--client-port', '0', '--dhcp-timeout', '1.5']);
          await capture?.stop();
          // Silence heard from an ephemeral port proves nothing: exit 4, as the bootstrap run gives.
          expect(result.code).toBe(4);
          const json = result.json;
          if (!json) throw new Error(`no JSON output: ${result.stderr}`);
          expect(json.result).toBe('no-answer');
          expect(json.request.fromPort).not.toBe(68);
          expect(json.responders).toEqual([]);
          expect(json.findings[0]?.id).toBe('dhcp-unprivileged-port-silence');
          expect(json.findings[0]?.message).toMatch(new RegExp(`from port ${json.request.fromPort} to 255\\.255\\.255\\.255:67`));
          expect(json.findings[0]?.message).toMatch(/Kea and ISC dhcpd answer to port 68/);
          if (capture) keaEphemeral = { pcap, xid: json.request.xid.toLowerCase(), fromPort: json.request.fromPort };
        });
      },
    );

    it.skipIf((missing.includes('kea-dhcp4') || wireCheckMissing !== undefined) && !inCi)(
      `kea: tshark sees the ACK the ephemeral-port client missed, sent to port 68${wireCheckMissing ? ` (${wireCheckMissing})` : ''}`,
      async () => {
        if (wireCheckMissing) throw new Error(`cannot cross-check with tshark (CI=true requires it): ${wireCheckMissing}`);
        if (!keaEphemeral) throw new Error('no capture of the kea ephemeral-port exchange: the test above failed or tcpdump did not start');
        // Kea did answer, just not where we listened.
        const frames = await tsharkFields(keaEphemeral.pcap, ['udp.srcport', 'udp.dstport', 'dhcp.id', 'dhcp.option.dhcp']);
        expect(frames).toContainEqual([String(keaEphemeral.fromPort), '67', keaEphemeral.xid, '8']);
        expect(frames).toContainEqual(['67', '68', keaEphemeral.xid, '5']);
      },
    );

    it.skipIf(missing.includes('dnsmasq') && !inCi)('dnsmasq: from an ephemeral port it answers at that port', async () => {
      await withServer('dnsmasq', async (topology) => {
        const result = await inform(topology, ['--json', '--client-port', '0', '--dhcp-timeout', '4', '--listen-ms', '300']);
        expect(result.code, result.stderr).toBe(0);
        const json = result.json;
        if (!json) throw new Error(`no JSON output: ${result.stderr}`);
        expect(json.request.fromPort).not.toBe(68);
        expect(json.responders).toHaveLength(1);
        expect(json.responders[0]).toMatchObject({ source: '10.99.0.1:67', certProvisioningUrl: urlOf(SITE_A) });
        expect(json.result).toBe('succeeded');
      });
    });

    it('without a route for the limited broadcast: exit 4 and the route to add', async () => {
      if (!link) throw new Error('no namespace link');
      const routeArgs = ['-n', link.clientNs, 'route', '255.255.255.255/32', 'dev', CLIENT_IF];
      const removed = await run('ip', [...routeArgs.slice(0, 3), 'del', ...routeArgs.slice(3)]);
      expect(removed.code, removed.stderr).toBe(0);
      try {
        const result = await inform(link, ['--dhcp-timeout', '2']);
        expect(result.code).toBe(4);
        expect(result.stderr.trim().split('\n')).toHaveLength(1);
        expect(result.stderr).toMatch(/cannot send to 255\.255\.255\.255:67 \(ENETUNREACH\): no route names an outgoing interface/);
        expect(result.stderr).toContain('ip route add 255.255.255.255/32 dev IFACE');
      } finally {
        await run('ip', [...routeArgs.slice(0, 3), 'replace', ...routeArgs.slice(3)]);
      }
    });
  });

  const twoServerSkip = missing.includes('dnsmasq') || missing.includes('kea-dhcp4');
  describe.skipIf(twoServerSkip && !inCi)('two DHCP servers on one segment with different values', () => {
    let runDir = '';
    let segment: Topology | undefined;
    const servers: RunningServer[] = [];

    beforeAll(async () => {
      runDir = await makeRunDir('dhcp-two');
      segment = await createBridgedSegment(uniqueSuffix(), 2);
    });

    afterAll(async () => {
      for (const server of servers.splice(0)) await server.stop();
      const problems = segment ? await segment.down() : [];
      await removeRunDir(runDir);
      expect(problems).toEqual([]);
    });

    it('reports both responders and flags that they disagree on 43 and 120', async () => {
      if (!segment) throw new Error('no segment');
      const [first, second] = segment.servers;
      if (!first || !second) throw new Error('two server namespaces expected');
      servers.push(await startServer('dnsmasq', first.ns, await writeServerConfig('dnsmasq', SITE_A, runDir), runDir, SERVER_IF));
      servers.push(await startServer('kea', second.ns, await writeServerConfig('kea', SITE_B, runDir), runDir, SERVER_IF));

      const result = await inform(segment, ['--json', '--dhcp-timeout', '2.5']);
      const logs = servers.map((server) => `--- ${server.kind} ---\n${server.log()}`).join('\n');
      const json = result.json;
      if (!json) throw new Error(`no JSON output: ${result.stderr}\n${logs}`);
      expect(json.responders.map((responder) => responder.server).sort(), logs).toEqual([first.address, second.address]);
      const byServer = new Map(json.responders.map((responder) => [responder.server, responder]));
      expect(byServer.get(first.address)).toMatchObject({ certProvisioningUrl: urlOf(SITE_A), sipServers: [SITE_A.sipServer] });
      expect(byServer.get(second.address)).toMatchObject({ certProvisioningUrl: urlOf(SITE_B), sipServers: [SITE_B.sipServer] });
      expect(json.disagreements.map((disagreement) => disagreement.option)).toEqual([43, 120]);
      expect(json.disagreements.find((d) => d.option === 120)?.values).toEqual(
        expect.arrayContaining([
          { server: first.address, value: SITE_A.sipServer },
          { server: second.address, value: SITE_B.sipServer },
        ]),
      );
      expect(json.findings.map((finding) => finding.id)).toContain('dhcp-multiple-responders');
      expect(json.result).toBe('failed');
      expect(json.phoneWouldUse).toBe(0);
      expect(result.code).toBe(1);
    });
  });
}

