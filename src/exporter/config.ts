// The exporter's YAML configuration: modules (account, discovery, stages, budgets, trust) and the
// exporter's own limits. Validated as a whole before use; the first problem becomes one ConfigError
// naming the file, the line and the key, e.g. `exporter.yml:12: modules.lab.budgets.timeout: "3x" is
// not a duration`. The PIN is read here (file or environment) and held only inside the module's
// account; it never appears in an error message.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node as YamlNode, type YAMLMap } from 'yaml';
import { parsePhoneOrExt, parseSipAddress } from '../cli/bootstrap.js';
import { parseServerAddress } from '../cli/dhcp.js';
import { firstLine, validatePin } from '../cli/pin.js';
import { UsageError } from '../errors.js';
import { STAGE_NAMES, type StageName } from '../model.js';
import { ResolveRuleError, parseResolveRule, type ResolveRule } from '../net/resolve.js';
import { STAGE_TABLE } from '../stages/registry.js';
import { parseDnsServer } from '../dns/resolver.js';
import type { UdpEndpoint } from '../net/udp-exchange.js';
import { BootstrapTestError } from '../errors.js';

export class ConfigError extends BootstrapTestError {
  constructor(message: string) {
    super('BT_EXPORTER_CONFIG', message);
  }
}

export interface AccountConfig {
  extension: string;
  /** Where the PIN came from, for the status page: `file /path` or `env NAME`. Never the PIN. */
  pinSource: string;
  expectedSipUri?: string;
  /** Identifies this account's settings (PIN included, hashed): a latch ends when it changes. */
  fingerprint: string;
}

export interface DhcpDiscovery {
  interfaceName?: string;
  server?: { address: string; port: number };
  /** 68 as a phone uses; 0 = ephemeral (only for a unicast server such as the lab's). */
  clientPort: number;
  timeoutMs: number;
  tries: number;
  /** After the first answer, listen this long for other servers. */
  listenMs: number;
}

/**
 * Certificate reuse: while a certificate issued to this module's account is held and valid, probes run
 * only the stages that need no PIN; the PIN path runs again every `fullIntervalMs`, or when the held
 * certificate has less than `minValidityMs` left.
 */
export interface ReuseConfig {
  fullIntervalMs: number;
  minValidityMs: number;
  /** Keep the certificate and key across restarts here (directory 0700, files 0600); memory only when absent. */
  stateDir?: string;
}

export interface ModuleConfig {
  name: string;
  account: AccountConfig;
  discovery: {
    dhcp: DhcpDiscovery;
    targetUri?: string;
    targetFqdn?: string;
    /** The DNS server the sign-in stages ask (SRV, A), instead of this host's resolver. */
    dnsServer?: UdpEndpoint;
  };
  /** The stages a probe runs, in run order. */
  stages: StageName[];
  reuse?: ReuseConfig;
  budgets: { timeoutMs: number; minIntervalMs: number; stageTimeoutsMs: Partial<Record<StageName, number>> };
  trust: { caFiles: string[]; resolve: ResolveRule[] };
}

export interface ExporterConfig {
  /** Probes running at once; the others wait in a queue (their wait shows in /metrics). */
  concurrency: number;
  /** Subtracted from X-Prometheus-Scrape-Timeout-Seconds so the answer arrives before Prometheus gives up. */
  timeoutMarginMs: number;
  /** How long a scrape waits when Prometheus sends no timeout header. */
  defaultScrapeTimeoutMs: number;
  /** Probes listed on the status page. */
  recentProbes: number;
  modules: ReadonlyMap<string, ModuleConfig>;
}

/** Held apart from ModuleConfig so that rendering or logging a module can never include the PIN. */
export interface LoadedConfig {
  config: ExporterConfig;
  pins: ReadonlyMap<string, string>;
}

export interface ConfigEnvironment {
  env: NodeJS.ProcessEnv;
  readFile: (path: string) => Promise<string>;
}

const DEFAULTS = {
  concurrency: 4,
  timeoutMarginMs: 500,
  defaultScrapeTimeoutMs: 10_000,
  recentProbes: 20,
  timeoutMs: 60_000,
  minIntervalMs: 300_000,
  dhcpTimeoutMs: 3000,
  dhcpTries: 2,
  dhcpClientPort: 68,
  dhcpListenMs: 1000,
  reuseFullIntervalMs: 86_400_000,
  reuseMinValidityMs: 3_600_000,
} as const;

const UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Walks the YAML nodes, so every complaint can name the line it is about. */
class Reader {
  constructor(
    private readonly source: string,
    private readonly lines: LineCounter,
  ) {}

  fail(node: YamlNode | null | undefined, path: string, message: string): never {
    const offset = node?.range?.[0];
    const line = offset === undefined ? '' : `:${this.lines.linePos(offset).line}`;
    throw new ConfigError(`${this.source}${line}: ${path}: ${message}`);
  }

  map(node: unknown, path: string, allowed: readonly string[]): YAMLMap<unknown, unknown> {
    if (!isMap(node)) this.fail(node as YamlNode, path, 'expected a mapping (key: value lines)');
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!allowed.includes(key)) this.fail(pair.key as YamlNode, `${path}.${key}`, `unknown key (expected one of ${allowed.join(', ')})`);
    }
    return node;
  }

  /** The value node at `key`, or undefined. */
  child(map: YAMLMap<unknown, unknown>, key: string): YamlNode | undefined {
    return (map.get(key, true) as YamlNode | undefined) ?? undefined;
  }

  string(node: YamlNode | undefined, path: string): string | undefined {
    if (node === undefined) return undefined;
    if (!isScalar(node) || node.value === null || typeof node.value === 'object') this.fail(node, path, 'expected a text value');
    return String(node.value);
  }

  requiredString(map: YAMLMap<unknown, unknown>, key: string, path: string): string {
    const value = this.string(this.child(map, key), `${path}.${key}`);
    if (value === undefined || value.trim() === '') this.fail(map, `${path}.${key}`, 'missing');
    return value;
  }

  wholeNumber(node: YamlNode | undefined, path: string, min: number, max: number, fallback: number): number {
    if (node === undefined) return fallback;
    const value = isScalar(node) ? node.value : undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(node, path, `expected a whole number in ${min}..${max}`);
    }
    return value;
  }

  /** `500ms`, `2.5s`, `5m`, `1h`, or a bare number of seconds. */
  duration(node: YamlNode | undefined, path: string, fallback: number, maxMs = 86_400_000): number {
    if (node === undefined) return fallback;
    const text = isScalar(node) ? String(node.value) : '';
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
    if (!match) this.fail(node, path, `"${text}" is not a duration (e.g. 800ms, 2.5s, 5m, 1h)`);
    const ms = Math.round(Number(match[1]) * (UNITS_MS[match[2] ?? 's'] ?? 1000));
    if (ms < 1 || ms > maxMs) this.fail(node, path, `"${text}" is not between 1 ms and ${maxMs / 3_600_000} h`);
    return ms;
  }

  strings(node: YamlNode | undefined, path: string): Array<{ value: string; node: YamlNode }> {
    if (node === undefined) return [];
    if (!isSeq(node)) this.fail(node, path, 'expected a list');
    return node.items.map((item, index) => ({ value: this.string(item as YamlNode, `${path}[${index}]`) ?? '', node: item as YamlNode }));
  }

  /** Runs one of the command line's own value checks and words its complaint for this file. */
  checked<T>(node: YamlNode | undefined, path: string, check: () => T): T {
    try {
      return check();
    } catch (error) {
      if (error instanceof UsageError || error instanceof ResolveRuleError) {
        this.fail(node, path, error.message.replace(/^--[a-z-]+(?: port)?: /, ''));
      }
      throw error;
    }
  }
}

