import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { DhcpConfigError, encodeDhcpValues, parseSubnet, renderServerConfig } from '../../src/dhcp/server-config.js';

const site = { sipServer: 'lync.schertz.local', subnet: '10.99.0.0/24', interfaceName: 'veth-bt-srv' };

describe('input validation (dhcp.md e.4): one line naming the option and the value', () => {
  const rejects = (input: Record<string, unknown>, pattern: RegExp) => {
    expect(() => encodeDhcpValues({ sipServer: 'lync.schertz.local', ...input })).toThrow(DhcpConfigError);
    expect(() => encodeDhcpValues({ sipServer: 'lync.schertz.local', ...input })).toThrow(pattern);
  };
  test('FQDN syntax, label length, name length, IP-looking names', () => {
    rejects({ sipServer: 'lync..schertz.local' }, /^--sip-server: .*empty label/);
    rejects({ sipServer: 'lync_pool.schertz.local' }, /^--sip-server: "lync_pool.schertz.local" is not a valid host name/);
    rejects({ webServer: '-web.schertz.local' }, /^--web-server: .*hyphen/);
    rejects({ sipServer: `${'a'.repeat(64)}.local` }, /^--sip-server: label .* 64 characters; at most 63/);
    rejects({ sipServer: Array.from({ length: 5 }, () => 'a'.repeat(60)).join('.') }, /^--sip-server: .* 304 characters; a host name has at most 253/);
    rejects({ sipServer: '10.0.0.5' }, /looks like an IP address/);
    rejects({ sipServer: '' }, /^--sip-server: empty name/);
    const idn = encodeDhcpValues({ sipServer: 'pöol.exämple.com' });
    expect(idn.sipServer).toBe('xn--pol-sna.xn--exmple-cua.com');
    expect(idn.warnings).toContain('--sip-server: "pöol.exämple.com" is used in its ASCII form "xn--pol-sna.xn--exmple-cua.com"');
    expect(encodeDhcpValues({ sipServer: 'lync.schertz.local.' }).sipServer).toBe('lync.schertz.local');
    expect(encodeDhcpValues({ sipServer: Array.from({ length: 4 }, () => 'a'.repeat(62)).join('.') + '.a' }).sipServer.length).toBe(253);
  });
  test('port range, path, vendor class', () => {
    rejects({ port: '70000' }, /^--port: "70000" is not in 1..65535$/);
    rejects({ port: 0 }, /^--port: "0" is not in 1..65535$/);
    rejects({ port: '44a' }, /^--port: "44a" is not a port number$/);
    rejects({ path: 'CertProv/x.svc' }, /^--path: "CertProv\/x.svc" must start with "\/"$/);
    rejects({ path: '/with space' }, /^--path: /);
    rejects({ vendorClass: 'MS UC' }, /^--vendor-class: /);
    expect(encodeDhcpValues({ sipServer: 'a.b', port: '8443' }).certProvisioningUrl).toBe('https://a.b:8443/CertProv/CertProvisioningService.svc');
  });
  test('subnet and range', () => {
    expect(parseSubnet('10.99.0.0/24')).toEqual({ network: '10.99.0.0', prefix: 24, netmask: '255.255.255.0' });
    expect(() => parseSubnet('10.99.0.5/24')).toThrow(/host bits set; the network is 10.99.0.0\/24/);
    expect(() => renderServerConfig('kea', { ...site, range: '10.98.0.1-10.98.0.9' })).toThrow(/^--range: .* not inside 10.99.0.0\/24/);
  });
  test('warns when option 43 exceeds 255 bytes, and about the IOS 180-digit limit', () => {
    const long = encodeDhcpValues({ sipServer: 'a.b', path: '/' + 'p'.repeat(250) });
    expect(long.option43.length).toBeGreaterThan(255);
    expect(long.warnings[0]).toMatch(/option 43 is \d+ bytes, over the 255/);
    const ios = renderServerConfig('ios', { ...site, webServer: 'a-rather-long-web-server-name.schertz.local' });
    expect(ios.warnings.some((w) => w.includes('Cisco IOS keeps only 180'))).toBe(true);
    expect(ios.text).toContain(' option ext 43 hex ');
    expect(renderServerConfig('ios', site).text).toContain(' option 43 hex 010C4D53');
  });
  test('no subnet for a server format: placeholder with a warning', () => {
    const rendered = renderServerConfig('dnsmasq', { sipServer: 'lync.schertz.local' });
    expect(rendered.text).toContain('dhcp-range=192.0.2.0,static,255.255.255.0');
    expect(rendered.warnings[0]).toContain('--subnet not given');
  });
});

