// Records the fixtures in fixtures/dhcp/captures/: real DHCPACKs from dnsmasq, Kea and ISC dhcpd
// (configured from our own `dhcp encode` output, plus the variant lines each case adds), answering
// `dhcp inform` inside network namespaces this file creates. Captured with tcpdump or dumpcap on the
// client side. Runs only when asked (RECORD_DHCP_CAPTURES=1, as root); test/dhcp/captures.test.ts
// checks the recorded files against what a decoder must read out of them.
//
//   npm run record-captures   (as root)

import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PROJECT_ROOT,
  createLink,
  makeRunDir,
  namespaceUnavailableReason,
  removeRunDir,
  runInNs,
  startServer,
  uniqueSuffix,
  type ServerKind,
  type Topology,
  CLI_ENTRY,
  CLIENT_IF,
  encodeServerConfig,
  SERVER_IF,
} from '../helpers/netns.js';
import { LONG_SITE, SECOND_POOL, SITE } from '../dhcp/capture-sites.js';

const OUT_DIR = join(PROJECT_ROOT, 'fixtures', 'dhcp', 'captures');

interface Recording {
  file: string;
  kind: ServerKind;
  site: { sipServer: string; webServer: string; port: string; path?: string };
  /** Turns our generated configuration into this case's. */
  edit?: (config: string) => string;
  informArgs?: string[];
  capture: 'tcpdump' | 'tcpdump-any' | 'dumpcap';
}

const NAP_KEA_DEF = '{ "space": "MSUC", "name": "NAP", "code": 220, "type": "string" }';
const NAP_KEA_DATA = '{ "space": "MSUC", "name": "NAP", "data": "NAP" }';

function keaEdit(config: string, addDef: string, addData: string): string {
  const json = JSON.parse(config) as { Dhcp4: { 'option-def': unknown[]; 'client-classes': { 'option-data': unknown[] }[] } };
  json.Dhcp4['option-def'].push(JSON.parse(addDef));
  json.Dhcp4['client-classes'][0]?.['option-data'].unshift(JSON.parse(addData));
  return JSON.stringify(json, null, 2);
}

const RECORDINGS: Recording[] = [
  { file: 'dnsmasq-default.pcap', kind: 'dnsmasq', site: SITE, capture: 'tcpdump' },
  {
    file: 'dnsmasq-nap.pcap',
    kind: 'dnsmasq',
    site: SITE,
    edit: (c) => `${c}dhcp-option=vendor:MS-UC-Client,220,"NAP"\n`,
    capture: 'tcpdump',
  },
  {
    file: 'dnsmasq-two-names-sll.pcap',
    kind: 'dnsmasq',
    site: SITE,
    edit: (c) => c.replace(`dhcp-option=120,${SITE.sipServer}\n`, `dhcp-option=120,${SITE.sipServer},${SECOND_POOL}\n`),
    capture: 'tcpdump-any',
  },
  {
    file: 'dnsmasq-long-43-split.pcapng',
    kind: 'dnsmasq',
    site: LONG_SITE,
    informArgs: ['--max-message-size', '1500'],
    capture: 'dumpcap',
  },
  { file: 'dnsmasq-long-43-no-57.pcap', kind: 'dnsmasq', site: LONG_SITE, capture: 'tcpdump' },
  { file: 'kea-default.pcap', kind: 'kea', site: SITE, capture: 'tcpdump' },
  { file: 'kea-nap.pcap', kind: 'kea', site: SITE, edit: (c) => keaEdit(c, NAP_KEA_DEF, NAP_KEA_DATA), capture: 'tcpdump' },
  { file: 'kea-long-43.pcap', kind: 'kea', site: LONG_SITE, informArgs: ['--max-message-size', '1500'], capture: 'tcpdump' },
  { file: 'dhcpd-default.pcapng', kind: 'dhcpd', site: SITE, capture: 'dumpcap' },
  {
    file: 'dhcpd-nap.pcap',
    kind: 'dhcpd',
    site: SITE,
    edit: (c) =>
      c
        .replace('option MSUC.CertProvRelPath code 5 = text;\n', 'option MSUC.CertProvRelPath code 5 = text;\noption MSUC.NAP code 220 = text;\n')
        .replace('  vendor-option-space MSUC;\n', '  vendor-option-space MSUC;\n  option MSUC.NAP "NAP";\n'),
    capture: 'tcpdump',
  },
  {
    file: 'dhcpd-two-names-compressed.pcap',
    kind: 'dhcpd',
    site: SITE,
    // dhcpd encodes and compresses the names itself when option 120 is declared as a record.
    edit: (c) =>
      c
        .replace('option sip-server code 120 = string;', 'option sip-server code 120 = { unsigned integer 8, domain-list compressed };')
        .replace(/option sip-server 00:[0-9a-f:]+;/, `option sip-server 0 "${SITE.sipServer}", "${SECOND_POOL}";`),
    capture: 'tcpdump',
  },
  { file: 'dhcpd-long-43.pcap', kind: 'dhcpd', site: LONG_SITE, informArgs: ['--max-message-size', '1500'], capture: 'tcpdump' },
];

