// The lab pool's public surface: startLab() and the data a caller needs around it (fault catalogue,
// directory format). The CLI, the demo and the end-to-end tests import from here.
//
// Which side of the wire code serves: the client folders (src/soap, src/pki) hold only what the
// client sends and reads (building requests, reading answers) and the codecs both sides genuinely
// share (the XML reader and writer helpers, envelopes, namespaces, the P_SHA1 proof key, the
// inferred message shapes, certificate parsing). Everything only a server does (reading requests,
// building answers and metadata, issuing SAML tickets, verifying proofs, writing faults, signing
// certificates as a CA) lives under src/lab: src/lab/wire/ per message, src/lab/ca.ts for the CA.
// So nothing on the client's path imports the XML-signature libraries or the CA, and the lab
// imports the client's codecs, never the reverse.

export { startLab, DEFAULT_LAB_FQDN, LabOptionError, type Lab, type LabOptions, type LabStats, type SampleUser } from './pool.js';
export {
  LAB_FAULTS,
  LAB_ENDPOINTS,
  FaultSpecError,
  faultDefinition,
  parseFaultSpec,
  parseFaultSpecs,
  type LabFaultDefinition,
  type LabFaultName,
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