describe('generated configurations', () => {
  test('netsh: the corrected DHCPConfigScript steps with our values', () => {
    const text = renderServerConfig('netsh', site).text;
    const lines = text.trim().split('\r\n').filter((l) => l.startsWith('netsh'));
    // 17 steps of the script; step 4 (the Cleanup exit) is not a netsh command.
    expect(lines).toHaveLength(16);
    expect(lines).toContain('netsh dhcp server set optionvalue 120 Binary 00046C796E63077363686572747A056C6F63616C00');
    expect(lines).toContain('netsh dhcp server add class MSUCClient "UC Vendor Class Id" "MS-UC-Client" 1');
    expect(lines).toContain('netsh dhcp server add optiondef 1 UCIdentifier Binary 0 Vendor=MSUCClient comment="UC Identifier"');
    expect(lines).toContain('netsh dhcp server set optionvalue 4 Binary vendor=MSUCClient 343433');
    expect(lines.at(-1)).toBe('netsh dhcp server set optionvalue 5 Binary vendor=MSUCClient 2F4365727450726F762F4365727450726F766973696F6E696E67536572766963652E737663');
    expect(text).not.toMatch(/if nt/);
  });

  test('powershell: cmdlets from e.3 with the values', () => {
    const text = renderServerConfig('powershell', site).text;
    expect(text).toContain('Add-DhcpServerv4Class -Name MSUCClient -Type Vendor -Data "MS-UC-Client"');
    expect(text).toContain('Set-DhcpServerv4OptionValue -OptionId 120 -Value 0x00,0x04,0x6C');
    expect(text).toContain('Set-DhcpServerv4OptionValue -VendorClass MSUCClient -OptionId 4 -Value 0x34,0x34,0x33');
  });

  test('kea: complete Dhcp4 with the same structure facts as the reference kea-dhcp4.json', () => {
    const config = JSON.parse(renderServerConfig('kea', site).text).Dhcp4;
    expect(config['interfaces-config']).toEqual({ interfaces: ['veth-bt-srv'], 'dhcp-socket-type': 'raw' });
    expect(config['option-def']).toContainEqual({ space: 'dhcp4', name: 'sip-server', code: 120, type: 'binary' });
    const cls = config['client-classes'][0];
    expect(cls.test).toBe("option[vendor-class-identifier].text == 'MS-UC-Client'");
    expect(cls['option-def'][0]).toMatchObject({ code: 43, type: 'empty', encapsulate: 'MSUC' });
    expect(cls['option-data'].at(-1).name).toBe('vendor-encapsulated-options');
    expect(cls['option-data'][3]).toEqual({ space: 'MSUC', name: 'WebServerPort', data: '443' });
    expect(config.subnet4[0]).toMatchObject({ id: 1, subnet: '10.99.0.0/24' });
    expect(config.subnet4[0]['option-data'][0]).toMatchObject({ name: 'sip-server', 'csv-format': false, data: '00046C796E63077363686572747A056C6F63616C00' });
    const fragment = JSON.parse(renderServerConfig('kea', { ...site, fragment: true }).text);
    expect(Object.keys(fragment)).toEqual(['option-def', 'client-classes', 'option-data']);
  });

  test('kea: a value with a comma or backslash goes as hex', () => {
    const cls = JSON.parse(renderServerConfig('kea', { ...site, path: '/a,b' }).text).Dhcp4['client-classes'][0];
    expect(cls['option-data'][4]).toEqual({ space: 'MSUC', name: 'CertProvRelPath', 'csv-format': false, data: '2F612C62' });
  });

  test('dhcpd: authoritative, option space, class, subnet; C-style escapes', () => {
    const text = renderServerConfig('dhcpd', { ...site, path: '/a"b\\c' }).text;
    expect(text).toMatch(/^authoritative;$/m);
    expect(text).toContain('option space MSUC code width 1 length width 1;');
    expect(text).toContain('match if option vendor-class-identifier = "MS-UC-Client";');
    expect(text).toContain('option MSUC.CertProvRelPath "/a\\"b\\\\c";');
    expect(text).toContain('subnet 10.99.0.0 netmask 255.255.255.0 {');
    expect(text).toContain('option sip-server 00:04:6c:79:6e:63:07:73:63:68:65:72:74:7a:05:6c:6f:63:61:6c:00;');
  });

  test('dnsmasq: port=0, interface + bind-interfaces, static range, quoted values with escapes', () => {
    const text = renderServerConfig('dnsmasq', { ...site, path: '/a"b' }).text;
    for (const line of ['port=0', 'interface=veth-bt-srv', 'bind-interfaces', 'dhcp-range=10.99.0.0,static,255.255.255.0', 'dhcp-option=120,lync.schertz.local', 'dhcp-option=vendor:MS-UC-Client,4,"443"', 'dhcp-option=vendor:MS-UC-Client,5,"/a\\"b"']) {
      expect(text.split('\n')).toContain(line);
    }
  });
});

// The real servers' own syntax checks, when they are installed (CI installs them; H2's integration
// tests start them with this output).
const scratch = mkdtempSync(join(tmpdir(), 'bt-h1-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const checkInput = { sipServer: 'lync.schertz.local', subnet: '10.99.0.0/24', interfaceName: 'lo', path: '/Cert,Prov/"quoted"\\x.svc' };
describe('configurations pass the servers\' own checks', () => {
  test.skipIf(!existsSync('/usr/sbin/kea-dhcp4'))('kea-dhcp4 -t', () => {
    const file = join(scratch, 'kea.json');
    writeFileSync(file, renderServerConfig('kea', checkInput).text);
    execFileSync('/usr/sbin/kea-dhcp4', ['-t', file], { env: { ...process.env, KEA_PIDFILE_DIR: scratch, KEA_LOCKFILE_DIR: scratch }, stdio: 'pipe' });
  });
  test.skipIf(!existsSync('/usr/sbin/dhcpd'))('dhcpd -t', () => {
    const file = join(scratch, 'dhcpd.conf');
    writeFileSync(file, renderServerConfig('dhcpd', checkInput).text);
    execFileSync('/usr/sbin/dhcpd', ['-t', '-4', '-cf', file], { stdio: 'pipe' });
  });
  test.skipIf(!existsSync('/usr/sbin/dnsmasq'))('dnsmasq --test', () => {
    const file = join(scratch, 'dnsmasq.conf');
    writeFileSync(file, renderServerConfig('dnsmasq', checkInput).text);
    const checked = spawnSync('/usr/sbin/dnsmasq', ['--test', `--conf-file=${file}`], { encoding: 'utf8' });
    expect(checked.status, checked.stderr).toBe(0);
    expect(checked.stderr).toMatch(/syntax check OK/);
  });
});
