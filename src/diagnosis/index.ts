// The diagnosis engine's public surface: catalog, observation vocabulary, lookup and status mapping.
export { CATALOG, CATALOG_STAGES, STAGE_PREFIX, catalogEntry, requireCatalogEntry, unclassifiedId, type CatalogEntry, type CatalogStage } from './catalog.js';
export { CONTENT, DNS, observe, parseObservation, type TcpFailure } from './observation.js';
export { observationOf } from './transport.js';
export {
  LOOKUP_TABLE,
  PASSING_BUT_PHONES_FAIL,
  PIPELINE_TO_CATALOG_STAGE,
  catalogStageOf,
  classify,
  clockSkewSeverity,
  diagnose,
  diagnosisFor,
  mergeChecks,
  type DiagnosisContext,
} from './classify.js';
export { NAGIOS, NAGIOS_LABEL, nagiosStateForRun, nagiosStateForSeverity, stageStatusForSeverity, type NagiosState } from './status.js';
