// The time stage with the NTP server handed out the way a site does it: a real dnsmasq answers the
// phone's DHCPINFORM with options 43/120 and option 42, and a real chronyd at that address answers
// NTP on port 123. chronyd is an NTP server only: -x (never adjusts any clock), no server/pool line
// (asks no one), no command port. Everything runs in network namespaces this file creates
// (10.99.0.0/24, no default route); the lab pool runs on the client namespace's own loopback.
// Needs root, `ip netns`, dnsmasq and chronyd (apt package chrony); skips without them, but fails
// under CI=true.

import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLI_ENTRY,
  CLIENT_IF,
  PROJECT_ROOT,
  SERVER_IF,
  createLink,
  encodeServerConfig,
  makeRunDir,
  missingBinaries,
  namespaceUnavailableReason,
  removeRunDir,
  runInNs,
  startServer,
  hasBinary,
  uniqueSuffix,
  type RunningServer,
  type Topology,
} from '../helpers/netns.js';
import { startInBackground, waitForOutput, type BackgroundProcess } from '../helpers/background.js';
import { startChronyd } from '../helpers/chronyd.js';

const BUILT_MAIN = join(PROJECT_ROOT, 'dist', 'cli', 'main.js');
const unavailable =
  (await namespaceUnavailableReason()) ??
  (existsSync(BUILT_MAIN) ? undefined : `${BUILT_MAIN} is missing: run "npm run build" first`) ??
  ((await missingBinaries(['dnsmasq'])).length > 0 ? 'dnsmasq is not installed' : undefined) ??
  ((await hasBinary('chronyd')) ? undefined : 'chronyd is not installed (apt package chrony)');
const inCi = process.env.CI === 'true';
const SERVER_ADDRESS = '10.99.0.1';

/** The lab pool on the client namespace's loopback; returns the bootstrap command line it prints. */
async function startLabInNs(ns: string, runDir: string): Promise<{ lab: BackgroundProcess; args: string[]; httpsPort: string; fqdn: string }> {
  const lab = startInBackground('ip', ['netns', 'exec', ns, process.execPath, CLI_ENTRY, 'lab', '--no-dhcp', '--ca-dir', join(runDir, 'ca')]);
  const line = await waitForOutput('the lab pool', lab, (output) => /^\s*npx bootstrap-test (.+)$/m.exec(output)?.[1]);
  const https = /HTTPS \(443\)\s+127\.0\.0\.1:(\d+)\s+https:\/\/([^:/]+):/.exec(lab.output());
  if (!https?.[1] || !https[2]) throw new Error(`cannot read the lab's HTTPS port:\n${lab.output()}`);
  // The printed command asks the lab's DHCP responder; this test asks the real dnsmasq instead.
  const args = line.split(/\s+/);
  for (const flag of ['--dhcp-server', '--client-port']) {
    const at = args.indexOf(flag);
    if (at < 0) throw new Error(`the lab's suggested command has no ${flag}: ${line}`);
    args.splice(at, 2);
  }
  return { lab, args, httpsPort: https[1], fqdn: https[2] };
}

interface JsonStage {
  name: string;
  status: string;
  evidence: Record<string, unknown>;
  diagnosis: { id: string } | null;
}

if (unavailable !== undefined && inCi) {
  describe('the time stage against chronyd from DHCP option 42', () => {
    it('can run here (CI=true requires it)', () => {
      throw new Error(`cannot run the real NTP server test: ${unavailable}`);
    });
  });
} else if (unavailable !== undefined) {
  describe.skip(`the time stage against chronyd from DHCP option 42 (skipped: ${unavailable})`, () => {
    it('needs root, ip netns, dnsmasq and chronyd', () => undefined);
  });
} else {
  describe('the time stage against chronyd named by a real dnsmasq in DHCP option 42', () => {
    let runDir = '';
    let link: Topology | undefined;
    let dnsmasq: RunningServer | undefined;
    let lab: BackgroundProcess | undefined;
    let bootstrapArgs: string[] = [];

    beforeAll(async () => {
      runDir = await makeRunDir('time-real-server');
      link = await createLink(uniqueSuffix());
      const started = await startLabInNs(link.clientNs, runDir);
      lab = started.lab;
      bootstrapArgs = started.args;
      const encoded = await encodeServerConfig('dnsmasq', { sipServer: started.fqdn, webServer: started.fqdn, port: started.httpsPort });
      if (encoded.code !== 0) throw new Error(`dhcp encode --format dnsmasq failed: ${encoded.stderr}`);
      const configFile = join(runDir, 'dnsmasq.conf');
      await writeFile(configFile, `${encoded.stdout}\ndhcp-option=option:ntp-server,${SERVER_ADDRESS}\n`);
      dnsmasq = await startServer('dnsmasq', link.servers[0]?.ns ?? '', configFile, runDir, SERVER_IF);
    });

    afterAll(async () => {
      await dnsmasq?.stop();
      await lab?.stop();
      const problems = link ? await link.down() : [];
      await removeRunDir(runDir);
      expect(problems).toEqual([]);
    });

    async function timeStageWith(name: string, localStratum: number | undefined): Promise<JsonStage | undefined> {
      if (!link) throw new Error('no namespace link');
      const chronyd = await startChronyd({ runDir, name, port: 123, bindAddress: SERVER_ADDRESS, allow: '10.99.0.0/24', ...(localStratum !== undefined ? { localStratum } : {}), namespace: link.servers[0]?.ns ?? '' });
      try {
        const result = await runInNs(link.clientNs, process.execPath, [CLI_ENTRY, ...bootstrapArgs, '--interface', CLIENT_IF, '--request-options', '42', '--stop-after', 'time', '--json']);
        if (result.stdout.trim() === '') throw new Error(`no JSON output (exit ${result.code}): ${result.stderr}`);
        const report = JSON.parse(result.stdout) as { stages: JsonStage[] };
        expect(report.stages.find((stage) => stage.name === 'discover')?.status, result.stderr).toBe('pass');
        return report.stages.find((stage) => stage.name === 'time');
      } catch (error) {
        throw new Error(`${(error as Error).message}\n--- chronyd ---\n${chronyd.output()}\n--- dnsmasq ---\n${dnsmasq?.log() ?? ''}`, { cause: error });
      } finally {
        await chronyd.stop();
      }
    }

    it('a synchronised chronyd (local stratum 8): the time stage passes from option 42 with stratum 8 and a small offset', async () => {
      const time = await timeStageWith('synchronised', 8);
      expect(time?.status).toBe('pass');
      expect(time?.evidence).toMatchObject({ source: `option 42 ${SERVER_ADDRESS}`, server: `${SERVER_ADDRESS}:123`, stratum: 8, leap: 0 });
      // chronyd serves this host's own clock, so only the veth exchange separates them.
      expect(Math.abs(Number(time?.evidence.offsetMs))).toBeLessThan(1000);
    });

    it('an unsynchronised chronyd (no reference, no local clock) is diagnosed time-source-unsynchronised', async () => {
      const time = await timeStageWith('unsynchronised', undefined);
      expect(time?.status).toBe('fail');
      expect(time?.diagnosis?.id).toBe('time-source-unsynchronised');
      expect(time?.evidence.tried).toContain(`option 42 ${SERVER_ADDRESS} → ${SERVER_ADDRESS}:123: leap indicator 3 (clock not synchronised)`);
    });
  });
}
