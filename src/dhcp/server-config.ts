// The `dhcp encode` engine: turn an administrator's SIP server, web server, port and path into the
// option 120 / option 43 bytes (DHCPUtil's rules, dhcp.md g.1) and into configuration for Windows
// (netsh, PowerShell), Kea, ISC dhcpd, dnsmasq and Cisco IOS. Pure: strings in, strings out.

import { checkHostName, HostNameError } from '../net/hostname.js';
import { ipv4ToNumber, numberToIpv4 } from '../net/ipv4.js';
import { toUpperHex } from './hex.js';
import { MSUC_DEFAULT_PATH, MSUC_DEFAULT_PORT, MSUC_DEFAULT_SCHEME, MSUC_SUBOPTION_INFO, MSUC_VENDOR_CLASS, encodeSubOptions, msUcSubOptions } from './msuc.js';
import { encodeSipServers } from './option120.js';
import { BootstrapTestError } from '../errors.js';

export const CONFIG_FORMATS = ['dhcputil', 'netsh', 'powershell', 'kea', 'dhcpd', 'dnsmasq', 'ios', 'json'] as const;
export type ConfigFormat = (typeof CONFIG_FORMATS)[number];

/** Used when no subnet is given: TEST-NET-1 (RFC 5737), which no real network uses, so it is obviously a placeholder. */
export const PLACEHOLDER_SUBNET = '192.0.2.0/24';
export const DEFAULT_SCRIPT_PATH = 'C:\\Program Files\\Common Files\\Skype for Business Server 2015\\DHCPConfigScript.bat';
/** The longest `option 43 hex` string Cisco IOS keeps (dhcp.md d, unverified on hardware). */
export const IOS_HEX_DIGIT_LIMIT = 180;

/** A bad input: one line naming the input (as its CLI flag) and the value. */
export class DhcpConfigError extends BootstrapTestError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super('BT_DHCP_CONFIG', message);
  }
}

export interface DhcpEncodeInput {
  sipServer: string;
  /** Default: the SIP server. */
  webServer?: string;
  /** Default 443. */
  port?: number | string;
  /** Default /CertProv/CertProvisioningService.svc. */
  path?: string;
  /** Default MS-UC-Client. */
  vendorClass?: string;
}

export interface ServerConfigInput extends DhcpEncodeInput {
  /** The phones' subnet as CIDR, e.g. 10.99.0.0/24. Default: PLACEHOLDER_SUBNET, with a warning. */
  subnet?: string;
  /** Interface the server listens on (Kea, dnsmasq; named on dhcpd's command line). */
  interfaceName?: string;
  /** Optional dynamic pool "FIRST-LAST" inside the subnet; INFORM needs none. */
  range?: string;
  /** Folder and name of DHCPConfigScript.bat in the printed command line. */
  scriptPath?: string;
  /** Kea only: print just the parts to merge into an existing Dhcp4 configuration. */
  fragment?: boolean;
}

export interface EncodedSubOptionInfo {
  code: number;
  name: string;
  /** DHCPUtil's label, e.g. "UC Identifier". */
  label: string;
  text: string;
  data: Uint8Array;
  hex: string;
  tlvHex: string;
}

export interface DhcpEncoding {
  sipServer: string;
  webServer: string;
  port: number;
  path: string;
  vendorClass: string;
  urlScheme: string;
  certProvisioningUrl: string;
  option120: Uint8Array;
  option120Hex: string;
  option43: Uint8Array;
  option43Hex: string;
  /** DHCPUtil's "Length": hex digits, not bytes. */
  option43HexLength: number;
  subOptions: EncodedSubOptionInfo[];
  /** `Configure <vendor class> <120> <1> .. <5>`: the arguments of DHCPConfigScript.bat. */
  configScriptArgs: string[];
  warnings: string[];
}

const FLAGS: Record<string, string> = {
  sipServer: '--sip-server',
  webServer: '--web-server',
  port: '--port',
  path: '--path',
  vendorClass: '--vendor-class',
  subnet: '--subnet',
  interfaceName: '--interface',
  range: '--range',
};

function fail(field: string, message: string): never {
  throw new DhcpConfigError(field, `${FLAGS[field] ?? field}: ${message}`);
}

/**
 * Validate a host name for option 120 / sub-option 3 (dhcp.md e.4) with the shared host-name rules;
 * a single label is allowed (DHCPUtil takes one). An internationalised name is written in its ASCII
 * form, with a note in `notes`. Returns the name without a trailing dot.
 */