async function readPin(reader: Reader, account: YAMLMap<unknown, unknown>, path: string, environment: ConfigEnvironment): Promise<{ pin: string; source: string }> {
  const fileNode = reader.child(account, 'pin_file');
  const envNode = reader.child(account, 'pin_env');
  if ((fileNode === undefined) === (envNode === undefined)) reader.fail(account, path, 'give exactly one of pin_file and pin_env');
  if (fileNode !== undefined) {
    const file = reader.string(fileNode, `${path}.pin_file`) ?? '';
    let text: string;
    try {
      text = await environment.readFile(file);
    } catch (error) {
      reader.fail(fileNode, `${path}.pin_file`, `cannot read "${file}" (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    return { pin: reader.checked(fileNode, `${path}.pin_file`, () => validatePin(firstLine(text), '--pin-file')), source: `file ${file}` };
  }
  const name = reader.string(envNode, `${path}.pin_env`) ?? '';
  const value = environment.env[name];
  if (value === undefined) reader.fail(envNode, `${path}.pin_env`, `the environment variable ${name} is not set`);
  return { pin: reader.checked(envNode, `${path}.pin_env`, () => validatePin(value.trim(), 'BOOTSTRAP_TEST_PIN')), source: `env ${name}` };
}

function fingerprintOf(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/**
 * The module's stages: any selection in run order that starts with discover (every stage needs what
 * it finds) and takes the PIN path as a whole up to its last PIN stage (each needs the one before).
 */
function stagesOf(reader: Reader, node: YamlNode | undefined, path: string): StageName[] {
  if (node === undefined) return [...STAGE_NAMES];
  const listed = reader.strings(node, path).map(({ value, node: item }) => {
    if (!(STAGE_NAMES as readonly string[]).includes(value)) reader.fail(item, path, `"${value}" is not a stage (stages: ${STAGE_NAMES.join(', ')})`);
    return value as StageName;
  });
  const positions = listed.map((stage) => STAGE_NAMES.indexOf(stage));
  if (positions.some((position, index) => index > 0 && position <= (positions[index - 1] ?? -1))) {
    reader.fail(node, path, `list each stage once, in run order (${STAGE_NAMES.join(', ')})`);
  }
  if (listed[0] !== STAGE_NAMES[0]) reader.fail(node, path, `the first stage must be ${STAGE_NAMES[0]} (every later stage needs what it finds)`);
  const pinStages = STAGE_TABLE.filter((entry) => entry.needsPin).map((entry) => entry.name);
  const lastPin = Math.max(-1, ...listed.map((stage) => pinStages.indexOf(stage)));
  const missing = pinStages.slice(0, lastPin + 1).filter((stage) => !listed.includes(stage));
  if (missing.length > 0) reader.fail(node, path, `the PIN path runs as a whole: ${pinStages[lastPin]} needs ${missing.join(', ')}`);
  return listed;
}

function reuseOf(reader: Reader, node: YamlNode | undefined, path: string): ReuseConfig | undefined {
  if (node === undefined) return undefined;
  if (isScalar(node) && node.value === false) return undefined;
  if (isScalar(node) && node.value === true) return { fullIntervalMs: DEFAULTS.reuseFullIntervalMs, minValidityMs: DEFAULTS.reuseMinValidityMs };
  const map = reader.map(node, path, ['full_interval', 'min_validity', 'state_dir']);
  const stateDir = reader.string(reader.child(map, 'state_dir'), `${path}.state_dir`);
  return {
    fullIntervalMs: reader.duration(reader.child(map, 'full_interval'), `${path}.full_interval`, DEFAULTS.reuseFullIntervalMs, 30 * 86_400_000),
    minValidityMs: reader.duration(reader.child(map, 'min_validity'), `${path}.min_validity`, DEFAULTS.reuseMinValidityMs, 30 * 86_400_000),
    ...(stateDir !== undefined ? { stateDir } : {}),
  };
}

async function moduleOf(reader: Reader, name: string, node: unknown, environment: ConfigEnvironment): Promise<{ module: ModuleConfig; pin: string }> {
  const path = `modules.${name}`;
  if (!/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/.test(name)) reader.fail(node as YamlNode, path, 'a module name is letters, digits, _ and - (it becomes a label value)');
  const body = reader.map(node, path, ['account', 'discovery', 'stages', 'reuse_certificate', 'budgets', 'trust']);

  const accountPath = `${path}.account`;
  const account = reader.map(reader.child(body, 'account'), accountPath, ['extension', 'pin_file', 'pin_env', 'expected_sip_uri']);
  const extensionNode = reader.child(account, 'extension');
  const extension = reader.checked(extensionNode, `${accountPath}.extension`, () => parsePhoneOrExt(reader.string(extensionNode, `${accountPath}.extension`)));
  const sipNode = reader.child(account, 'expected_sip_uri');
  const sipText = reader.string(sipNode, `${accountPath}.expected_sip_uri`);
  const expectedSipUri = sipText === undefined ? undefined : reader.checked(sipNode, `${accountPath}.expected_sip_uri`, () => parseSipAddress(sipText));
  const { pin, source } = await readPin(reader, account, accountPath, environment);

  const discoveryPath = `${path}.discovery`;
  const discoveryNode = reader.child(body, 'discovery');
  const discovery = discoveryNode === undefined ? undefined : reader.map(discoveryNode, discoveryPath, ['dhcp', 'target_uri', 'target_fqdn', 'dns_server']);
  const dhcpNode = discovery ? reader.child(discovery, 'dhcp') : undefined;
  const dhcp = dhcpNode === undefined ? undefined : reader.map(dhcpNode, `${discoveryPath}.dhcp`, ['interface', 'server', 'client_port', 'timeout', 'tries', 'listen']);
  const serverNode = dhcp ? reader.child(dhcp, 'server') : undefined;
  const serverText = reader.string(serverNode, `${discoveryPath}.dhcp.server`);
  const interfaceName = dhcp ? reader.string(reader.child(dhcp, 'interface'), `${discoveryPath}.dhcp.interface`) : undefined;
  const targetUriNode = discovery ? reader.child(discovery, 'target_uri') : undefined;
  const targetFqdnNode = discovery ? reader.child(discovery, 'target_fqdn') : undefined;
  const targetUri = reader.string(targetUriNode, `${discoveryPath}.target_uri`);
  const targetFqdn = reader.string(targetFqdnNode, `${discoveryPath}.target_fqdn`);
  const dnsServerNode = discovery ? reader.child(discovery, 'dns_server') : undefined;
  const dnsServerText = reader.string(dnsServerNode, `${discoveryPath}.dns_server`);

  const budgetsPath = `${path}.budgets`;
  const budgetsNode = reader.child(body, 'budgets');
  const budgets = budgetsNode === undefined ? undefined : reader.map(budgetsNode, budgetsPath, ['timeout', 'min_interval', 'stage_timeouts']);
  const stageTimeoutsNode = budgets ? reader.child(budgets, 'stage_timeouts') : undefined;
  const stageTimeoutsMs: Partial<Record<StageName, number>> = {};
  if (stageTimeoutsNode !== undefined) {
    const map = reader.map(stageTimeoutsNode, `${budgetsPath}.stage_timeouts`, STAGE_NAMES);
    for (const stage of STAGE_NAMES) {
      const value = reader.child(map, stage);
      if (value !== undefined) stageTimeoutsMs[stage] = reader.duration(value, `${budgetsPath}.stage_timeouts.${stage}`, 0, 300_000);
    }
  }

  const trustPath = `${path}.trust`;
  const trustNode = reader.child(body, 'trust');
  const trust = trustNode === undefined ? undefined : reader.map(trustNode, trustPath, ['ca_files', 'resolve']);
  const caFiles = trust ? reader.strings(reader.child(trust, 'ca_files'), `${trustPath}.ca_files`).map((entry) => entry.value) : [];
  const resolve = trust
    ? reader.strings(reader.child(trust, 'resolve'), `${trustPath}.resolve`).map((entry) => reader.checked(entry.node, `${trustPath}.resolve`, () => parseResolveRule(entry.value)))
    : [];

  const module: ModuleConfig = {
    name,
    account: {
      extension,
      pinSource: source,
      ...(expectedSipUri !== undefined ? { expectedSipUri } : {}),
      fingerprint: fingerprintOf([extension, pin, expectedSipUri ?? '']),
    },
    discovery: {
      dhcp: {
        ...(interfaceName !== undefined ? { interfaceName } : {}),
        ...(serverText !== undefined ? { server: reader.checked(serverNode, `${discoveryPath}.dhcp.server`, () => parseServerAddress(serverText)) } : {}),
        timeoutMs: dhcp ? reader.duration(reader.child(dhcp, 'timeout'), `${discoveryPath}.dhcp.timeout`, DEFAULTS.dhcpTimeoutMs, 300_000) : DEFAULTS.dhcpTimeoutMs,
        tries: dhcp ? reader.wholeNumber(reader.child(dhcp, 'tries'), `${discoveryPath}.dhcp.tries`, 1, 10, DEFAULTS.dhcpTries) : DEFAULTS.dhcpTries,
        clientPort: dhcp ? reader.wholeNumber(reader.child(dhcp, 'client_port'), `${discoveryPath}.dhcp.client_port`, 0, 65535, DEFAULTS.dhcpClientPort) : DEFAULTS.dhcpClientPort,
        listenMs: dhcp ? reader.duration(reader.child(dhcp, 'listen'), `${discoveryPath}.dhcp.listen`, DEFAULTS.dhcpListenMs, 300_000) : DEFAULTS.dhcpListenMs,
      },
      ...(targetUri !== undefined ? { targetUri } : {}),
      ...(targetFqdn !== undefined ? { targetFqdn } : {}),
      ...(dnsServerText !== undefined
        ? { dnsServer: reader.checked(dnsServerNode, `${discoveryPath}.dns_server`, () => parseDnsServer(dnsServerText, 'dns_server')) }
        : {}),
    },
    stages: stagesOf(reader, reader.child(body, 'stages'), `${path}.stages`),
    budgets: {
      timeoutMs: budgets ? reader.duration(reader.child(budgets, 'timeout'), `${budgetsPath}.timeout`, DEFAULTS.timeoutMs, 600_000) : DEFAULTS.timeoutMs,
      minIntervalMs: budgets ? reader.duration(reader.child(budgets, 'min_interval'), `${budgetsPath}.min_interval`, DEFAULTS.minIntervalMs) : DEFAULTS.minIntervalMs,
      stageTimeoutsMs,
    },
    trust: { caFiles, resolve },
  };
  const reuse = reuseOf(reader, reader.child(body, 'reuse_certificate'), `${path}.reuse_certificate`);
  if (reuse) {
    if (!module.stages.includes('certificate')) reader.fail(reader.child(body, 'reuse_certificate'), `${path}.reuse_certificate`, 'needs the certificate stage among the stages (the full path issues what is reused)');
    module.reuse = reuse;
  }
  return { module, pin };
}

/** Parses and checks a whole configuration; throws one ConfigError naming file, line and key. */
export async function parseExporterConfig(text: string, source: string, environment: ConfigEnvironment): Promise<LoadedConfig> {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const reader: Reader = new Reader(source, lines);
  const syntax = document.errors[0];
  if (syntax) {
    throw new ConfigError(`${source}:${lines.linePos(syntax.pos[0]).line}: not valid YAML: ${syntax.message.split('\n')[0]}`);
  }
  const root = reader.map(document.contents, 'configuration', ['concurrency', 'scrape_timeout_margin', 'default_scrape_timeout', 'recent_probes', 'modules']);
  const modulesNode = reader.child(root, 'modules');
  if (!isMap(modulesNode) || modulesNode.items.length === 0) reader.fail(modulesNode ?? root, 'modules', 'at least one module is required');
  const modules = new Map<string, ModuleConfig>();
  const pins = new Map<string, string>();
  for (const pair of modulesNode.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : '';
    const { module, pin } = await moduleOf(reader, name, pair.value, environment);
    modules.set(name, module);
    pins.set(name, pin);
  }
  return {
    config: {
      concurrency: reader.wholeNumber(reader.child(root, 'concurrency'), 'concurrency', 1, 1000, DEFAULTS.concurrency),
      timeoutMarginMs: reader.duration(reader.child(root, 'scrape_timeout_margin'), 'scrape_timeout_margin', DEFAULTS.timeoutMarginMs, 60_000),
      defaultScrapeTimeoutMs: reader.duration(reader.child(root, 'default_scrape_timeout'), 'default_scrape_timeout', DEFAULTS.defaultScrapeTimeoutMs, 600_000),
      recentProbes: reader.wholeNumber(reader.child(root, 'recent_probes'), 'recent_probes', 0, 1000, DEFAULTS.recentProbes),
      modules,
    },
    pins,
  };
}

/** Reads and checks the configuration file; the PIN files it names are read too. */
export async function loadExporterConfigFile(path: string, env: NodeJS.ProcessEnv): Promise<LoadedConfig> {
  const read = (file: string): Promise<string> => readFile(file, 'utf8');
  let text: string;
  try {
    text = await read(path);
  } catch (error) {
    throw new ConfigError(`${path}: cannot read the configuration (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseExporterConfig(text, path, { env, readFile: read });
}
