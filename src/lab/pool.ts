// startLab(): an emulated Lync/Skype for Business front-end pool in one process. DHCP responder,
// the port-80 and port-443 web roles, a directory with a dial plan and PIN policy, a CA, and faults
// that can be switched per instance or per request. Everything binds to loopback unless told otherwise.

import { isIP } from 'node:net';
import { checkHostName, HostNameError } from '../net/hostname.js';
import { isLoopbackHost } from '../net/ipv4.js';
import type { RsaKeys } from '../pki/keys.js';
import type { PinEncoding } from '../soap/services/inferred/pin-credential.js';
import type { ResolveUserShape } from '../soap/services/inferred/resolve-user.js';
import type { ResolveUserResponseLayout } from './wire/resolve-user.js';
import type { RootChainVariant } from '../soap/services/inferred/root-chain.js';
import type { RootChainAnswerFormat } from './wire/root-chain.js';
import type { TokenLayout } from './wire/webticket.js';
import { labUrls, type LabCounters, type LabUrls, type PoolContext, type RequestedVariants } from './context.js';
import { DhcpResponder, type DhcpAdvertisement, type DhcpLogEntry, type DhcpStats } from './dhcp-responder.js';
import { DEFAULT_LAB_DOMAIN, sampleDirectory, typedNumberFor, type LabDirectory } from './directory.js';
import { FaultSet, parseFaultSpecs, type ActiveFault, type LabEndpoint } from './faults.js';
import { LabListener, type LabRequest, type LabResponse, type RequestLogEntry } from './http-server.js';
import { PinLedger, type PinLedgerSnapshot } from './pin-ledger.js';
import { PoolPki, siblingHost, type TlsIdentity } from './pool-pki.js';
import { TicketStore } from './tickets.js';
import { startSignInServices, type SignInServices } from './sign-in-services.js';
import { BootstrapTestError } from '../errors.js';
import type { WireLayout } from './layouts.js';
import { quoteText } from '../text.js';

type Services = typeof import('./services.js');

export const DEFAULT_LAB_FQDN = `pool01.${DEFAULT_LAB_DOMAIN}`;

export interface LabOptions {
  /** Pool FQDN (option 43 sub-option 3, the TLS certificate's name). Default pool01.lab.bootstrap-test.test. */
  fqdn?: string;
  /** Option 120. Default: the pool FQDN. */
  registrarFqdn?: string;
  /** Address every listener binds to. Default 127.0.0.1. */
  host?: string;
  /** Bind to a non-loopback address (never needed for tests or the demo). */
  allowNonLoopback?: boolean;
  /** 0 or undefined = a free port chosen by the system. */
  ports?: { dhcp?: number; http?: number; https?: number };
  /** Skip the DHCP responder (ports.dhcp is then 0). */
  dhcp?: boolean;
  /** Skip the sign-in services: SNTP, DNS and the TLS-DSK registrar (their ports are then 0). */
  signIn?: boolean;
  directory?: LabDirectory;
  /** Keep the lab CA here (created on first use) instead of a new CA per start. */
  caDir?: string;
  /** `--fault` values, e.g. ['pin-wrong', 'slow:200']. */
  faults?: string[];
  pinEncoding?: PinEncoding;
  rootChainVariant?: RootChainVariant | 'any';
  rootChainFormat?: RootChainAnswerFormat;
  resolveUserShape?: ResolveUserShape | 'any';
  resolveUserLayout?: ResolveUserResponseLayout;
  resolveUserAction?: string;
  /** How the token response carries the proof key; default 'computed-key' (WS-Trust 1.3 §4.4.3). */
  tokenLayout?: TokenLayout;
  proofPolicy?: 'endorsing' | 'signed';
  /** Valid server layouts to serve (`--variant`, listed by `--list-variants`). */
  layouts?: WireLayout[];
  /** Validity of issued user certificates (Set-CsWebServiceConfiguration default: 4320 h). */
  certValidityHours?: number;
  ticketLifetimeMinutes?: number;
  /** Request bodies above this get 413. Default 256 KiB. */
  maxRequestBytes?: number;
  keyBits?: number;
  /** RSA key pairs whose generation the caller already started (the CLI overlaps it with loading the lab). */
  keyPairs?: { ca?: Promise<RsaKeys>; server?: Promise<RsaKeys> };
  /** One line per request and per DHCP packet; never a PIN, entropy, key or assertion. */
  log?: (line: string) => void;
  /** The lab's real clock, for tests. */
  now?: () => number;
  /**
   * Port addresses the metadata publishes instead of the lab's own https URLs, e.g. the http://
   * addresses a WCF service behind a TLS-offloading load balancer publishes (issue 9).
   */
  publishedAddresses?: Partial<Pick<LabUrls, 'webTicketPin' | 'webTicketProof'>>;
}

