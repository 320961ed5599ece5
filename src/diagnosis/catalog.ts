// The failure catalog (docs/diagnosis.md) as data.
// Ids never change meaning; an id that falls out of use is marked deprecated, never reused.
// test/diagnosis/catalog-parity.test.ts keeps this list and the document in step (ids, severities,
// Diagnosis lines), so edit both together.

import type { DiagnosisSeverity } from '../model.js';

/** The catalog's stages (diagnosis.md 0.2), in run order. Our pipeline maps onto them (see classify.ts). */
export const CATALOG_STAGES = [
  'discover',
  'time',
  'dns',
  'rootchain',
  'webticket',
  'resolveuser',
  'certificate',
  'registrar',
] as const;
export type CatalogStage = (typeof CATALOG_STAGES)[number];

/** Id prefix per catalog stage, used for `<prefix>-unclassified`. */
export const STAGE_PREFIX: Readonly<Record<CatalogStage, string>> = {
  discover: 'dhcp',
  time: 'time',
  dns: 'dns',
  rootchain: 'chain',
  webticket: 'webticket',
  resolveuser: 'resolve',
  certificate: 'cert',
  registrar: 'registrar',
};

export interface CatalogEntry {
  readonly id: string;
  /** The stage whose section defines the id. */
  readonly stage: CatalogStage;
  readonly severity: DiagnosisSeverity;
  /** The qualifier next to the severity, e.g. 'fail when their 43/120 differ'. */
  readonly severityNote?: string;
  /** The document marks the whole entry as an inference. */
  readonly inference?: boolean;
  /** The one-line Diagnosis, word for word (code marks dropped). */
  readonly diagnosis: string;
  /** What an administrator should check, most useful first. */
  readonly check: readonly string[];
  /** Umbrella entries: the ids the wire cannot tell apart, most likely first. */
  readonly children?: readonly string[];
}

type EntryInput = Omit<CatalogEntry, 'id' | 'stage'>;

function section(stage: CatalogStage, entries: Record<string, EntryInput>): CatalogEntry[] {
  return Object.entries(entries).map(([id, entry]) => ({ id, stage, ...entry }));
}

