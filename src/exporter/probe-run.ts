// One probe of a module against a target: the exporter's only call into the bootstrap pipeline, so a
// change of the pipeline's signature is met here and nowhere else in the exporter.

import type { BootstrapSettings } from '../cli/bootstrap.js';
import { parseFqdn, parseTargetUri } from '../cli/bootstrap.js';
import { pipelineOptionsFrom } from '../cli/bootstrap-run.js';
import { informSettings } from '../dhcp/inform-settings.js';
import { MSUC_DEFAULT_PATH } from '../dhcp/msuc.js';
import { UsageError } from '../errors.js';
import type { ConnectionInfo } from '../net/connector.js';
import type { KeyPair } from '../pki/keys.js';
import { runPipeline } from '../stages/pipeline.js';
import type { PinHolder } from '../stages/pin-holder.js';
import { STAGE_TABLE, type StageTable } from '../stages/registry.js';
import type { LogLine } from '../stages/types.js';
import type { RunReport } from '../model.js';
import type { ModuleConfig } from './config.js';
import {
  capturingIssuedCertificate,
  decideReuse,
  heldFrom,
  heldKeyPair,
  reuseReport,
  sipDomainOfHeld,
  stagesWithoutPin,
  type CertificateStore,
  type HeldCertificate,
} from './certificate-reuse.js';
import { BootstrapTestError } from '../errors.js';

/** Where a probe looks for the pool: a DHCP exchange (optionally on a named interface), or a given pool. */
export type ProbeTarget = { kind: 'dhcp'; interfaceName?: string } | { kind: 'pool'; targetUri: string; targetFqdn: string };

export class TargetError extends BootstrapTestError {
  constructor(message: string) {
    super('BT_PROBE_TARGET', message);
  }
}

/**
 * `dhcp`, `dhcp:eth1`, a pool FQDN (its CertProv URL is the documented path on 443), or the
 * CertProv URL itself. The module's target_fqdn, when set, names the registrar for a URL target.
 */
export function parseProbeTarget(text: string, module: ModuleConfig): ProbeTarget {
  const trimmed = text.trim();
  const dhcp = /^dhcp(?::([A-Za-z0-9._@-]{1,15}))?$/.exec(trimmed);
  if (dhcp) return dhcp[1] === undefined ? { kind: 'dhcp' } : { kind: 'dhcp', interfaceName: dhcp[1] };
  try {
    if (/^https?:\/\//i.test(trimmed)) {
      const targetUri = parseTargetUri(trimmed);
      return { kind: 'pool', targetUri, targetFqdn: module.discovery.targetFqdn ?? new URL(targetUri).hostname };
    }
    const fqdn = parseFqdn('target', trimmed);
    return { kind: 'pool', targetUri: `https://${fqdn}:443${MSUC_DEFAULT_PATH}`, targetFqdn: module.discovery.targetFqdn ?? fqdn };
  } catch (error) {
    if (error instanceof UsageError) {
      throw new TargetError(`target "${text.slice(0, 200)}" is not dhcp, dhcp:<interface>, a pool FQDN or a CertProv https URL`);
    }
    throw error;
  }
}

export interface ProbeRunResult {
  report: RunReport;
  log: LogLine[];
  connections: ConnectionInfo[];
}

export interface ProbeRunDependencies {
  /** A key pair to reuse instead of generating one per probe (benchmarks, tests). */
  keyPair?: Promise<KeyPair>;
  /** Where modules with reuse_certificate keep what the PIN path issued. */
  certificates?: CertificateStore;
  now?: () => number;
}