export interface SampleUser {
  sipUri: string;
  lineUri: string;
  /** What to type on the phone. */
  phoneOrExt: string;
  /** Present for the built-in sample directory only. */
  pin?: string;
}

export interface LabStats {
  requests: { total: number; byPath: Record<string, number>; byStatus: Record<string, number> };
  pin: PinLedgerSnapshot;
  /** Shorthand for pin.totalFailures. */
  pinFailures: number;
  dhcp: DhcpStats;
  ticketsIssued: number;
  certificatesIssued: number;
  proofRejections: number;
  resolveUserCalls: number;
}

export interface Lab {
  readonly fqdn: string;
  readonly registrarFqdn: string;
  readonly host: string;
  readonly ports: { dhcp: number; http: number; https: number; sip: number; dns: number; ntp: number };
  /** The SIP domain of the lab's users and its DNS zone. */
  readonly sipDomain: string;
  readonly urls: LabUrls;
  /** The lab CA as PEM: what GetRootCertChain serves and what a client may pass as --ca-file. */
  readonly caCertificatesPem: string;
  readonly caCreated: boolean;
  readonly sampleUser: SampleUser;
  readonly directory: LabDirectory;
  /** Wall time startLab took, in ms. */
  readonly startupMs: number;
  readonly stats: LabStats;
  /** The lab-wide faults now in force, as `name` or `name:value`. */
  faults(): string[];
  /** Replaces the lab-wide faults (validates first; listeners and certificates follow). */
  setFaults(specs: readonly string[]): Promise<void>;
  /** Unlock-CsClientPin. */
  unlockPin(sipUri: string): void;
  /** The `bootstrap-test` arguments that run a phone's bootstrap against this lab. */
  clientArguments(user?: SampleUser): string[];
  stop(): Promise<void>;
}

/** An unusable lab option; one line naming the option. */
export class LabOptionError extends BootstrapTestError {
  constructor(message: string) {
    super('BT_LAB_OPTION', message);
  }
}

function checkOptions(options: LabOptions): void {
  const host = options.host ?? '127.0.0.1';
  if (isIP(host) !== 4 && host !== 'localhost') throw new LabOptionError(`bind: "${host}" is not an IPv4 address`);
  if (!isLoopbackHost(host) && !options.allowNonLoopback) {
    throw new LabOptionError(`bind: ${host} is not a loopback address; the lab serves loopback only unless forced`);
  }
  for (const [name, value] of [['fqdn', options.fqdn], ['registrar fqdn', options.registrarFqdn]] as const) {
    if (value === undefined) continue;
    try {
      // The lab's names go into certificates and URLs as given: refuse rather than convert.
      if (checkHostName(value).name !== value) throw new HostNameError(`"${value}" must be given without a trailing dot`);
    } catch (error) {
      if (error instanceof HostNameError) throw new LabOptionError(`${name}: ${error.message}`);
      throw error;
    }
  }
  for (const [name, value] of Object.entries(options.ports ?? {})) {
    if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > 65535)) {
      throw new LabOptionError(`${name} port: ${value} is not in 0..65535`);
    }
  }
  const hours = options.certValidityHours;
  if (hours !== undefined && (!Number.isInteger(hours) || hours < 1 || hours > 87600)) {
    throw new LabOptionError(`cert validity: ${hours} hours is not in 1..87600`);
  }
}

/** `sip:jeff@Lab.Test` → `lab.test`. */
function domainOf(sipUri: string | undefined): string | undefined {
  const at = sipUri?.lastIndexOf('@') ?? -1;
  return sipUri && at >= 0 ? sipUri.slice(at + 1).toLowerCase() : undefined;
}