export function checkFqdn(field: string, value: string, notes: string[] = []): string {
  try {
    const checked = checkHostName(value, { requireDomain: false, internationalised: 'convert' });
    if (checked.note) notes.push(`${FLAGS[field] ?? field}: ${checked.note}`);
    return checked.name;
  } catch (error) {
    if (error instanceof HostNameError) fail(field, error.message);
    throw error;
  }
}

function checkPort(value: number | string | undefined): number {
  if (value === undefined) return MSUC_DEFAULT_PORT;
  const text = String(value).trim();
  if (!/^[0-9]+$/.test(text)) fail('port', `"${value}" is not a port number`);
  const port = Number(text);
  if (port < 1 || port > 65535) fail('port', `"${value}" is not in 1..65535`);
  return port;
}

function checkPath(value: string | undefined): string {
  if (value === undefined) return MSUC_DEFAULT_PATH;
  if (!value.startsWith('/')) fail('path', `"${value}" must start with "/"`);
  if (!/^[\x21-\x7e]+$/.test(value)) fail('path', `"${value}" may contain only printable ASCII without spaces (it becomes part of a URL)`);
  if (value.length > 255) fail('path', `is ${value.length} characters; a sub-option holds at most 255`);
  return value;
}

function checkVendorClass(value: string | undefined): string {
  if (value === undefined) return MSUC_VENDOR_CLASS;
  // Quotes, backslashes, commas and spaces would need different escaping in every target and no
  // phone sends them; refuse them rather than risk a class that matches nothing.
  if (!/^[\x21-\x7e]+$/.test(value) || /["'\\,]/.test(value)) {
    fail('vendorClass', `"${value}" must be printable ASCII without spaces, quotes, backslashes or commas`);
  }
  if (value.length > 255) fail('vendorClass', `is ${value.length} characters; at most 255`);
  return value;
}

/** Compute every value DHCPUtil prints. Throws DhcpConfigError for a bad input. */
export function encodeDhcpValues(input: DhcpEncodeInput): DhcpEncoding {
  const warnings: string[] = [];
  const sipServer = checkFqdn('sipServer', input.sipServer ?? '', warnings);
  const webServer = input.webServer === undefined ? sipServer : checkFqdn('webServer', input.webServer, warnings);
  const port = checkPort(input.port);
  const path = checkPath(input.path);
  const vendorClass = checkVendorClass(input.vendorClass);
  const urlScheme = MSUC_DEFAULT_SCHEME;

  const option120 = encodeSipServers({ names: [sipServer] }, { compress: false });
  // Sub-option 1 is the UC identifier, which DHCPUtil always writes as MS-UC-Client.
  const list = msUcSubOptions({ webServerFqdn: webServer, webServerPort: port, certProvRelPath: path, urlScheme });
  const option43 = encodeSubOptions(list);
  if (option43.length > 255) {
    warnings.push(
      `option 43 is ${option43.length} bytes, over the 255 of one option: dnsmasq splits it (RFC 3396) and Windows uses option 250, other servers were not tried; shorten the web server name or path`,
    );
  }
  const subOptions = list.map((sub) => {
    const info = MSUC_SUBOPTION_INFO[sub.code] ?? { name: `sub-option ${sub.code}`, label: `sub-option ${sub.code}` };
    const tlv = encodeSubOptions([sub]);
    return { code: sub.code, name: info.name, label: info.label, text: String.fromCharCode(...sub.data), data: sub.data, hex: toUpperHex(sub.data), tlvHex: toUpperHex(tlv) };
  });
  const option120Hex = toUpperHex(option120);
  const option43Hex = toUpperHex(option43);
  return {
    sipServer,
    webServer,
    port,
    path,
    vendorClass,
    urlScheme,
    certProvisioningUrl: `${urlScheme}://${webServer}:${port}${path}`,
    option120,
    option120Hex,
    option43,
    option43Hex,
    option43HexLength: option43Hex.length,
    subOptions,
    configScriptArgs: ['Configure', vendorClass, option120Hex, ...subOptions.map((sub) => sub.hex)],
    warnings,
  };
}

export interface Subnet {
  network: string;
  prefix: number;
  netmask: string;
}

export function parseSubnet(text: string): Subnet {
  const match = /^([0-9.]+)\/([0-9]{1,2})$/.exec(text.trim());
  const address = match ? ipv4ToNumber(match[1] as string) : undefined;
  const prefix = match ? Number(match[2]) : NaN;
  if (address === undefined || !(prefix >= 1 && prefix <= 32)) fail('subnet', `"${text}" is not an IPv4 subnet like 10.99.0.0/24`);
  const size = 2 ** (32 - prefix);
  const network = address - (address % size);
  if (network !== address) fail('subnet', `"${text}" has host bits set; the network is ${numberToIpv4(network)}/${prefix}`);
  return { network: numberToIpv4(network), prefix, netmask: numberToIpv4(2 ** 32 - size) };
}

function parseRange(text: string, subnet: Subnet): { first: string; last: string } {
  const [firstText, lastText, extra] = text.split('-').map((part) => part.trim());
  const first = firstText ? ipv4ToNumber(firstText) : undefined;
  const last = lastText ? ipv4ToNumber(lastText) : undefined;
  if (first === undefined || last === undefined || extra !== undefined || last < first) fail('range', `"${text}" is not a range like 10.99.0.100-10.99.0.199`);
  const network = ipv4ToNumber(subnet.network) as number;
  const size = 2 ** (32 - subnet.prefix);
  if (first < network || last >= network + size) fail('range', `"${text}" is not inside ${subnet.network}/${subnet.prefix}`);
  return { first: numberToIpv4(first), last: numberToIpv4(last) };
}

function checkInterface(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(value)) fail('interfaceName', `"${value}" is not an interface name`);
  return value;
}