const DISCOVER = section('discover', {
  'dhcp-local-socket-error': {
    severity: 'unknown',
    diagnosis: 'DHCP could not be sent or received from this host, so the network was not tested.',
    check: [
      'run with the privilege to bind UDP 68 (root or CAP_NET_BIND_SERVICE)',
      'use a test host where no DHCP client daemon holds port 68',
      'choose the voice-VLAN interface explicitly',
      'or skip discovery with --target-uri/--target-fqdn',
    ],
  },
  'dhcp-unprivileged-port-silence': {
    severity: 'unknown',
    diagnosis: 'Sent from an unprivileged port, where most DHCP servers never reply; silence proves nothing.',
    check: [
      'run again bound to UDP 68 (Kea and ISC dhcpd always answer to port 68)',
      "capture 'udp port 68' on this host to see whether an ACK came back",
    ],
  },
  'dhcp-voice-vlan-not-served': {
    severity: 'fail',
    diagnosis: 'No DHCP server on this segment answered, or the one that did serves another VLAN.',
    check: [
      "a DHCP relay (ip helper-address) on the voice VLAN's router interface",
      'the switch port: voice VLAN and LLDP-MED',
      'a capture on the DHCP server side: does the INFORM arrive?',
      'the voice VLAN value handed out to phones (CPE-OCPHONE option 43, sub-option 10)',
    ],
  },
  'dhcp-inform-ignored': {
    severity: 'fail',
    diagnosis: 'The DHCP server gets the INFORM but is set up, or built, not to answer it.',
    check: [
      "the DHCP server's log entry for the INFORM",
      'ISC dhcpd: declare the voice subnet authoritative;',
      'dnsmasq: a range for the voice subnet (dhcp-range=<net>,static is enough)',
      'Kea: a subnet4 that covers the voice subnet',
      "where enterprise DHCP cannot answer INFORMs, use the Registrar's own responder",
    ],
  },
  'dhcp-registrar-dhcp-disabled': {
    severity: 'fail',
    diagnosis: "Neither enterprise DHCP nor the Registrar's own DHCP responder publishes the Lync options.",
    check: [
      'Get-CsRegistrarConfiguration -Identity global | Select-Object EnableDHCPServer',
      'Set-CsRegistrarConfiguration -Identity global -EnableDHCPServer $true, or publish the options on enterprise DHCP (preferred by Microsoft)',
    ],
  },
  'dhcp-no-option-43': {
    severity: 'fail',
    diagnosis: 'The DHCP reply has no Lync web-service location, so phones cannot find CertProv.',
    check: [
      'Windows DHCP: vendor class MSUCClient (data MS-UC-Client) with vendor options 1-5; DHCPUtil.exe computes the values (fix the two typos in DHCPConfigScript.bat first) or use Add-DhcpServerv4Class -Type Vendor',
      'dnsmasq: dhcp-option=vendor:MS-UC-Client,<n>,"<text>"',
      'ISC dhcpd: a class matching option 60 with a vendor-option-space',
      'the vendor class string is case-sensitive: MS-UC-Client',
      'the options must sit on the server and scope that actually answered',
      'then factory-reset one phone and run Test-CsPhoneBootstrap -Verbose',
    ],
  },
  'dhcp-option-43-bad-values': {
    severity: 'fail',
    diagnosis: 'Option 43 is there, but its sub-options do not make a usable certificate-provisioning URL.',
    check: [
      'decode the sub-options and compare them with MS-UC-Client, https, <fqdn>, 443 (ASCII), /CertProv/CertProvisioningService.svc',
      'regenerate the values with DHCPUtil (or bootstrap-test dhcp encode)',
      'quote text values in dnsmasq so 443 is sent as text',
    ],
  },
  'dhcp-option-43-truncated': {
    severity: 'fail',
    diagnosis: 'The server had more option 43 data than fit in the reply and sent only part of it.',
    check: [
      'send option 57 (for example 1500) in the INFORM',
      "read the DHCP server's log",
      'shorten the option values',
    ],
  },
  'dhcp-option-43-stale': {
    severity: 'fail',
    severityNote: 'usually surfaces in dns, rootchain or webticket',
    diagnosis: 'Option 43 still names a web-services host that no longer serves this deployment.',
    check: [
      'compare sub-option 3 with the host of CAHandlerInternalUri in Get-CsService -WebServer',
      "look at every DHCP responder's option 43 value",
      'a pass from a PC does not prove the path a phone takes',
    ],
  },
  'dhcp-no-option-120': {
    severity: 'warn',
    severityNote: 'fail when _sipinternaltls._tcp is also missing',
    diagnosis: 'DHCP does not name the registrar pool; a phone with no cache relies on DNS SRV alone.',
    check: [
      'define and set option 120 (Kea and ISC dhcpd need it declared first)',
      'Test-CsClientAuth without -TargetFqdn (uses DHCP discovery)',
      'confirm the _sipinternaltls._tcp SRV fallback',
    ],
  },
  'dhcp-option-120-malformed': {
    severity: 'fail',
    diagnosis: 'Option 120 is present but does not decode to a registrar FQDN.',
    check: [
      'regenerate the value with DHCPUtil.exe, or let dnsmasq encode it (dhcp-option=120,<fqdn>)',
      'the value is an encoding byte 0 then DNS labels: www.bing.com = 00037777770462696E6703636F6D00',
    ],
  },
  'dhcp-multiple-responders': {
    severity: 'warn',
    severityNote: 'fail when their 43/120 differ',
    diagnosis: 'Several DHCP servers send different Lync options; each phone keeps the first reply.',
    check: [
      'list every responder (option 54 and source address) and remove or align them',
      'decide whether the Registrar responder should stay on (EnableDHCPServer)',
    ],
  },
  'dhcp-fqdn-inconsistent': {
    severity: 'warn',
    inference: true,
    diagnosis: 'The hosts from options 43 and 120 (or the overrides) do not look like one deployment.',
    check: [
      'Get-CsService -Registrar, -Director and -WebServer',
      'both names must belong to pools that serve this site',
    ],
  },
});

const TIME = section('time', {
  'time-no-source-advertised': {
    severity: 'warn',
    diagnosis: 'Neither DHCP nor DNS names a time server, so phones fall back to time.windows.com.',
    check: [
      'publish an _ntp._udp.<sipdomain> SRV record pointing at an internal NTP host on port 123',
      'or set option 42 on the voice scope',
      'if phones rely on the fallback, allow UDP 123 to time.windows.com',
    ],
  },
  'time-ntp-unreachable': {
    severity: 'fail',
    severityNote: 'warn when another candidate answers',
    diagnosis: 'The advertised time source does not answer NTP.',
    check: [
      'firewall rules for UDP 123 from the voice subnets',
      'w32tm /stripchart /computer:<host> /dataonly /samples:3 from a voice-VLAN host',
    ],
  },
  'time-source-unsynchronised': {
    // A client must not set its clock from a server that says it has none (RFC 5905), so the
    // time stage fails on it: the severity agrees.
    severity: 'fail',
    inference: true,
    diagnosis: 'The time source answers but reports that it is not synchronised itself.',
    check: ["the NTP server's own upstream", 'on a Windows domain controller: w32tm /query /status'],
  },
  'time-kiss-of-death': {
    severity: 'fail',
    inference: true,
    diagnosis: 'The time server answered with a Kiss-o\'-Death code and gave no time.',
    check: [
      "the NTP server's access rules (restrict/allow lines) for the voice subnets",
      'its rate limiting: RATE asks clients to poll less often, DENY and RSTR refuse them',
    ],
  },
  'time-clock-skew': {
    severity: 'fail',
    severityNote: 'at 5 minutes or more, warn above about 1 minute',
    diagnosis: 'Clocks disagree by enough to break certificate and token validity checks.',
    check: [
      'w32tm /query /status on the Front Ends and Directors',
      "the domain's time hierarchy",
      "NTP on this tool's host (a wrong local clock distorts every other verdict)",
    ],
  },
});

