import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, test, vi } from 'vitest';
import { registerDhcpDecode } from '../../src/cli/dhcp-decode.js';
import { registerDhcpEncode } from '../../src/cli/dhcp-encode.js';
import { UsageError } from '../../src/errors.js';
import { writePcap } from '../../src/dhcp/pcap.js';
import { SCHERTZ_URL, VECTORS, dnsmasqLikeAck, keaLikeAck } from './helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'bt-h1-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

async function run(...args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const program = new Command().exitOverride();
  const dhcp = program.command('dhcp');
  registerDhcpEncode(dhcp);
  registerDhcpDecode(dhcp);
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  process.exitCode = undefined;
  await program.parseAsync(['dhcp', ...args], { from: 'user' });
  const exitCode = Number(process.exitCode ?? 0);
  vi.restoreAllMocks();
  return { stdout, stderr, exitCode };
}

const schertz = JSON.parse(readFileSync(new URL('dhcputil-schertz.json', VECTORS), 'utf8'));

describe('dhcp encode', () => {
  test('default output carries the DHCPConfigScript line exactly', async () => {
    const { stdout, exitCode } = await run('encode', '--sip-server', 'lync.schertz.local');
    expect(exitCode).toBe(0);
    expect(stdout.split('\n')).toContain(schertz.expected.dhcpConfigScript.printedLine);
  });

  test('--format dnsmasq with subnet and interface', async () => {
    const { stdout } = await run('encode', '--sip-server', 'lync.schertz.local', '--format', 'dnsmasq', '--subnet', '10.99.0.0/24', '--interface', 'veth-bt-srv');
    expect(stdout).toContain('interface=veth-bt-srv\n');
    expect(stdout).toContain('dhcp-range=10.99.0.0,static,255.255.255.0\n');
  });

  test('bad inputs: UsageError naming the option', async () => {
    await expect(run('encode')).rejects.toThrow(UsageError);
    await expect(run('encode', '--sip-server', 'a_b.local')).rejects.toThrow(/^--sip-server: /);
    await expect(run('encode', '--sip-server', 'a.b', '--port', '70000')).rejects.toThrow(/^--port: "70000" is not in 1..65535$/);
    await expect(run('encode', '--sip-server', 'a.b', '--format', 'cisco')).rejects.toThrow(/^--format: "cisco" is not one of/);
  });

  test('warnings go to stderr', async () => {
    const { stderr } = await run('encode', '--sip-server', 'lync.schertz.local', '--format', 'kea');
    expect(stderr).toContain('warning: --subnet not given');
  });
});

describe('dhcp decode', () => {
  const ackHex = readFileSync(new URL('ack-kea.hex', VECTORS), 'utf8').trim();

  test('a whole packet from hex: header, options with offsets, sub-options, URL, exit 0', async () => {
    const { stdout, exitCode } = await run('decode', ackHex);
    expect(exitCode).toBe(0);
    expect(stdout).toContain('DHCP message, 369 bytes, DHCPACK');
    expect(stdout).toContain('xid 0xabeb5f94');
    expect(stdout).toMatch(/\s+330\s+54\s+server identifier\s+4\s+10\.99\.0\.1/);
    expect(stdout).toMatch(/sub-option\s+3 WebServerFqdn/);
    expect(stdout).toContain('SIP servers: lync.schertz.local');
    expect(stdout).toContain(`Certificate Provisioning Service URL: ${SCHERTZ_URL}`);
    expect(stdout).toContain('Problems: none');
  });

  test('--json gives the vector shape', async () => {
    const { stdout } = await run('decode', '--json', ackHex);
    const json = JSON.parse(stdout);
    expect(json.kind).toBe('packet');
    expect(json.decoded.certProvisioningUrl).toBe(SCHERTZ_URL);
    expect(json.options.map((o: { offset: number }) => o.offset)).toEqual([240, 243, 330, 336, 345]);
  });

  test('an option 43 value is guessed and says so; an option 120 value too', async () => {
    const op43 = await run('decode', schertz.expected.option43.hex);
    expect(op43.stdout).toContain('guessed: an option 43 value');
    expect(op43.stdout).toContain(SCHERTZ_URL);
    const op120 = await run('decode', '78', '15', schertz.expected.option120.hex);
    expect(op120.stdout).toContain('guessed: option 120 with its code and length bytes');
    expect(op120.stdout).toContain('SIP servers: lync.schertz.local');
  });

  test('--option 43 with damage: problems with offsets, exit 1', async () => {
    const { stdout, exitCode } = await run('decode', '--option', '43', '01 0c 4d 53 2d 55 43 2d 43 6c 69 65 6e 74 04 02 01 bb');
    expect(exitCode).toBe(1);
    expect(stdout).toContain('port is binary, not text');
    expect(stdout).toMatch(/error\s+\[option 43\.4, value offset 14\]/);
  });

  test('a pcap file with --file: every DHCP datagram decoded', async () => {
    const file = join(scratch, 'acks.pcap');
    writeFileSync(file, writePcap([
      { source: '10.99.0.1', sourcePort: 67, destination: '10.99.0.2', destinationPort: 68, payload: keaLikeAck() },
      { source: '10.99.0.3', sourcePort: 67, destination: '10.99.0.2', destinationPort: 68, payload: dnsmasqLikeAck() },
    ]));
    const { stdout, exitCode } = await run('decode', '--file', file);
    expect(exitCode).toBe(0);
    expect(stdout).toContain('Capture: pcap, 2 frame(s), 2 DHCP datagram(s)');
    expect(stdout).toContain('10.99.0.3:67 -> 10.99.0.2:68');
    expect(stdout.split(SCHERTZ_URL).length - 1).toBe(2);
  });

  test('a hex text file and a Wireshark frame dump are accepted', async () => {
    const file = join(scratch, 'ack.txt');
    writeFileSync(file, ackHex.replace(/(..)/g, '$1 ').replace(/((?:.. ){16})/g, '$1\n'));
    expect((await run('decode', '--file', file)).stdout).toContain('DHCPACK');
  });

  test('unusable input: UsageError (exit 2), one line', async () => {
    await expect(run('decode', 'zz')).rejects.toThrow(/^the hex argument: not hex: "z" at character 1$/);
    await expect(run('decode', '01 02 03')).rejects.toThrow(/too short for a DHCP message/);
    await expect(run('decode')).rejects.toThrow(UsageError);
    await expect(run('decode', '--file', join(scratch, 'missing'))).rejects.toThrow(/cannot read .* \(ENOENT\)/);
    await expect(run('decode', '--option', '44', '00')).rejects.toThrow(/^--option: "44" is not 43, 119 or 120$/);
  });

  test('a file that is neither hex, a DHCP message nor a capture: UsageError (exit 2), one line, no guessed dump', async () => {
    const png = join(scratch, 'image.png');
    writeFileSync(png, Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(4000, 0x41)]));
    await expect(run('decode', '--file', png)).rejects.toThrow(/^4016 bytes of a PNG image: not a DHCP message .* it starts 89 50 4e 47 0d 0a 1a 0a$/);
    const elf = join(scratch, 'program');
    writeFileSync(elf, readFileSync(process.execPath).subarray(0, 300_000));
    await expect(run('decode', '--file', elf)).rejects.toThrow(/^300000 bytes of an ELF executable: not a DHCP message/);
    const empty = join(scratch, 'empty');
    writeFileSync(empty, '');
    await expect(run('decode', '--file', empty)).rejects.toThrow(/^--file: ".*empty" is empty$/);
  });
});
