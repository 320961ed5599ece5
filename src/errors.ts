// One error base for everything the tool raises. Each error carries a stable `code` (like Node's
// ERR_* and undici's UND_ERR_*) that scripts, tests and the CLI's exit-code table match on; messages
// may be reworded, codes never change meaning. The CLI alone decides exit codes (src/cli/main.ts).

/** Every code the tool raises, with what it means. Listed here so the set is closed and documented. */
export const ERROR_CODES = {
  // Command line and input files
  BT_USAGE: 'the command line or an input file was wrong; nothing was sent',
  BT_PIN_PROMPT_INTERRUPTED: 'the PIN prompt was interrupted before a PIN was typed',
  BT_RESOLVE_RULE: 'a --resolve value is not HOST[:PORT]=ADDRESS[:PORT]',
  BT_HEX_PARSE: 'text given as hex bytes is not hex',
  BT_CAPTURE_FORMAT: 'a capture file is not a pcap/pcapng file this tool reads',
  BT_UNUSABLE_INPUT: 'input to decode holds no DHCP message or option',
  BT_DHCP_CONFIG: 'a value for a DHCP server configuration cannot be encoded',
  BT_INTERFACE_UNKNOWN: '--interface names no interface with an IPv4 address on this host',

  // This host cannot run the check
  BT_LOCAL_ENVIRONMENT: 'this host cannot run the check (privilege, bind, route)',
  BT_INTERFACE_UNDETERMINED: 'no way to tell which interface a phone would use; --interface is needed',
  BT_DHCP_SOCKET: 'the DHCP socket could not be bound or could not send (privilege, port 68 held, route)',
  BT_DHCP_INFORM_INTERRUPTED: 'dhcp inform was interrupted before its answers were in',

  // The run
  BT_STAGE_FAILURE: 'a stage saw something wrong with the deployment (carries the observation)',
  BT_STAGE_DEADLINE: 'a stage did not finish within its deadline',
  BT_RUN_INTERRUPTED: 'the run was stopped from outside (Ctrl-C) before it finished',
  BT_PIN_REJECTED: 'the server already rejected the PIN in this run, so it is not sent again',

  // Transport: a network exchange failed before a usable HTTP response arrived (src/net/errors.ts)
  BT_CONNECT_TIMEOUT: 'the TCP connection did not come up in time',
  BT_CONNECT_REFUSED: 'the peer refused the TCP connection',
  BT_CONNECTION_RESET: 'the peer reset or closed the connection before a complete answer',
  BT_TLS_ALERT: 'the server answered the TLS handshake with an alert',
  BT_TLS_CLOSED: 'the peer dropped the connection during the TLS handshake',
  BT_TLS_VERIFY: 'the server certificate was rejected (chain, name or validity)',
  BT_TLS_PLAIN_HTTP: 'the port expected to speak TLS answered in plain HTTP',
  BT_RESPONSE_TIMEOUT: 'no answer at all came back in time on an open connection',
  BT_RESPONSE_SLOW: 'the answer started (headers arrived) but did not complete in time',
  BT_RESPONSE_TOO_LARGE: 'the response body exceeded the configured cap',
  BT_RESPONSE_HEADERS_TOO_LARGE: 'the response headers exceeded what the HTTP client accepts',
  BT_NAME_RESOLUTION: 'the host name could not be resolved on this host',
  BT_PROTOCOL: 'the server answered with bytes that are not valid HTTP',
  BT_UDP_NO_REPLY: 'no matching UDP datagram came back before the deadline',
  BT_UDP_LOCAL: 'this host could not send the UDP request (bind, route, permission)',
  BT_SIP_PROTOCOL: 'the registrar closed the connection or sent bytes that are not SIP',
  BT_SECRET_NOT_HTTPS: 'a request carrying the PIN or a ticket was refused because its URL is not https',

  // The sign-in after the certificate: time, DNS, SIP and TLS-DSK (src/time, src/dns, src/sip)
  BT_SNTP_FORMAT: 'an NTP answer is not a well-formed SNTP packet',
  BT_DNS_FORMAT: 'a DNS answer is not a well-formed DNS message',
  BT_DNS_SERVER_SYNTAX: 'a --dns-server value is not HOST[:PORT]',
  BT_SIP_FORMAT: 'bytes from the registrar are not a well-formed SIP message',
  BT_SIP_AUTH_PARAMS: 'a SIP authentication header does not parse',
  BT_TLS_DSK_GSSAPI_DATA: 'gssapi-data does not hold whole TLS records',
  BT_TLS_DSK_LOCAL: 'this host could not set up its TLS-DSK engine (cipher string, key)',
  BT_TLS_DSK_PEER_ALERT: "the registrar's TLS-DSK token carried a TLS alert",
  BT_TLS_DSK_HANDSHAKE: "the TLS-DSK engine rejected the registrar's handshake flight",
  BT_TLS_DSK_UNUSABLE: 'the negotiated TLS-DSK suite gives no key or MAC to sign with',
  BT_TLS_DSK_ABORTED: 'the TLS-DSK handshake was aborted (deadline or signal)',

  // The exporter
  BT_EXPORTER_CONFIG: 'the exporter configuration file is invalid (names the line)',
  BT_PROBE_TARGET: 'a /probe target is not dhcp, dhcp:IF, a pool FQDN or a CertProv URL',

  // Parsing what servers send
  BT_XML: 'an XML document is malformed or unacceptable',
  BT_PROOF_XML: 'an XML fragment to sign or verify is malformed',
  BT_CERTIFICATE_PARSE: 'a certificate does not parse',

  // The lab
  BT_LAB_OPTION: 'a lab option is invalid',
  BT_FAULT_SPEC: 'a lab --fault value is invalid',
  BT_DIRECTORY: 'a lab user directory file is invalid',
  BT_CA_DIR: 'a lab CA directory cannot be used',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class BootstrapTestError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input: names the value and where it came from, e.g. `--port: "70000" is not in 1..65535`. */
export class UsageError extends BootstrapTestError {
  constructor(message: string) {
    super('BT_USAGE', message);
  }
}

/**
 * The host cannot run the check (privilege, bind, route); says how to fix it. `systemCode` is the
 * operating system's reason (errno), when there is one, for the diagnosis.
 */
export class LocalEnvironmentError extends BootstrapTestError {
  readonly systemCode?: string;

  constructor(
    message: string,
    options: { code?: ErrorCode; systemCode?: string } = {},
  ) {
    super(options.code ?? 'BT_LOCAL_ENVIRONMENT', message);
    if (options.systemCode !== undefined) this.systemCode = options.systemCode;
  }
}