const DNS = section('dns', {
  'dns-resolver-failure': {
    severity: 'unknown',
    diagnosis: "The tool's resolver failed on every query, so DNS was not tested.",
    check: [
      'point the tool at the DNS servers the voice scope hands out',
      'compare with Resolve-DnsName or dig from a phone-VLAN host',
    ],
  },
  'dns-web-fqdn-nxdomain': {
    severity: 'fail',
    diagnosis: 'The web-services host from option 43 (or --target-uri) does not resolve.',
    check: [
      'Resolve-DnsName <fqdn> from the voice VLAN',
      'compare with CAHandlerInternalUri in Get-CsService -WebServer',
    ],
  },
  'dns-registrar-fqdn-nxdomain': {
    severity: 'fail',
    diagnosis: 'The registrar host from option 120 (or --target-fqdn) does not resolve.',
    check: ['Get-CsService -Registrar and Get-CsService -Director (PoolFqdn)', 'the record in the internal zone'],
  },
  'dns-sipinternaltls-missing': {
    severity: 'warn',
    severityNote: 'fail when option 120 is missing too',
    diagnosis: 'There is no internal TLS SIP SRV record, so phones depend on option 120.',
    check: [
      'create _sipinternaltls._tcp.<sipdomain> SRV pointing at the pool FQDN, port 5061',
      'keep the SRV target inside the SIP domain namespace',
    ],
  },
  'dns-srv-target-outside-domain': {
    severity: 'fail',
    severityNote: 'for Lync Phone Edition',
    diagnosis: 'The SRV target lies outside the SIP domain, which current LPE firmware refuses.',
    check: [
      'make the SRV target a host inside the SIP domain (e.g. sip.<sipdomain>)',
      'the registrar certificate must list that name',
    ],
  },
  'dns-srv-target-unresolvable': {
    severity: 'fail',
    diagnosis: 'The SRV record exists, but its target host has no address.',
    check: ["fix the SRV record or the target's A record", 'compare with Get-CsService -Registrar'],
  },
  'dns-option120-outside-domains': {
    severity: 'warn',
    inference: true,
    diagnosis: 'The option-120 registrar host lies outside the SIP domain and every DHCP domain (options 15 and 119).',
    check: [
      'give the registrar a name inside the SIP domain, or add its domain to option 119',
      'the registrar certificate must list the option-120 name',
    ],
  },
  'dns-srv-dhcp-disagree': {
    severity: 'warn',
    inference: true,
    diagnosis: 'DNS SRV and option 120 send phones to different registrars, and phones try SRV first.',
    check: ['test TLS on 5061 with the correct certificate name on both targets', 'remove stale records'],
  },
});