export interface RenderedConfig {
  format: ConfigFormat;
  text: string;
  encoding: DhcpEncoding;
  warnings: string[];
}

interface RenderContext {
  encoding: DhcpEncoding;
  site: SiteSettings;
  input: ServerConfigInput;
  /** A format adds what the administrator must know about its own limits here. */
  warnings: string[];
}

interface ConfigFormatEntry {
  /** The configuration declares a subnet (the server answers an INFORM only from one it serves). */
  needsSubnet: boolean;
  render(context: RenderContext): string;
}

/** Every output format: adding one is one entry here and its formatter. */
export const CONFIG_FORMAT_TABLE: Readonly<Record<ConfigFormat, ConfigFormatEntry>> = {
  dhcputil: { needsSubnet: false, render: ({ encoding, input }) => formatDhcpUtil(encoding, input.scriptPath) },
  netsh: { needsSubnet: false, render: ({ encoding }) => formatNetsh(encoding) },
  powershell: { needsSubnet: false, render: ({ encoding }) => formatPowerShell(encoding) },
  kea: { needsSubnet: true, render: ({ encoding, site, input }) => (input.fragment ? formatKeaFragment(encoding) : formatKea(encoding, site)) },
  dhcpd: { needsSubnet: true, render: ({ encoding, site }) => formatDhcpd(encoding, site) },
  dnsmasq: { needsSubnet: true, render: ({ encoding, site }) => formatDnsmasq(encoding, site) },
  ios: {
    needsSubnet: true,
    render: ({ encoding, site, warnings }) => {
      if (encoding.option43HexLength > IOS_HEX_DIGIT_LIMIT) {
        warnings.push(
          `option 43 is ${encoding.option43HexLength} hex digits; Cisco IOS keeps only ${IOS_HEX_DIGIT_LIMIT} with "option 43 hex" and drops the rest silently: use "option ext 43 hex" (IOS XE 3.2.1S+) or a shorter web server name`,
        );
      }
      return formatIos(encoding, site);
    },
  },
  json: { needsSubnet: false, render: ({ encoding }) => formatJson(encoding) },
};

/** Validate the inputs and print one configuration. Throws DhcpConfigError for a bad input. */
export function renderServerConfig(format: ConfigFormat, input: ServerConfigInput): RenderedConfig {
  const encoding = encodeDhcpValues(input);
  const warnings = [...encoding.warnings];
  const entry = CONFIG_FORMAT_TABLE[format];
  if (entry.needsSubnet && input.subnet === undefined) {
    warnings.push(`--subnet not given: using ${PLACEHOLDER_SUBNET} (a documentation range); set it to the phones' subnet, the server answers an INFORM only from a subnet it serves`);
  }
  const subnet = parseSubnet(input.subnet ?? PLACEHOLDER_SUBNET);
  const range = input.range === undefined ? undefined : parseRange(input.range, subnet);
  const interfaceName = checkInterface(input.interfaceName);
  const site: SiteSettings = { subnet, ...(range ? { range } : {}), ...(interfaceName ? { interfaceName } : {}) };
  const text = entry.render({ encoding, site, input, warnings });
  return { format, text, encoding, warnings };
}

