// `bootstrap-test dhcp encode`: DHCPUtil -SipServer re-created, plus configuration for other servers.
// The engine lives in src/dhcp/server-config.ts and is loaded only when the command runs.

import type { Command } from 'commander';
import { UsageError } from '../errors.js';

interface EncodeCliOptions {
  sipServer?: string;
  webServer?: string;
  port?: string;
  path?: string;
  vendorClass?: string;
  format: string;
  subnet?: string;
  interface?: string;
  range?: string;
  fragment?: boolean;
  scriptPath?: string;
}

const FORMATS = 'dhcputil, netsh, powershell, kea, dhcpd, dnsmasq, ios, json';

export function registerDhcpEncode(dhcp: Command): void {
  dhcp
    .command('encode')
    .description('print options 120 and 43 for a pool as DHCPUtil -SipServer does, or ready-to-use DHCP server configuration')
    .option('--sip-server <fqdn>', 'the pool FQDN phones register to (option 120); required')
    .option('--web-server <fqdn>', 'certificate-provisioning web server (sub-option 3); default: the SIP server')
    .option('--port <port>', 'web server port (sub-option 4)', '443')
    .option('--path <path>', 'certificate-provisioning path (sub-option 5)', '/CertProv/CertProvisioningService.svc')
    .option('--vendor-class <text>', 'vendor class (option 60) the server matches, exact case', 'MS-UC-Client')
    .option('--format <format>', `output: ${FORMATS}`, 'dhcputil')
    .option('--subnet <cidr>', 'kea/dhcpd/dnsmasq/ios: the phones\' subnet, e.g. 10.20.0.0/24 (default: 192.0.2.0/24 placeholder)')
    .option('--interface <name>', 'kea/dnsmasq: interface the server listens on (default: all)')
    .option('--range <first-last>', 'kea/dhcpd/dnsmasq: also hand out addresses from this pool (an INFORM needs none)')
    .option('--fragment', 'kea: print only the option-def, client-classes and option-data to merge into an existing Dhcp4')
    .option('--script-path <path>', 'dhcputil: path of DHCPConfigScript.bat in the printed command line')
    .addHelpText(
      'after',
      `
Errors in the inputs exit with status 2 and one line naming the option; warnings go to stderr.

Examples:
  bootstrap-test dhcp encode --sip-server lync.schertz.local
  bootstrap-test dhcp encode --sip-server pool01.contoso.com --web-server web.contoso.com --format netsh
  bootstrap-test dhcp encode --sip-server pool01.contoso.com --format kea --subnet 10.20.0.0/24 --interface eth1
  bootstrap-test dhcp encode --sip-server pool01.contoso.com --format dnsmasq --subnet 10.20.0.0/24`,
    )
    .action(async (options: EncodeCliOptions) => {
      if (options.sipServer === undefined) {
        throw new UsageError('--sip-server is required: the FQDN of the pool phones register to, e.g. --sip-server pool01.contoso.com');
      }
      const { renderServerConfig, DhcpConfigError, CONFIG_FORMATS } = await import('../dhcp/server-config.js');
      const format = options.format.toLowerCase();
      if (!(CONFIG_FORMATS as readonly string[]).includes(format)) {
        throw new UsageError(`--format: "${options.format}" is not one of ${FORMATS}`);
      }
      if (options.fragment && format !== 'kea') throw new UsageError('--fragment applies only to --format kea');
      try {
        const rendered = renderServerConfig(format as (typeof CONFIG_FORMATS)[number], {
          sipServer: options.sipServer,
          ...(options.webServer !== undefined ? { webServer: options.webServer } : {}),
          ...(options.port !== undefined ? { port: options.port } : {}),
          ...(options.path !== undefined ? { path: options.path } : {}),
          ...(options.vendorClass !== undefined ? { vendorClass: options.vendorClass } : {}),
          ...(options.subnet !== undefined ? { subnet: options.subnet } : {}),
          ...(options.interface !== undefined ? { interfaceName: options.interface } : {}),
          ...(options.range !== undefined ? { range: options.range } : {}),
          ...(options.scriptPath !== undefined ? { scriptPath: options.scriptPath } : {}),
          ...(options.fragment ? { fragment: true } : {}),
        });
        for (const warning of rendered.warnings) process.stderr.write(`warning: ${warning}\n`);
        process.stdout.write(rendered.text);
      } catch (error) {
        if (error instanceof DhcpConfigError) throw new UsageError(error.message);
        throw error;
      }
    });
}