const ROOTCHAIN = section('rootchain', {
  'chain-port80-blocked': {
    severity: 'fail',
    diagnosis: 'Nothing accepts HTTP on port 80 at the web host, so phones cannot fetch the root chain.',
    check: [
      "permit TCP 80 from the voice subnets to the pool's web VIP and every pool member",
      'Test-NetConnection <fqdn> -Port 80 from a host on the voice VLAN',
      'after the fix, reset the phone',
    ],
  },
  'chain-lb-no-port80': {
    severity: 'fail',
    diagnosis: "The pool's web VIP does not publish port 80, although the servers behind it do.",
    check: ['add a TCP/HTTP 80 virtual service on the internal web VIP that forwards to the Front Ends'],
  },
  'chain-redirected-to-https': {
    severity: 'fail',
    inference: true,
    diagnosis: 'Port 80 redirects to HTTPS, which a phone cannot follow before it trusts the root.',
    check: ['exempt /CertProv/ on port 80 from any redirect'],
  },
  'chain-http-error': {
    severity: 'fail',
    diagnosis: 'Port 80 answers, but the anonymous certificate-provisioning endpoint returns an HTTP error.',
    check: [
      'Get-CsService -WebServer (CAHandlerInternalAnonUri) against the path from option 43',
      'Get-CsWindowsService and the IIS application pools on each Front End',
      'the IIS logs for the request',
    ],
  },
  'chain-download-disabled': {
    severity: 'fail',
    diagnosis: 'The web-service configuration does not hand out the root chain.',
    check: [
      'Get-CsWebServiceConfiguration | Select-Object Identity, EnableCertChainDownload, InferCertChainFromSSL, TrustedCACerts',
      'Set-CsWebServiceConfiguration -Identity <scope> -EnableCertChainDownload $true',
    ],
  },
  'chain-empty-or-unparsable': {
    severity: 'fail',
    diagnosis: 'The endpoint answered 200, but no certificate could be read from the body.',
    check: [
      'the web-service chain settings, as for chain-download-disabled',
      'keep the raw body (--trace DIR) for analysis',
    ],
  },
  'chain-missing-issuer': {
    severity: 'fail',
    diagnosis: 'The chain served over HTTP does not anchor the server certificate on 443 or 5061.',
    check: [
      'Get-CsWebServiceConfiguration (InferCertChainFromSSL, TrustedCACerts)',
      'add the issuing CA: New-CsWebTrustedCACertificate and Set-CsWebServiceConfiguration -TrustedCACerts @{Add=...}',
      "Get-CsCertificate on the pool: compare each certificate's Issuer with the chain's subjects",
    ],
  },
  'http-response-malformed': {
    severity: 'fail',
    diagnosis: 'The web server answered with something a phone cannot read as HTTP (headers too large, broken chunking, not HTTP at all).',
    check: [
      'keep the exchange with --trace DIR and look at the raw answer (status line, header sizes, Transfer-Encoding)',
      'the load balancer or reverse proxy in front of the pool: header and cookie insertion, HTTP profile, response rewriting',
      'a device on the path answering in place of the pool (proxy, captive portal, IPS block page)',
      'IIS URL Rewrite / ARR rules and custom headers on the Front Ends',
    ],
  },
  'http-redirect-not-followed': {
    severity: 'fail',
    diagnosis: 'A web service answered with a redirect; a phone does not follow redirects during sign-in.',
    check: [
      'the Location header in the evidence: which device or rule sends it',
      'load balancer, reverse proxy and IIS URL Rewrite / HTTP Redirect rules on the web-service paths',
    ],
  },
  'http-response-oversized': {
    severity: 'fail',
    diagnosis: 'A web service answered with more data than any legitimate answer holds, so the answer was not read.',
    check: [
      'keep the exchange with --trace DIR and look at what the body is (an error page, a stream, a device in the path)',
      'the load balancer or reverse proxy in front of the pool',
    ],
  },
  'http-no-answer': {
    severity: 'fail',
    diagnosis: 'The web server accepted the request and sent nothing back before the deadline.',
    check: [
      'IIS logs and Front End event logs at the time of the request (-v shows when it was sent)',
      "the load balancer's health of each pool member: time the same request against each member",
      'the application pool of the web services (hung, recycling or overloaded)',
    ],
  },
  'http-answer-too-slow': {
    severity: 'fail',
    diagnosis: 'The web server started answering but the rest of the answer came too slowly for the deadline.',
    check: [
      'the evidence: when the headers arrived and how many body bytes came by the deadline',
      'the path between phone and pool: a proxy, IPS or WAN optimiser holding the body back, a congested or lossy link',
      'the load balancer: buffering or response inspection on the web services',
      'a larger --stage-timeout to see whether the answer completes at all',
    ],
  },
  'run-deadline-exhausted': {
    severity: 'fail',
    diagnosis: "The run's overall time limit (--timeout) ran out during this stage; the steps before it used up the time.",
    check: [
      'the time of each stage in the stage table or -v: which one took the time',
      'run again with a larger --timeout to find out whether the pool finishes at all',
      'a pool that answers but slowly: Front End load, IIS application pool, back-end (SQL) latency',
    ],
  },
});

