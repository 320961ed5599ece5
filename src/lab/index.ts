// The lab pool's public surface: startLab() and the data a caller needs around it (fault catalogue,
// directory format). The CLI, the demo and the end-to-end tests import from here.

export { startLab, DEFAULT_LAB_FQDN, LabOptionError, type Lab, type LabOptions, type LabStats, type SampleUser } from './pool.js';
export {
  LAB_FAULTS,
  LAB_ENDPOINTS,
  FaultSpecError,
  faultDefinition,
  parseFaultSpec,
  parseFaultSpecs,
  type LabFaultDefinition,
  type LabEndpoint,
} from './faults.js';
export {
  DirectoryError,
  parseDirectory,
  sampleDirectory,
  DEFAULT_LAB_DOMAIN,
  type LabDirectory,
  type LabUser,
  type DialPlan,
  type PinPolicy,
} from './directory.js';
export { CaDirError, CA_CERT_FILE, CA_KEY_FILE } from './pool-pki.js';
export { LAB_PATHS, type LabUrls } from './context.js';
export { AUTH_ERRORS } from './replies.js';
export { ERROR_INFO } from './certprov-service.js';
export { LAB_FAULT_HEADER } from './http-server.js';