function ipv4Successor(address: string): string {
  const parts = address.split('.').map(Number);
  const last = parts[3] ?? 0;
  parts[3] = last >= 254 ? 2 : last + 1;
  return parts.join('.');
}

function tlsIdentityFor(faults: FaultSet): TlsIdentity {
  if (faults.has('tls-other-ca')) return 'other-ca';
  if (faults.has('tls-name-mismatch')) return 'name-mismatch';
  if (faults.has('tls-cert-expired')) return 'expired';
  return 'pool';
}

function formatSpecs(faults: readonly ActiveFault[]): string[] {
  return faults.map((fault) => (fault.value === undefined ? fault.name : `${fault.name}:${fault.value}`));
}

function formatRequestLine(entry: RequestLogEntry): string {
  const status = typeof entry.status === 'number' ? String(entry.status) : entry.status;
  // Path, action and result may carry request text: each is cut to a quotable length.
  const action = entry.action ? ` ${quoteText(entry.action)}` : '';
  return `lab ${entry.role.padEnd(5)} ${entry.method} ${quoteText(entry.path)}${action} -> ${status} ${quoteText(entry.result)} ${Math.round(entry.ms)} ms`;
}

function formatDhcpLine(entry: DhcpLogEntry): string {
  const xid = entry.xid === undefined ? '' : ` xid 0x${entry.xid.toString(16).padStart(8, '0')}`;
  const vendor = entry.vendorClass === undefined ? '' : ` class "${entry.vendorClass}"`;
  const outcome =
    entry.outcome === 'answered'
      ? `ACK with ${entry.options?.join(',') || 'no UC options'} to ${entry.to}${entry.answers > 1 ? ` (+${entry.answers - 1} from the second server)` : ''}`
      : `ignored (${entry.outcome}${entry.detail ? `: ${entry.detail}` : ''})`;
  return `lab dhcp  INFORM from ${entry.from}${xid}${vendor} -> ${outcome} ${Math.round(entry.ms)} ms`;
}

