// Stage 4, certprov-mex: the CertProv metadata over HTTPS (downloaded by the webticket stage, which
// needs it first: see certProvMetadata). It names the WebTicketProof port (the
// tickets' AppliesTo and where ResolveUser and GetAndPublishCert go), its policy (endorsing = a
// proof signature is required) and each operation's SOAP action.

import { CONTENT } from '../diagnosis/observation.js';
import { ACTION_GET_AND_PUBLISH_CERT, ACTION_RESOLVE_USER } from '../soap/namespaces.js';
import { CERTPROV_PROOF_PORT_PREFIX, chooseCertProvPort, soapActionFor, soapVersionOf, type ActionSource } from '../soap/services/mex.js';
import { contentFailure } from './exchange.js';
import { fetchMetadata, type FetchedMetadata } from './metadata.js';
import { secureTarget } from './https-address.js';
import type { StageContext, StageOutcome } from './types.js';

const OPERATION_DEFAULTS: Readonly<Record<string, string>> = {
  ResolveUser: ACTION_RESOLVE_USER,
  GetAndPublishCert: ACTION_GET_AND_PUBLISH_CERT,
};

const ACTION_SOURCE_TEXT: Readonly<Record<ActionSource, string>> = {
  soapAction: 'soapAction of the binding',
  'input-action': 'input Action of the portType',
  'wcf-default': "WCF's default for a contract without actions",
};

function downloadCertProvMetadata(context: StageContext): Promise<FetchedMetadata> {
  const service = context.state.certProvisioningUrl;
  if (!service) throw new Error('the CertProv metadata needs the certificate provisioning URL from discover');
  return fetchMetadata(context, { serviceUrl: service.toString(), label: 'CertProvisioningService', subject: 'CertProv' });
}

/**
 * The CertProv metadata, downloaded once per run by whichever stage asks first (the webticket stage,
 * which needs the WebTicketProof address as the ticket's AppliesTo); a failure is kept and rethrown
 * to every caller, so this stage reports it with its own diagnosis.
 */
export function certProvMetadata(context: StageContext): Promise<FetchedMetadata> {
  context.state.certProvMetadata ??= downloadCertProvMetadata(context);
  return context.state.certProvMetadata;
}

export async function certprovMex(context: StageContext): Promise<StageOutcome> {
  const { state, log } = context;
  const service = state.certProvisioningUrl;
  if (!service) throw new Error('certprov-mex needs the certificate provisioning URL from discover');
  log.step(`Connecting to web service : ${service.toString()}`);
  log.step('Using Webticket Proof authentication');
  const metadata = await certProvMetadata(context);
  const { mex, url: mexUrl } = metadata;
  log.detail(`MEX data from ${mexUrl} (${metadata.route}) was downloaded before the first web ticket (its WebTicketProof port is the ticket's AppliesTo)`);

  log.step(`Searching for end point with name ${CERTPROV_PROOF_PORT_PREFIX}`);
  const choice = chooseCertProvPort(mex);
  if (!choice.ok) {
    throw contentFailure(
      CONTENT.noProofPort,
      `CertProv metadata has no ${CERTPROV_PROOF_PORT_PREFIX} port; ports found: ${choice.found.join(', ') || 'none'}`,
      { url: mexUrl, portsFound: choice.found },
    );
  }
  log.step(`Found endpoint ${choice.port.name} at ${choice.port.address}`);
  const proofUrl = secureTarget(log, `Proof port ${choice.port.name}`, choice.port.address, mexUrl);
  const policy = choice.endorsing ? 'endorsing' : 'signed';
  if (choice.policy) {
    log.detail(`Policy ${choice.policy.id}: ${policy === 'endorsing' ? 'EndorsingSupportingTokens (proof signature required)' : 'SignedSupportingTokens (ticket without signature)'}`);
  } else {
    log.defaulted('No policy found for the proof port; signing the proof anyway (an endorsing server requires it, others ignore it)');
  }
  if (choice.issuerAddress) {
    log.detail(`Ticket issuer named by the policy: ${choice.issuerAddress}`);
    if (state.webTicketUrl && !sameService(choice.issuerAddress, state.pinPort?.serviceUrl ?? state.webTicketUrl)) {
      log.warn(`The policy names ${choice.issuerAddress} as ticket issuer; the first ticket came from ${state.webTicketUrl}`);
    }
  }

  const actions: Record<string, string> = {};
  for (const [operation, fallback] of Object.entries(OPERATION_DEFAULTS)) {
    const fromWsdl = soapActionFor(mex, choice.port.name, operation);
    actions[operation] = fromWsdl?.action ?? fallback;
    if (fromWsdl) log.detail(`SOAP action for ${operation} from the WSDL (${ACTION_SOURCE_TEXT[fromWsdl.source]}): ${fromWsdl.action}`);
    else log.defaulted(`SOAP action for ${operation} not in the WSDL; using ${fallback}`);
  }
  const soapVersion = soapVersionOf(mex, choice.port.name);
  if (soapVersion !== '1.1') log.detail(`${choice.port.name} has a SOAP ${soapVersion} binding`);

  state.certProv = {
    proofAddress: choice.port.address,
    proofUrl,
    portName: choice.port.name,
    policy,
    actions,
    soapVersion,
    metadata: mex,
    issuerAddress: choice.issuerAddress,
  };
  return {
    status: 'pass',
    summary: `${choice.port.name} (${policy}) at ${new URL(choice.port.address).pathname}`,
    evidence: { port: choice.port.name, address: choice.port.address, metadata: metadata.route, soap: soapVersion, ...(proofUrl !== choice.port.address ? { url: proofUrl } : {}), policy, ...(choice.issuerAddress ? { issuer: choice.issuerAddress } : {}) },
  };
}

/** Same service whatever the port-specific suffix (…/WebTicketService.svc vs …/WebTicketService.svc/pin). */
function sameService(a: string, b: string): boolean {
  const normal = (url: string) => url.toLowerCase().replace(/\/+$/, '');
  return normal(a).startsWith(normal(b)) || normal(b).startsWith(normal(a));
}