export interface SiteSettings {
  subnet: Subnet;
  range?: { first: string; last: string };
  interfaceName?: string;
}

export function formatDhcpUtil(encoding: DhcpEncoding, scriptPath = DEFAULT_SCRIPT_PATH): string {
  const lines = [
    `SIP Server FQDN: ${encoding.sipServer}`,
    `Certificate Provisioning Service URL: ${encoding.certProvisioningUrl}`,
    '',
    'Option 120:',
    `  Value: ${encoding.option120Hex}`,
    '',
    'Option 43:',
    `  Vendor Class: ${encoding.vendorClass}`,
    `  Value: ${encoding.option43Hex}`,
    `  Length: ${encoding.option43HexLength}`,
    '',
    ...encoding.subOptions.map((sub) => `  sub-option ${sub.code} <${sub.label}>: ${sub.hex}`),
    '',
    'To configure a Windows DHCP server, run "DHCPUtil.exe -RunConfigScript" on it, or run this command there:',
    `"${scriptPath}" ${encoding.configScriptArgs.join(' ')}`,
  ];
  return lines.join('\n') + '\n';
}

/** DHCPConfigScript.bat's steps (dhcp.md e.2, with its two defects corrected), values filled in. */
export function formatNetsh(encoding: DhcpEncoding): string {
  const [s1, s2, s3, s4, s5] = encoding.subOptions.map((sub) => sub.hex);
  const vendor = 'vendor=MSUCClient';
  return [
    'rem Lync/Skype for Business phone options for the Windows DHCP server (what DHCPConfigScript.bat runs).',
    `rem SIP server ${encoding.sipServer}; certificate provisioning ${encoding.certProvisioningUrl}`,
    'netsh dhcp server delete optionvalue 120',
    'netsh dhcp server delete optiondef 120',
    'netsh dhcp server delete class MSUCClient',
    'netsh dhcp server add optiondef 120 UCSipServer Binary 0 comment="Sip Server Fqdn"',
    `netsh dhcp server set optionvalue 120 Binary ${encoding.option120Hex}`,
    `netsh dhcp server add class MSUCClient "UC Vendor Class Id" "${encoding.vendorClass}" 1`,
    'netsh dhcp server add optiondef 1 UCIdentifier Binary 0 Vendor=MSUCClient comment="UC Identifier"',
    `netsh dhcp server set optionvalue 1 Binary ${vendor} ${s1}`,
    'netsh dhcp server add optiondef 2 URLScheme Binary 0 Vendor=MSUCClient comment="URL Scheme"',
    `netsh dhcp server set optionvalue 2 Binary ${vendor} ${s2}`,
    'netsh dhcp server add optiondef 3 WebServerFqdn Binary 0 Vendor=MSUCClient comment="Web Server Fqdn"',
    `netsh dhcp server set optionvalue 3 Binary ${vendor} ${s3}`,
    'netsh dhcp server add optiondef 4 WebServerPort Binary 0 Vendor=MSUCClient comment="Web Server Port"',
    `netsh dhcp server set optionvalue 4 Binary ${vendor} ${s4}`,
    'netsh dhcp server add optiondef 5 CertProvRelPath Binary 0 Vendor=MSUCClient comment="Cert Prov Relative Path"',
    `netsh dhcp server set optionvalue 5 Binary ${vendor} ${s5}`,
  ].join('\r\n') + '\r\n';
}

function psBinary(hex: string): string {
  return (hex.match(/../g) ?? []).map((pair) => `0x${pair}`).join(',');
}

export function formatPowerShell(encoding: DhcpEncoding): string {
  const lines = [
    '# Lync/Skype for Business phone options for the Windows DHCP server (DhcpServer module, Windows Server 2012+).',
    `# SIP server ${encoding.sipServer}; certificate provisioning ${encoding.certProvisioningUrl}`,
    '# Not run against a server by bootstrap-test: check the BinaryData values once with Get-DhcpServerv4OptionValue.',
    'Remove-DhcpServerv4OptionValue -OptionId 120 -ErrorAction SilentlyContinue',
    'Remove-DhcpServerv4OptionDefinition -OptionId 120 -ErrorAction SilentlyContinue',
    'Remove-DhcpServerv4Class -Name MSUCClient -Type Vendor -ErrorAction SilentlyContinue',
    'Add-DhcpServerv4OptionDefinition -OptionId 120 -Name UCSipServer -Type BinaryData -Description "Sip Server Fqdn"',
    `Set-DhcpServerv4OptionValue -OptionId 120 -Value ${psBinary(encoding.option120Hex)}`,
    `Add-DhcpServerv4Class -Name MSUCClient -Type Vendor -Data "${encoding.vendorClass}" -Description "UC Vendor Class Id"`,
    ...encoding.subOptions.map(
      (sub) => `Add-DhcpServerv4OptionDefinition -VendorClass MSUCClient -OptionId ${sub.code} -Name ${sub.name} -Type BinaryData -Description "${sub.label}"`,
    ),
    ...encoding.subOptions.map((sub) => `Set-DhcpServerv4OptionValue -VendorClass MSUCClient -OptionId ${sub.code} -Value ${psBinary(sub.hex)}`),
  ];
  return lines.join('\r\n') + '\r\n';
}