const WEBTICKET = section('webticket', {
  'webticket-port443-unreachable': {
    severity: 'fail',
    diagnosis: 'The web-services host does not accept connections on its HTTPS port.',
    check: [
      'Test-NetConnection <fqdn> -Port 443 from the voice VLAN',
      "the load balancer's health for the 443 service",
      'IIS on the Front Ends',
      'the port in option 43 sub-option 4',
    ],
  },
  'tls-legacy-protocol-refused': {
    severity: 'fail',
    severityNote: 'phone profile',
    diagnosis: 'The server no longer accepts the old TLS versions that the phones speak.',
    check: [
      'the SCHANNEL protocol settings on each Front End and Director, and the load balancer TLS profile',
      'an inventory of phone models and firmware (Lync Phone Edition has no TLS 1.2)',
      'keep TLS 1.0 until Lync Phone Edition is retired, or replace the devices',
    ],
  },
  'tls-no-common-cipher': {
    severity: 'fail',
    diagnosis: 'The client and the server found no cipher suite they share.',
    check: [
      'SChannel events 36874/36888 on the Front Ends',
      'the cipher-suite order policy against what the phone model offers',
      'do not "fix" this by disabling TLS 1.2',
    ],
  },
  'webticket-cert-untrusted': {
    severity: 'fail',
    diagnosis: 'The HTTPS certificate does not chain to anything the phone trusts.',
    check: [
      'Get-CsCertificate -Type WebServicesInternal on each Front End',
      "the bound certificate's full chain (are the intermediates sent?)",
      'any TLS-inspecting device between the voice VLAN and the pool',
    ],
  },
  'webticket-cert-name-mismatch': {
    severity: 'fail',
    diagnosis: 'The web certificate does not cover the host name the phone got from option 43.',
    check: [
      "the certificate's subject/SAN must include the internal web FQDN from option 43 (Get-CsCertificate)",
      'reissue with the Certificate Wizard or Request-CsCertificate',
    ],
  },
  'webticket-cert-expired': {
    severity: 'fail',
    diagnosis: 'The HTTPS certificate lies outside its validity window.',
    check: [
      'Get-CsCertificate | Select-Object Use, NotBefore, NotAfter, Thumbprint',
      'renew, then assign with Set-CsCertificate',
    ],
  },
  'webticket-http-error': {
    severity: 'fail',
    diagnosis: 'The Web Ticket service answered with an HTTP error, not a token or an auth fault.',
    check: [
      'Get-CsWindowsService on each pool member',
      'the IIS application pools and logs',
      'the server named in X-MS-Server-Fqdn',
      'try each pool member directly',
    ],
  },
  'webticket-no-response': {
    severity: 'fail',
    diagnosis: 'The Web Ticket service accepted the request and never answered.',
    check: [
      'the Front End event logs and IIS logs at the time of the request',
      'response times against each pool member',
    ],
  },
  'webticket-pin-auth-disabled': {
    severity: 'fail',
    diagnosis: 'PIN authentication is switched off on the web services.',
    check: [
      'Get-CsWebServiceConfiguration | Select-Object Identity, UsePinAuth',
      'Set-CsWebServiceConfiguration -Identity <scope> -UsePinAuth $true',
    ],
  },
  'webticket-auth-rejected': {
    severity: 'fail',
    severityNote: 'umbrella',
    diagnosis: 'The Web Ticket service refused the phone number/extension and PIN.',
    check: [
      'stop: do not retry this PIN (every failure counts toward the lockout)',
      'Get-CsClientPinInfo -Identity <user>',
      'Get-CsUser -Identity <user> | Select-Object SipAddress, Enabled, LineUri, RegistrarPool',
    ],
    children: [
      'webticket-pin-wrong',
      'webticket-pin-not-set',
      'webticket-pin-locked',
      'webticket-number-not-on-lineuri',
      'webticket-extension-ambiguous',
      'webticket-pin-expired',
      'webticket-user-not-enabled',
    ],
  },
  'webticket-pin-wrong': {
    severity: 'fail',
    diagnosis: 'The PIN given does not match the one on record for that number.',
    check: [
      'set a new PIN: Set-CsClientPin -Identity <user> [-Pin <new>] (without -Pin the server generates one)',
      "then update the tool's PIN source",
    ],
  },
  'webticket-pin-not-set': {
    severity: 'fail',
    diagnosis: 'The account has no PIN.',
    check: [
      'Get-CsClientPinInfo -Identity <user>',
      'set a PIN with Set-CsClientPin, or let the user set one on the Dial-in Conferencing page',
    ],
  },
  'webticket-pin-locked': {
    severity: 'fail',
    diagnosis: 'The PIN is locked, automatically after too many failures or by an administrator.',
    check: [
      'Get-CsClientPinInfo -Identity <user>',
      'Unlock-CsClientPin -Identity <user>',
      'Get-CsPinPolicy (MaximumLogonAttempts)',
      "find every device or scheduled job that uses this account's PIN",
    ],
  },
  'webticket-pin-expired': {
    severity: 'fail',
    diagnosis: 'The PIN is older than the policy allows.',
    check: [
      'Get-CsPinPolicy (PINLifetime, PINHistoryCount)',
      'set a new PIN: Set-CsClientPin -Identity <user> [-Pin <new>] (without -Pin the server generates one)',
      'review the PIN policy that applies to the test account',
    ],
  },
  'webticket-number-not-on-lineuri': {
    severity: 'fail',
    diagnosis: "The number or extension typed does not match the user's LineURI.",
    check: [
      'Get-CsUser -Identity <user> | Select-Object LineUri (extension sign-in needs ;ext= in the LineURI)',
      'Set-CsUser -Identity <user> -LineUri "tel:+...;ext=..."',
      'try the full E.164 number',
    ],
  },
  'webticket-extension-ambiguous': {
    severity: 'fail',
    diagnosis: 'More than one user matches the number or extension, so no single account is chosen.',
    check: [
      'Get-CsUser -Filter {LineURI -like "*ext=<n>*"}',
      'make every number + extension unique',
      'sign in with the full number',
    ],
  },
  'webticket-user-not-enabled': {
    severity: 'fail',
    diagnosis: 'The account behind the number is not enabled for Lync/SfB.',
    check: [
      'Get-CsUser -Identity <user> | Select-Object Enabled, SipAddress, RegistrarPool, EnterpriseVoiceEnabled',
      'Enable-CsUser',
    ],
  },
  'webticket-request-not-understood': {
    severity: 'fail',
    severityNote: 'suspect the tool or a filter first',
    diagnosis: 'The server found no credential it could use in the request.',
    check: [
      'the port names and policy in /WebTicket/WebTicketService.svc/mex (which port takes the PIN, in what shape)',
      'any request filter on the Front Ends or the reverse proxy',
      'Test-CsPhoneBootstrap -Verbose from the same network',
    ],
  },
  'webticket-server-error': {
    severity: 'fail',
    diagnosis: 'The Web Ticket service failed inside while handling the request.',
    check: [
      'the Lync Server event log on the Front End named in X-MS-Server-Fqdn',
      'run again against another pool member',
    ],
  },
  'webticket-rstr-incomplete': {
    severity: 'fail',
    severityNote: 'tool or server version',
    diagnosis: 'A token response arrived, but without the parts the next steps need.',
    check: ['the response kept under --trace DIR (assertion and entropy redacted)', 'the server version'],
  },
  'webticket-proof-key-unsupported': {
    severity: 'fail',
    severityNote: 'tool side',
    diagnosis: 'The Web Ticket service issued a ticket whose proof key this tool cannot use.',
    check: [
      'the token response kept under --trace DIR: RequestedProofToken holds EncryptedKey or a ComputedKey other than CK/PSHA1',
      'the server version and any token-service customisation in front of the pool',
      'report the trace: a phone sends client entropy and expects CK/PSHA1 or a BinarySecret',
    ],
  },
  'webticket-metadata-unreadable': {
    severity: 'fail',
    diagnosis: 'The Web Ticket service answered its metadata request with a document that is not readable WSDL.',
    check: [
      'the first bytes shown in the message, and the whole answer under --trace DIR',
      'a proxy, load balancer or error page answering in place of the Front End',
      'fetch https://<pool>/WebTicket/WebTicketService.svc/mex from a voice-VLAN host',
    ],
  },
  'webticket-pin-option-hidden': {
    severity: 'device-only',
    diagnosis: 'The phone does not offer PIN sign-in, so users cannot even try.',
    check: [
      'every configuration file on the provisioning server and the phone (reg.1.auth.usePinCredentials on Poly)',
      'the web-service PIN setting (UsePinAuth)',
      'DHCP option 43: Poly offers PIN sign-in only when it is present',
    ],
  },
  'webticket-port-plain-http': {
    severity: 'fail',
    diagnosis: 'The port that should speak HTTPS answered in plain HTTP.',
    check: [
      'option 43 sub-option 4 (the web-services port): 443 (or the internal web port), not 80 or 8080',
      'option 43 sub-option 2: the protocol must be https',
      'the port given in --target-uri, when it was given',
      "the load balancer's virtual service for this port: TLS passthrough or TLS bridging, not an HTTP-only profile",
    ],
  },
  'webticket-pin-port-not-https': {
    severity: 'fail',
    diagnosis: 'The service metadata names an address that is not HTTPS for a call carrying the PIN or a ticket; nothing was sent.',
    check: [
      'the port addresses in the Web Ticket and CertProv /mex documents (a TLS-offloading load balancer makes WCF publish http://)',
      'set the external https address on the services (Set-CsWebServer / topology web services FQDN and port)',
      "the load balancer's header rewriting, so the published address matches what phones connect to",
    ],
  },
});

