// The default command's option checks: each bad value is one line naming the flag and the value.

import { describe, expect, it } from 'vitest';
import { bootstrapSettingsFromOptions, type BootstrapCliOptions } from '../../src/cli/bootstrap.js';
import { UsageError } from '../../src/errors.js';

const base: BootstrapCliOptions = {
  ext: '7501',
  registrarPort: '5061',
  caFile: [],
  resolve: [],
  timeout: '60',
  csrHash: 'sha1',
  maxResponseBytes: '4194304',
  color: true,
  clientPort: '68',
  vendorClass: 'MS-UC-Client',
  hostName: 'bootstrap-test',
  dhcpTimeout: '6',
  dhcpTries: '4',
  listenMs: '1000',
};

function settings(overrides: Partial<BootstrapCliOptions>) {
  return bootstrapSettingsFromOptions({ ...base, ...overrides });
}

describe('bootstrapSettingsFromOptions', () => {
  it('accepts the cmdlet-style command line', () => {
    const result = settings({
      targetUri: 'https://pool.example.com/CertProv/CertProvisioningService.svc',
      targetFqdn: 'Pool.Example.com.',
      userSipAddress: 'sip:jeff@example.com',
      resolve: ['pool.example.com=127.0.0.1', 'pool.example.com:80=127.0.0.1:8080'],
      timeout: '2.5s',
      dhcpServer: '127.0.0.1:6767',
      clientPort: '0',
    });
    expect(result).toMatchObject({
      phoneOrExt: '7501',
      targetFqdn: 'pool.example.com',
      registrarPort: 5061,
      timeoutMs: 2500,
      dhcp: { server: { address: '127.0.0.1', port: 6767 }, clientPort: 0 },
    });
    expect(result.resolve).toHaveLength(2);
  });

  it('takes --phone-or-ext as the same thing as --ext', () => {
    expect(settings({ ext: undefined, phoneOrExt: '+13125557501' }).phoneOrExt).toBe('+13125557501');
    expect(() => settings({ ext: '7501', phoneOrExt: '7502' })).toThrow(/disagree/);
  });

  const bad: Array<[string, Partial<BootstrapCliOptions>, RegExp]> = [
    ['missing extension', { ext: undefined }, /--ext \(or --phone-or-ext\) is required/],
    ['letters in the extension', { ext: '75O1' }, /--ext: "75O1" is not a phone number/],
    ['SIP address without sip:', { userSipAddress: 'jeff@example.com' }, /--user-sip-address: "jeff@example.com" must start with sip:/],
    ['target URI that is not a URL', { targetUri: 'pool.example.com' }, /--target-uri: "pool.example.com" is not a URL/],
    ['target URI with another scheme', { targetUri: 'ftp://pool.example.com/x' }, /must be an https:\/\/ URL/],
    ['internationalised target FQDN', { targetFqdn: 'pöol.example.com' }, /--target-fqdn: "pöol.example.com" is an internationalised name; give its ASCII form "xn--pol-sna.example.com"/],
    ['target FQDN with a bad label', { targetFqdn: 'pool_01.example.com' }, /--target-fqdn: "pool_01.example.com" is not a valid host name: label "pool_01" has characters other than letters, digits and hyphen/],
    ['registrar port out of range', { registrarPort: '70000' }, /--registrar-port: "70000" is not in 1..65535/],
    ['timeout that is not a duration', { timeout: 'soon' }, /--timeout: "soon" is not a duration/],
    ['resolve rule without an address', { resolve: ['pool.example.com'] }, /--resolve "pool.example.com": expected HOST\[:PORT\]=ADDRESS\[:PORT\]/],
    ['DHCP server that is not an address', { dhcpServer: 'dhcp.example.com' }, /--dhcp-server: "dhcp.example.com"/],
  ];
  for (const [what, overrides, message] of bad) {
    it(`rejects a ${what} with one line naming it`, () => {
      let error: unknown;
      try {
        settings(overrides);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('\n');
    });
  }
});