async function generatedConfig(recording: Recording): Promise<string> {
  const site = recording.site;
  const result = await encodeServerConfig(recording.kind, site);
  expect(result.code, result.stderr).toBe(0);
  return recording.edit ? recording.edit(result.stdout) : result.stdout;
}

/** Starts a capture in the client namespace and resolves once it is listening. */
async function startRecorder(ns: string, how: Recording['capture'], file: string): Promise<() => Promise<void>> {
  const filter = 'udp port 67 or udp port 68';
  const args =
    how === 'dumpcap'
      ? ['dumpcap', '-i', CLIENT_IF, '-f', filter, '-w', file, '-q']
      : ['tcpdump', '-i', how === 'tcpdump-any' ? 'any' : CLIENT_IF, '-n', '-U', '--immediate-mode', '-w', file, filter];
  const child = spawn('ip', ['netns', 'exec', ns, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const deadline = Date.now() + 8000;
  while (!/listening on|Capturing on/.test(log) && Date.now() < deadline && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!/listening on|Capturing on/.test(log)) throw new Error(`${args[0]} did not start: ${log}`);
  // dumpcap says "Capturing on" slightly before the filter is live.
  await new Promise((r) => setTimeout(r, 300));
  return async () => {
    await new Promise((r) => setTimeout(r, 200));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.pid !== undefined) process.kill(child.pid, 'SIGINT');
    await exited;
  };
}

const enabled = process.env.RECORD_DHCP_CAPTURES === '1';
const unavailable = enabled ? await namespaceUnavailableReason() : 'set RECORD_DHCP_CAPTURES=1 to record';

describe.skipIf(unavailable !== undefined)(`record real-server DHCP captures${unavailable ? ` (${unavailable})` : ''}`, () => {
  let runDir = '';
  let link: Topology | undefined;

  beforeAll(async () => {
    mkdirSync(OUT_DIR, { recursive: true });
    runDir = await makeRunDir('record');
    link = await createLink(uniqueSuffix());
  });

  afterAll(async () => {
    const problems = link ? await link.down() : [];
    await removeRunDir(runDir);
    expect(problems).toEqual([]);
  });

  for (const recording of RECORDINGS) {
    it(recording.file, async () => {
      if (!link) throw new Error('no namespace link');
      const configFile = join(runDir, `${recording.file}.conf`);
      await writeFile(configFile, await generatedConfig(recording));
      const server = await startServer(recording.kind, link.servers[0]?.ns ?? '', configFile, runDir, SERVER_IF);
      const target = join(runDir, recording.file);
      try {
        const stop = await startRecorder(link.clientNs, recording.capture, target);
        const inform = await runInNs(link.clientNs, process.execPath, [
          CLI_ENTRY,
          'dhcp',
          'inform',
          '--interface',
          CLIENT_IF,
          '--dhcp-timeout',
          '3',
          '--listen-ms',
          '300',
          '--dhcp-tries',
          '1',
          ...(recording.informArgs ?? []),
        ]);
        await stop();
        const bytes = await readFile(target);
        expect(bytes.length, `${recording.file}: empty capture\n${inform.stdout}\n${inform.stderr}\n${server.log()}`).toBeGreaterThan(100);
        await writeFile(join(OUT_DIR, recording.file), bytes);
        if (process.env.RECORD_LOG_DIR) await writeFile(join(process.env.RECORD_LOG_DIR, `${recording.file}.server.log`), server.log());
      } finally {
        await server.stop();
      }
    });
  }
});