/** Kea's string options split on commas and treat backslashes as escapes; such values go as hex. */
function keaOptionData(space: string, name: string, text: string, hex: string): Record<string, unknown> {
  if (/[,\\]/.test(text)) return { space, name, 'csv-format': false, data: hex };
  return { space, name, data: text };
}

function keaParts(encoding: DhcpEncoding): { optionDefs: unknown[]; clientClass: Record<string, unknown>; sipOption: Record<string, unknown> } {
  const optionDefs: unknown[] = encoding.subOptions.map((sub) => ({ space: 'MSUC', name: sub.name, code: sub.code, type: 'string' }));
  optionDefs.push({ space: 'dhcp4', name: 'sip-server', code: 120, type: 'binary' });
  const clientClass = {
    comment: 'Option 60 must equal the vendor class exactly (case-sensitive). Option 43 is redefined for this class as a container of the MSUC space.',
    name: 'MS-UC-Client',
    test: `option[vendor-class-identifier].text == '${encoding.vendorClass}'`,
    'option-def': [{ name: 'vendor-encapsulated-options', code: 43, type: 'empty', encapsulate: 'MSUC' }],
    'option-data': [
      ...encoding.subOptions.map((sub) => keaOptionData('MSUC', sub.name, sub.text, sub.hex)),
      { comment: 'Without this empty entry Kea sends none of the sub-options.', name: 'vendor-encapsulated-options' },
    ],
  };
  const sipOption = { comment: `enc 0 + ${encoding.sipServer} in DNS labels`, name: 'sip-server', 'csv-format': false, data: encoding.option120Hex };
  return { optionDefs, clientClass, sipOption };
}

/** A complete Dhcp4 configuration that kea-dhcp4 -c can start with. */
export function formatKea(encoding: DhcpEncoding, site: SiteSettings): string {
  const { optionDefs, clientClass, sipOption } = keaParts(encoding);
  const config = {
    Dhcp4: {
      comment: `Generated by bootstrap-test dhcp encode: options 120 and 43 for Lync/Skype for Business phones (${encoding.certProvisioningUrl}).`,
      'interfaces-config': { interfaces: [site.interfaceName ?? '*'], 'dhcp-socket-type': 'raw' },
      'lease-database': { type: 'memfile', persist: false },
      'option-def': optionDefs,
      'client-classes': [clientClass],
      subnet4: [
        {
          id: 1,
          subnet: `${site.subnet.network}/${site.subnet.prefix}`,
          ...(site.range ? { pools: [{ pool: `${site.range.first} - ${site.range.last}` }] } : {}),
          'option-data': [sipOption],
        },
      ],
      loggers: [{ name: 'kea-dhcp4', output_options: [{ output: 'stdout' }], severity: 'INFO' }],
    },
  };
  return JSON.stringify(config, null, 2) + '\n';
}

/** The pieces to merge into an existing Dhcp4 object (option 120 at global level). */
export function formatKeaFragment(encoding: DhcpEncoding): string {
  const { optionDefs, clientClass, sipOption } = keaParts(encoding);
  return JSON.stringify({ 'option-def': optionDefs, 'client-classes': [clientClass], 'option-data': [sipOption] }, null, 2) + '\n';
}