export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const started = performance.now();
  checkOptions(options);
  let labFaults = new FaultSet(parseFaultSpecs(options.faults ?? []));
  const host = options.host ?? '127.0.0.1';
  const fqdn = (options.fqdn ?? DEFAULT_LAB_FQDN).toLowerCase();
  const registrarFqdn = (options.registrarFqdn ?? fqdn).toLowerCase();
  const realNow = options.now ?? Date.now;
  const requestedVariants: RequestedVariants = {
    ...(options.pinEncoding !== undefined ? { pinEncoding: options.pinEncoding } : {}),
    ...(options.rootChainVariant !== undefined ? { rootChainVariant: options.rootChainVariant } : {}),
    ...(options.rootChainFormat !== undefined ? { rootChainFormat: options.rootChainFormat } : {}),
    ...(options.resolveUserShape !== undefined ? { resolveUserShape: options.resolveUserShape } : {}),
    ...(options.resolveUserLayout !== undefined ? { resolveUserLayout: options.resolveUserLayout } : {}),
    ...(options.resolveUserAction !== undefined ? { resolveUserAction: options.resolveUserAction } : {}),
    ...(options.tokenLayout !== undefined ? { tokenLayout: options.tokenLayout } : {}),
    ...(options.proofPolicy !== undefined ? { proofPolicy: options.proofPolicy } : {}),
    ...(options.layouts !== undefined ? { layouts: options.layouts } : {}),
  };
  const log = options.log ?? ((): void => undefined);
  const directory = options.directory ?? sampleDirectory();
  const stopping = new AbortController();

  const requestStats: LabStats['requests'] = { total: 0, byPath: {}, byStatus: {} };
  const onRequest = (entry: RequestLogEntry): void => {
    requestStats.total += 1;
    const key = String(entry.status);
    requestStats.byStatus[key] = (requestStats.byStatus[key] ?? 0) + 1;
    requestStats.byPath[entry.path] = (requestStats.byPath[entry.path] ?? 0) + 1;
    log(formatRequestLine(entry));
  };

  // Key generation dominates start-up; the listeners bind while it runs.
  const pkiPromise = PoolPki.create({
    fqdn,
    ...(options.caDir !== undefined ? { caDir: options.caDir } : {}),
    ...(options.keyBits !== undefined ? { keyBits: options.keyBits } : {}),
    ...(options.keyPairs !== undefined ? { keyPairs: options.keyPairs } : {}),
    now: new Date(realNow()),
  });
  // The services (and the XML libraries under them) load once the pool is up; the first request waits for them.
  let base: Omit<PoolContext, 'variants'> | undefined;
  let ready: Promise<{ services: Services; context: PoolContext }> | undefined;
  const loadServices = (): Promise<{ services: Services; context: PoolContext }> => {
    const pool = base;
    if (!pool) return Promise.reject(new Error('the lab pool is still starting'));
    ready ??= import('./services.js').then((services) => ({ services, context: { ...pool, variants: services.servedVariants(requestedVariants) } }));
    return ready;
  };
  const handler = async (request: LabRequest): Promise<LabResponse> => {
    const { services, context } = await loadServices();
    return services.route(context, request, () => statusDocument(context));
  };
  const endpointOf = async (request: Pick<LabRequest, 'role' | 'method' | 'path' | 'headers' | 'body'>): Promise<LabEndpoint | undefined> => {
    const { services } = await loadServices();
    return services.endpointForPath(request);
  };
  const listenerBase = {
    host,
    handler,
    endpointOf,
    currentFaults: () => labFaults,
    maxRequestBytes: options.maxRequestBytes ?? 256 * 1024,
    onRequest,
    signal: stopping.signal,
  };
  const httpListener = new LabListener({ ...listenerBase, role: 'http', port: options.ports?.http ?? 0 });
  let httpsListener: LabListener | undefined;
  let dhcp: DhcpResponder | undefined;
  let signIn: SignInServices | undefined;
  let pki: PoolPki;
  /** GetAndPublishCert's publications, which the registrar checks: SHA-256 fingerprint → SIP URI. */
  const published = new Map<string, string>();
  const sipDomain = domainOf(directory.users[0]?.sipUri) ?? DEFAULT_LAB_DOMAIN;
  try {
    await httpListener.listen();
    if (options.dhcp !== false) {
      dhcp = new DhcpResponder({
        host,
        port: options.ports?.dhcp ?? 0,
        advertisement: () => advertisement(),
        rogueAdvertisement: () => rogueAdvertisement(),
        currentFaults: () => labFaults,
        onPacket: (entry) => log(formatDhcpLine(entry)),
        signal: stopping.signal,
      });
      await dhcp.listen();
    }
    pki = await pkiPromise;
    httpsListener = new LabListener({
      ...listenerBase,
      role: 'https',
      port: options.ports?.https ?? 0,
      tls: await pki.tls(tlsIdentityFor(labFaults)),
    });
    await httpsListener.listen();
    if (options.signIn !== false) {
      signIn = await startSignInServices({
        host,
        pki,
        registrarFqdn,
        sipDomain,
        stsUri: labUrls(fqdn, httpListener.port, httpsListener.port).certProv,
        published,
        currentFaults: () => labFaults,
        now: realNow,
        log,
      });
    }
  } catch (error) {
    stopping.abort();
    await Promise.all([httpListener.close(), httpsListener?.close(), dhcp?.close(), signIn?.close()]);
    await pkiPromise.catch(() => undefined);
    throw error;
  }
  const https = httpsListener;
  const ports = { http: httpListener.port, https: https.port, dhcp: dhcp?.port ?? 0, sip: signIn?.ports.sip ?? 0, dns: signIn?.ports.dns ?? 0, ntp: signIn?.ports.ntp ?? 0 };
  const urls: LabUrls = { ...labUrls(fqdn, ports.http, ports.https), ...options.publishedAddresses };

  const advertisement = (): DhcpAdvertisement => ({
    webServerFqdn: fqdn,
    webServerPort: ports.https,
    registrarFqdn,
    serverIdentifier: host === 'localhost' ? '127.0.0.1' : host,
  });
  // The forgotten second server: same segment, an older pool's names.
  const rogueAdvertisement = (): DhcpAdvertisement => ({
    webServerFqdn: siblingHost(fqdn, 'pool00-retired'),
    webServerPort: 443,
    registrarFqdn: siblingHost(registrarFqdn, 'pool00-retired'),
    serverIdentifier: ipv4Successor(host === 'localhost' ? '127.0.0.1' : host),
  });

  const counters: LabCounters = { ticketsIssued: 0, certificatesIssued: 0, proofRejections: 0, resolveUserCalls: 0 };
  const ledger = new PinLedger(directory.pinPolicy);
  base = {
    fqdn,
    registrarFqdn,
    urls,
    directory,
    ledger,
    tickets: new TicketStore(),
    pki,
    settings: {
      certValidityHours: options.certValidityHours ?? 4320,
      ticketLifetimeMinutes: options.ticketLifetimeMinutes ?? 480,
      proofSkewMs: 5 * 60_000,
    },
    counters,
    realNow,
    published,
  };

  const stats = (): LabStats => {
    const pin = ledger.snapshot();
    return {
      requests: structuredClone(requestStats),
      pin,
      pinFailures: pin.totalFailures,
      dhcp: structuredClone(dhcp?.stats ?? { received: 0, answered: 0, ignored: { 'not-dhcp': 0, 'not-inform': 0, 'other-vendor-class': 0, 'no-ciaddr': 0, 'options-not-requested': 0, silenced: 0 } }),
      ...counters,
    };
  };
  const statusDocument = (context: PoolContext): string =>
    JSON.stringify({ fqdn, ports, faults: formatSpecs(labFaults.faults), variants: context.variants, stats: stats() }, null, 2) + '\n';

  /** Brings listeners and the TLS certificate in line with the lab-wide faults. */
  const applyListenerFaults = async (faults: FaultSet): Promise<void> => {
    if (faults.has('cert-wrong-key')) await pki.spareKeyPair();
    https.setSecureContext(await pki.tls(tlsIdentityFor(faults)));
    signIn?.applyFaults(faults);
    const wanted: Array<[LabListener, boolean]> = [
      [httpListener, !faults.has('port80-closed')],
      [https, !faults.has('port443-closed')],
    ];
    for (const [listener, open] of wanted) {
      if (open && !listener.isListening) await listener.listen();
      if (!open && listener.isListening) await listener.close();
    }
  };
  await applyListenerFaults(labFaults);

  const sample = directory.users.find((user) => user.sipEnabled && user.pin !== undefined && !user.pinLocked) ?? directory.users[0];
  if (!sample) throw new LabOptionError('the directory has no users');
  const sampleUser: SampleUser = {
    sipUri: sample.sipUri,
    lineUri: sample.lineUri,
    phoneOrExt: typedNumberFor(sample),
    ...(options.directory === undefined && sample.pin !== undefined ? { pin: sample.pin } : {}),
  };

  let stopped = false;
  const startupMs = performance.now() - started;
  // Warm up off the start-up path, so that the first request does not pay for loading the services.
  setImmediate(() => void loadServices().catch(() => undefined));
  return {
    fqdn,
    registrarFqdn,
    host,
    ports,
    sipDomain,
    urls,
    caCertificatesPem: pki.chain.map((certificate) => certificate.pem).join(''),
    caCreated: pki.caCreated,
    sampleUser,
    directory,
    startupMs,
    get stats() {
      return stats();
    },
    faults: () => formatSpecs(labFaults.faults),
    async setFaults(specs) {
      const next = new FaultSet(parseFaultSpecs(specs));
      await applyListenerFaults(next);
      labFaults = next;
    },
    unlockPin: (sipUri) => ledger.unlock(sipUri),
    clientArguments: (user = sampleUser) => [
      '--ext',
      user.phoneOrExt,
      '--dhcp-server',
      `${host === 'localhost' ? '127.0.0.1' : host}:${ports.dhcp}`,
      '--client-port',
      '0',
      '--resolve',
      `${fqdn}:80=${host}:${ports.http}`,
      '--resolve',
      `${fqdn}=${host}`,
      ...(signIn ? ['--dns-server', `${host === 'localhost' ? '127.0.0.1' : host}:${ports.dns}`] : []),
    ],
    async stop() {
      if (stopped) return;
      stopped = true;
      stopping.abort();
      await Promise.all([httpListener.close(), https.close(), dhcp?.close(), signIn?.close()]);
    },
  };
}