const RESOLVEUSER = section('resolveuser', {
  'resolve-mex-unavailable': {
    severity: 'fail',
    diagnosis: 'CertProv does not publish its metadata, so the proof endpoint cannot be found.',
    check: ['fetch the /mex address from a voice-VLAN host', 'IIS logs on the Front Ends'],
  },
  'resolve-metadata-unreadable': {
    severity: 'fail',
    diagnosis: 'CertProv answered its metadata request with a document that is not readable WSDL.',
    check: [
      'the first bytes shown in the message, and the whole answer under --trace DIR',
      'a proxy, load balancer or error page answering in place of the Front End',
      'fetch https://<pool>/CertProv/CertProvisioningService.svc/mex from a voice-VLAN host',
    ],
  },
  'resolve-proof-endpoint-missing': {
    severity: 'fail',
    diagnosis: 'The metadata has no endpoint that accepts a web-ticket proof.',
    check: [
      'Get-CsWebServiceConfiguration | Select-Object UseCertificateAuth',
      'the port names the metadata lists (see evidence)',
    ],
  },
  'resolve-proof-rejected': {
    severity: 'fail',
    severityNote: 'also on GetAndPublishCert',
    diagnosis: 'The service refused the web ticket presented as proof.',
    check: [
      'rule out clock skew first (time-clock-skew)',
      "compare the ticket's AppliesTo with the /mex port address",
      'confirm with Test-CsPhoneBootstrap from the same host',
    ],
  },
  'resolve-no-user': {
    severity: 'fail',
    diagnosis: 'The proof was accepted, but the number and PIN resolve to no usable account.',
    check: ['Get-CsUser -Identity <user>', 'Get-CsManagementStoreReplicationStatus'],
  },
  'resolve-response-unparsable': {
    severity: 'fail',
    severityNote: 'tool or server version',
    diagnosis: 'ResolveUser answered with HTTP 200, but the answer is not a readable SOAP message.',
    check: ['the first bytes shown in the message, and the whole answer under --trace DIR', 'a proxy or error page answering in place of the Front End'],
  },
  'resolve-user-mismatch': {
    severity: 'fail',
    diagnosis: 'The number and PIN belong to a different user from the one expected.',
    check: [
      'Get-CsUser -Identity "sip:<expected>" | Select-Object LineUri',
      'look for other users with the same LineURI or extension',
    ],
  },
});