function settingsFor(module: ModuleConfig, target: ProbeTarget): BootstrapSettings {
  const dhcp = module.discovery.dhcp;
  const interfaceName = target.kind === 'dhcp' ? (target.interfaceName ?? dhcp.interfaceName) : dhcp.interfaceName;
  const settings: BootstrapSettings = {
    phoneOrExt: module.account.extension,
    registrarPort: 5061,
    caFiles: module.trust.caFiles,
    resolve: module.trust.resolve,
    dhcp: informSettings({
      interfaceName,
      server: dhcp.server,
      clientPort: dhcp.clientPort,
      timeoutMs: dhcp.timeoutMs,
      tries: dhcp.tries,
      listenMs: dhcp.listenMs,
    }),
    timeoutMs: module.budgets.timeoutMs,
    csrHash: 'sha1',
    maxResponseBytes: 4 * 1024 * 1024,
  };
  if (module.account.expectedSipUri) settings.userSipAddress = module.account.expectedSipUri;
  if (module.discovery.dnsServer) settings.dnsServer = module.discovery.dnsServer;
  if (target.kind === 'pool') {
    settings.targetUri = target.targetUri;
    settings.targetFqdn = target.targetFqdn;
  }
  return settings;
}

/** The module's stages from the registry, in run order. */
function moduleTable(module: ModuleConfig): StageTable {
  return STAGE_TABLE.filter((entry) => module.stages.includes(entry.name));
}

/** The held certificate belongs to this module, target and account settings (PIN included, hashed). */
function reuseKey(module: ModuleConfig, target: ProbeTarget): string {
  return `${module.name}\n${JSON.stringify(target)}\n${module.account.fingerprint}`;
}

/**
 * Runs the module's bootstrap against the target under the module's own budget. The scrape's
 * timeout is deliberately not passed in: a run that has sent the PIN must finish its exchange.
 * With reuse_certificate, a held valid certificate stands in for the PIN path (see certificate-reuse.ts).
 */
export async function runModuleProbe(module: ModuleConfig, target: ProbeTarget, pin: PinHolder, dependencies: ProbeRunDependencies = {}): Promise<ProbeRunResult> {
  const options = await pipelineOptionsFrom(settingsFor(module, target));
  options.stageTimeoutsMs = module.budgets.stageTimeoutsMs;
  const now = dependencies.now ?? Date.now;
  const table = moduleTable(module);
  const run = async (stages: StageTable, keyPair = dependencies.keyPair, runOptions = options): Promise<ProbeRunResult> => {
    const result = await runPipeline(runOptions, pin, {}, { stages, ...(keyPair ? { keyPair } : {}) });
    return { report: result.report, log: result.log, connections: result.connections };
  };
  const { reuse } = module;
  const store = dependencies.certificates;
  if (!reuse || !store) return run(table);

  const key = reuseKey(module, target);
  const decision = decideReuse(await store.get(key, reuse.stateDir), reuse, now());
  if (decision.kind === 'reuse') {
    const anonymous = stagesWithoutPin(table);
    const skipped = table.filter((entry) => entry.needsPin).map((entry) => entry.name);
    // Without ResolveUser the sign-in stages take the SIP domain from the held certificate's user.
    const sipDomain = options.sipDomain ?? sipDomainOfHeld(decision.held);
    const result = await run(anonymous, Promise.resolve(heldKeyPair(decision.held)), { ...options, sipDomain });
    return { ...result, report: reuseReport(result.report, module.stages, skipped, decision.held) };
  }
  let issued: HeldCertificate | undefined;
  const result = await run(capturingIssuedCertificate(table, (state, keyPair) => (issued = heldFrom(state, keyPair, now()))));
  if (issued && result.report.result === 'Success') {
    try {
      await store.put(key, issued, reuse.stateDir);
    } catch (error) {
      // Kept in memory all the same; only a restart will cost a PIN.
      result.log.push({ atMs: 0, stage: 'certificate', kind: 'warn', text: `could not keep the certificate in ${reuse.stateDir}: ${(error as NodeJS.ErrnoException).code ?? 'error'}` });
    }
  }
  result.log.unshift({ atMs: 0, stage: table[0]?.name ?? 'discover', kind: 'step', text: `full PIN path: ${decision.reason}` });
  return result;
}