function cString(text: string): string {
  return `"${text.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;
}

function colonHex(hex: string): string {
  return (hex.toLowerCase().match(/../g) ?? []).join(':');
}

export function formatDhcpd(encoding: DhcpEncoding, site: SiteSettings): string {
  const iface = site.interfaceName ?? 'IFACE';
  return [
    '# ISC dhcpd: options 120 and 43 for Lync/Skype for Business phones. Generated by bootstrap-test dhcp encode.',
    `# Start: dhcpd -4 -f -cf THIS_FILE -lf LEASE_FILE ${iface}   (the lease file must exist)`,
    '# dhcpd ignores a DHCPINFORM on a subnet it is not authoritative for.',
    'authoritative;',
    'ddns-update-style none;',
    '',
    'option space MSUC code width 1 length width 1;',
    ...encoding.subOptions.map((sub) => `option MSUC.${sub.name} code ${sub.code} = text;`),
    '# dhcpd has no definition of option 120; declared as bytes, the value below is sent as written.',
    'option sip-server code 120 = string;',
    '',
    'class "MSUCClient" {',
    `  match if option vendor-class-identifier = ${cString(encoding.vendorClass)};`,
    '  vendor-option-space MSUC;',
    ...encoding.subOptions.map((sub) => `  option MSUC.${sub.name} ${cString(sub.text)};`),
    '}',
    '',
    `subnet ${site.subnet.network} netmask ${site.subnet.netmask} {`,
    ...(site.range ? [`  range ${site.range.first} ${site.range.last};`] : []),
    `  # enc 0 + ${encoding.sipServer} in DNS labels`,
    `  option sip-server ${colonHex(encoding.option120Hex)};`,
    '}',
  ].join('\n') + '\n';
}

function dnsmasqQuote(text: string): string {
  return `"${text.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;
}

export function formatDnsmasq(encoding: DhcpEncoding, site: SiteSettings): string {
  const rangeLine = site.range
    ? `dhcp-range=${site.range.first},${site.range.last},${site.subnet.netmask},12h`
    : `dhcp-range=${site.subnet.network},static,${site.subnet.netmask}`;
  return [
    '# dnsmasq: options 120 and 43 for Lync/Skype for Business phones. Generated by bootstrap-test dhcp encode.',
    '# DHCP only (port=0 turns DNS off); merge the dhcp-option lines into an existing configuration otherwise.',
    'port=0',
    ...(site.interfaceName ? [`interface=${site.interfaceName}`, 'bind-interfaces'] : []),
    ...(site.range ? [] : ['leasefile-ro']),
    '# dnsmasq drops a DHCPINFORM from a subnet without a dhcp-range; "static" hands out no addresses.',
    rangeLine,
    'log-dhcp',
    `dhcp-option=120,${encoding.sipServer}`,
    `# Sub-options for clients whose option 60 contains "${encoding.vendorClass}". Values are quoted on purpose:`,
    '# unquoted, 443 would be sent as a binary number and a dotted value as an IP address.',
    ...encoding.subOptions.map((sub) => `dhcp-option=vendor:${encoding.vendorClass},${sub.code},${dnsmasqQuote(sub.text)}`),
  ].join('\n') + '\n';
}

export function formatIos(encoding: DhcpEncoding, site: SiteSettings): string {
  return [
    '! Cisco IOS DHCP pool with options 120 and 43 (not tried on hardware). IOS sends option 43 to every client of',
    `! the pool. "option 43 hex" keeps at most ${IOS_HEX_DIGIT_LIMIT} hex digits; this value has ${encoding.option43HexLength}.`,
    'ip dhcp pool LYNC-PHONES',
    ` network ${site.subnet.network} ${site.subnet.netmask}`,
    ` option 120 hex ${encoding.option120Hex}`,
    ` option ${encoding.option43HexLength > IOS_HEX_DIGIT_LIMIT ? 'ext 43' : '43'} hex ${encoding.option43Hex}`,
  ].join('\n') + '\n';
}

export function encodingToJSON(encoding: DhcpEncoding): Record<string, unknown> {
  return {
    sipServer: encoding.sipServer,
    webServer: encoding.webServer,
    port: encoding.port,
    path: encoding.path,
    vendorClass: encoding.vendorClass,
    urlScheme: encoding.urlScheme,
    certProvisioningUrl: encoding.certProvisioningUrl,
    option120: { hex: encoding.option120Hex, bytes: encoding.option120.length },
    option43: { hex: encoding.option43Hex, bytes: encoding.option43.length, dhcputilLength: encoding.option43HexLength },
    subOptions: encoding.subOptions.map((sub) => ({ code: sub.code, name: sub.name, dhcputilLabel: sub.label, text: sub.text, hex: sub.hex, tlvHex: sub.tlvHex })),
    dhcpConfigScript: { args: encoding.configScriptArgs, argsLine: encoding.configScriptArgs.join(' ') },
    warnings: encoding.warnings,
  };
}

export function formatJson(encoding: DhcpEncoding): string {
  return JSON.stringify(encodingToJSON(encoding), null, 2) + '\n';
}
