// The stage table: per stage, what the pipeline needs to run it. The names and their order come from
// STAGE_CATALOG_SECTIONS in src/model.ts (the base layer names stages for the reports and the
// diagnosis engine); this table is keyed on them, so a stage without an entry here does not compile.
// runPipeline takes a table like STAGE_TABLE as a parameter, so tests can run it with fake stages.

import { STAGE_CATALOG_SECTIONS, STAGE_NAMES, type StageName } from '../model.js';
import type { PipelineOptions, Stage } from './types.js';

/** The stage's limit from the configured one (--stage-timeout or the default) and the run's options. */
export type BudgetRule = (configuredMs: number, options: PipelineOptions) => number;

export interface StageDefinition {
  /** Stage modules load on first use, so the CLI reaches its first DHCP packet before the SOAP layer loads. */
  load: () => Promise<Stage>;
  /** Limit when the options set none for this stage; a stage never gets more than is left of the run. */
  defaultBudgetMs: number;
  /** When the stage's own limit is not simply the configured one. */
  budget?: BudgetRule;
  /** The stage speaks HTTP: the pipeline opens the transport before it runs. */
  usesHttp: boolean;
  /**
   * The stage belongs to the PIN and certificate path: it sends the PIN, or needs what sending it
   * bought (the PIN port, a ticket), or asks for a new certificate. A probe that reuses a certificate
   * it holds runs only the stages without this flag (the exporter's reuse mode).
   */
  needsPin: boolean;
}

export interface StageEntry extends StageDefinition {
  name: StageName;
  /** The catalogue section (diagnosis.md 0.2) its failures are looked up in. */
  catalogStage: (typeof STAGE_CATALOG_SECTIONS)[StageName];
}

/** Stages in run order. */
export type StageTable = readonly StageEntry[];

/** Time the discover stage gets beyond the DHCP deadline (interface lookup, socket set-up). */
export const DHCP_STAGE_MARGIN_MS = 1000;

const DEFINITIONS: { readonly [name in StageName]: StageDefinition } = {
  discover: {
    load: async () => (await import('./discover.js')).discover,
    // DHCP has its own deadline (--dhcp-timeout); this only bounds the stage around it.
    defaultBudgetMs: 65_000,
    // The stage must outlast the DHCP deadline to report what it heard.
    budget: (configuredMs, options) => Math.max(configuredMs, options.dhcp.timeoutMs + DHCP_STAGE_MARGIN_MS),
    usesHttp: false,
    needsPin: false,
  },
  rootchain: { load: async () => (await import('./rootchain.js')).rootchain, defaultBudgetMs: 10_000, usesHttp: true, needsPin: false },
  webticket: { load: async () => (await import('./webticket.js')).webticket, defaultBudgetMs: 15_000, usesHttp: true, needsPin: true },
  'certprov-mex': { load: async () => (await import('./certprov-mex.js')).certprovMex, defaultBudgetMs: 10_000, usesHttp: true, needsPin: true },
  resolveuser: { load: async () => (await import('./resolveuser.js')).resolveUser, defaultBudgetMs: 10_000, usesHttp: true, needsPin: true },
  'webticket-sip': { load: async () => (await import('./webticket-sip.js')).webticketSip, defaultBudgetMs: 15_000, usesHttp: true, needsPin: true },
  certificate: { load: async () => (await import('./certificate.js')).certificate, defaultBudgetMs: 20_000, usesHttp: true, needsPin: true },
  // A few SNTP exchanges and their DNS look-ups, each bounded well below this.
  time: { load: async () => (await import('./time.js')).time, defaultBudgetMs: 8_000, usesHttp: false, needsPin: false },
  dns: { load: async () => (await import('./dns.js')).dns, defaultBudgetMs: 8_000, usesHttp: false, needsPin: false },
  // Two handshakes at most (phone profile, then modern).
  'registrar-tls': { load: async () => (await import('./registrar-tls.js')).registrarTls, defaultBudgetMs: 10_000, usesHttp: false, needsPin: false },
  // Five transactions plus a sign-out, twice when redirected. It signs in with the certificate this
  // run was issued, so it belongs to the certificate path (a held certificate does not reach it yet).
  register: { load: async () => (await import('./register.js')).register, defaultBudgetMs: 15_000, usesHttp: false, needsPin: true },
};

export const STAGE_TABLE: StageTable = STAGE_NAMES.map((name) => ({ name, catalogStage: STAGE_CATALOG_SECTIONS[name], ...DEFINITIONS[name] }));

export interface StageBudget {
  /** What the stage may take, in ms (at least 1). */
  limitMs: number;
  /** The run's remaining time, not the stage's own limit, set the figure. */
  limitedByRun: boolean;
}

/**
 * A stage's budget: its configured limit (options, else the table's default), passed through its
 * budget rule, capped by what is left of the run.
 */
export function stageBudget(entry: StageDefinition & { name: StageName }, options: PipelineOptions, remainingRunMs: number): StageBudget {
  const configuredMs = options.stageTimeoutsMs?.[entry.name] ?? entry.defaultBudgetMs;
  const ownMs = entry.budget ? entry.budget(configuredMs, options) : configuredMs;
  return { limitMs: Math.max(1, Math.floor(Math.min(ownMs, remainingRunMs))), limitedByRun: remainingRunMs < ownMs };
}