const CERTIFICATE = section('certificate', {
  'cert-errorinfo': {
    severity: 'fail',
    severityNote: 'umbrella',
    diagnosis: 'Certificate provisioning answered with an error in ErrorInfo.',
    check: ['keep the ErrorInfo code and text verbatim (see evidence)'],
    children: ['cert-publish-failed', 'cert-csr-policy', 'cert-auth-disabled', 'resolve-proof-rejected'],
  },
  'cert-publish-failed': {
    severity: 'fail',
    severityNote: 'often intermittent',
    diagnosis: "The web services could not store the new certificate in the user's home pool.",
    check: [
      "connectivity from the Front End to the back end of the user's home pool",
      'Get-CsUser <user> | Select-Object RegistrarPool',
      'Test-CsPhoneBootstrap -UserSipAddress sip:<user> -Verbose, then restart the phone',
    ],
  },
  'cert-auth-disabled': {
    severity: 'fail',
    diagnosis: 'Certificate authentication is switched off, and PIN phones cannot work at all without it.',
    check: [
      'Get-CsWebServiceConfiguration | Select-Object UseCertificateAuth',
      'Get-CsProxyConfiguration | Select-Object Identity, UseCertificateForClientToProxyAuth',
      'set both to True',
    ],
  },
  'cert-csr-policy': {
    severity: 'fail',
    inference: true,
    diagnosis: "The request falls outside the server's certificate policy.",
    check: [
      'Get-CsWebServiceConfiguration | Select-Object *CSRKeySize, *ValidityPeriodHours, CASigningKeyLength',
      'request RSA 2048, as Lync clients do',
    ],
  },
  'cert-response-unparsable': {
    severity: 'fail',
    severityNote: 'tool side',
    diagnosis: 'The call succeeded, but no certificate could be read from the answer.',
    check: ['the answer kept under --trace DIR', 'match the certificate by local name in any namespace'],
  },
  'cert-issued-invalid': {
    severity: 'fail',
    severityNote: 'warn for a short but usable validity',
    diagnosis: 'A certificate came back, but the registrar would not accept it or it will not last.',
    check: [
      'Get-CsWebServiceConfiguration (validity settings)',
      "the certificate's issuer against the downloaded chain",
      'the clocks on the Front Ends and this host',
    ],
  },
});

const REGISTRAR = section('registrar', {
  'registrar-port-unreachable': {
    severity: 'fail',
    diagnosis: 'The registrar pool does not accept TLS connections on its SIP port.',
    check: [
      'Test-NetConnection <fqdn> -Port 5061 from the voice VLAN',
      'Get-CsWindowsService on the pool members',
      'Get-CsService -Registrar | Select-Object PoolFqdn, SipPort',
    ],
  },
  'registrar-cert-name-mismatch': {
    severity: 'fail',
    diagnosis: 'The registrar\'s certificate does not cover the name the phone connects to.',
    check: [
      'Get-CsCertificate on the Directors and Front Ends',
      'the subject/SAN must include the option-120 FQDN and any SRV target',
    ],
  },
  'registrar-cert-untrusted': {
    severity: 'fail',
    diagnosis: 'The registrar certificate does not chain to the downloaded root.',
    check: ["the Director's certificate chain", 'the web-service chain settings, as for chain-missing-issuer'],
  },
  'registrar-no-tls-dsk': {
    severity: 'fail',
    diagnosis: 'The registrar offers no TLS-DSK (certificate) authentication, which PIN phones need.',
    check: [
      'Get-CsProxyConfiguration',
      'Set-CsProxyConfiguration -Identity <scope> -UseCertificateForClientToProxyAuth $true',
    ],
  },
  'registrar-tls-dsk-rejected': {
    severity: 'fail',
    diagnosis: 'The registrar refused the freshly issued client certificate.',
    check: [
      'Front End event logs for events 32042 and 61045',
      'clean up Trusted Root: move intermediates to the Intermediate store, remove duplicates, trim the list',
      'UseCertificateForClientToProxyAuth in the proxy configuration',
    ],
  },
  'registrar-cert-wildcard': {
    severity: 'fail',
    severityNote: 'for Lync Phone Edition',
    diagnosis: 'The registrar certificate names the pool with a wildcard, which Lync Phone Edition does not accept.',
    check: [
      'Get-CsCertificate on the Front Ends and Directors',
      'issue a certificate that lists the pool and registrar FQDNs explicitly in the SAN',
    ],
  },
  'registrar-cert-sha1-chain': {
    severity: 'warn',
    inference: true,
    diagnosis: 'A certificate in the registrar chain is signed with SHA-1, which current clients and libraries refuse.',
    check: ['reissue the registrar certificate (and any SHA-1 intermediate) with SHA-256', 'the issuing CA\'s hash algorithm'],
  },
  'registrar-tls-dsk-inner-alert': {
    severity: 'fail',
    inference: true,
    diagnosis: 'The registrar ended the TLS-DSK handshake with a TLS alert inside gssapi-data.',
    check: [
      'Front End event logs for TLS-DSK and SChannel errors at the time of the run',
      'the pool\'s client certificate settings (UseCertificateForClientToProxyAuth) and its Trusted Root store',
    ],
  },
  'registrar-tls-dsk-bad-server-signature': {
    severity: 'fail',
    inference: true,
    diagnosis: 'The registrar\'s 200 OK is unsigned or its TLS-DSK signature does not verify.',
    check: [
      'a device between phone and pool that rewrites SIP (SBC, load balancer in SIP mode)',
      'centralized logging (CLS) on the pool for the REGISTER and its 200',
    ],
  },
  'registrar-client-version-blocked': {
    severity: 'fail',
    inference: true,
    diagnosis: 'The registrar refused the sign-in because of the client version policy.',
    check: ['Get-CsClientVersionPolicy and its rules for the phone\'s User-Agent', 'the ms-diagnostics header of the 403, verbatim'],
  },
  'registrar-redirected': {
    severity: 'info',
    inference: true,
    diagnosis: 'The registrar redirected the sign-in to another pool (the user\'s home pool).',
    check: ['normal behind a Director: the user\'s home pool must pass the same checks', 'Get-CsUser <user> | Select-Object RegistrarPool'],
  },
  'registrar-sts-uri-differs': {
    severity: 'info',
    inference: true,
    diagnosis: 'The registrar points phones at another CertProv service than the one DHCP names.',
    check: ['normal with several pools: run the webticket to certificate stages against that service too'],
  },
  'registrar-sip-error': {
    severity: 'fail',
    diagnosis: 'Registration ended with an error other than an authentication challenge.',
    check: [
      'Lync Server event logs on the pool',
      'Test-CsRegistration for a test user',
      'centralized logging (CLS, read with Snooper) on the pool',
    ],
  },
  'registrar-firmware-too-old': {
    severity: 'device-only',
    diagnosis: "The phone's firmware is too old for this server version.",
    check: ['Get-CsDeviceUpdateRule: approve the update and restart the phones', 'the firmware version on the phone'],
  },
});

/** Every catalog id, in document order. */
export const CATALOG: readonly CatalogEntry[] = [
  ...DISCOVER,
  ...TIME,
  ...DNS,
  ...ROOTCHAIN,
  ...WEBTICKET,
  ...RESOLVEUSER,
  ...CERTIFICATE,
  ...REGISTRAR,
];

const BY_ID: ReadonlyMap<string, CatalogEntry> = new Map(CATALOG.map((entry) => [entry.id, entry]));

export function catalogEntry(id: string): CatalogEntry | undefined {
  return BY_ID.get(id);
}

/** Like catalogEntry, for ids the code itself names: a typo is a bug, not a lookup miss. */
export function requireCatalogEntry(id: string): CatalogEntry {
  const entry = BY_ID.get(id);
  if (!entry) throw new Error(`diagnosis catalog has no id "${id}"`);
  return entry;
}

export function unclassifiedId(stage: CatalogStage): string {
  return `${STAGE_PREFIX[stage]}-unclassified`;
}

/**
 * When a stage ends the run on something the catalog has no row for (diagnosis.md 0.1: never force a
 * near miss). The evidence carries the raw observation.
 */
export function unclassifiedEntry(stage: CatalogStage): CatalogEntry {
  return {
    id: unclassifiedId(stage),
    stage,
    severity: 'fail',
    diagnosis: `The ${stage} stage failed in a way the catalog does not describe; see the raw evidence.`,
    check: [
      'read the error and evidence of this stage verbatim',
      'keep every exchange with --trace DIR (secrets are redacted) and attach it to a ticket',
      'run Test-CsPhoneBootstrap -Verbose from the same network to compare',
    ],
  };
}
