// Stage 2, rootchain: the anonymous download of the issuing chain over plain HTTP (port 80 role),
// before anything is trusted. What arrives becomes the only trust anchors for HTTPS, so the stage
// shows exactly what is now trusted: subject, issuer, SHA-256 fingerprint, validity.

import { CONTENT } from '../diagnosis/observation.js';
import { certificateInfo, toPem } from '../pki/certs.js';
import {
  buildRootChainRequest,
  DEFAULT_ROOT_CHAIN_VARIANT,
  describeRootChain,
  ROOT_CHAIN_VARIANTS,
  parseRootChainResponse,
  type RootChainBinding,
  type RootChainVariant,
} from '../soap/services/inferred/root-chain.js';
import { ACTION_GET_ROOT_CERT_CHAIN } from '../soap/namespaces.js';
import { portsWithOperation, soapActionFor, soapVersionOf } from '../soap/services/mex.js';
import { fetchMetadata } from './metadata.js';
import { contentFailure, httpFailure, send, soapFaultFailure } from './exchange.js';
import { TransportError } from '../net/errors.js';
import type { Evidence } from '../model.js';
import { StageFailure, type StageContext, type StageOutcome } from './types.js';

/** The anonymous CertProv URI: the option-43 path on the same host, over HTTP on port 80. */
export function anonymousCertProvUrl(certProvisioningUrl: URL): string {
  const url = new URL(certProvisioningUrl.toString());
  url.protocol = 'http:';
  url.port = '';
  return url.toString();
}

function variantOf(context: StageContext): RootChainVariant {
  const asked = context.options.rootChainShape;
  if (asked === undefined) return DEFAULT_ROOT_CHAIN_VARIANT;
  if (!(ROOT_CHAIN_VARIANTS as readonly string[]).includes(asked)) {
    throw new Error(`unknown root chain shape "${asked}" (the CLI checks this before the run)`);
  }
  return asked as RootChainVariant;
}

async function askForChain(context: StageContext, variant: RootChainVariant, serviceUrl: string, binding?: RootChainBinding) {
  const request = buildRootChainRequest(variant, serviceUrl, binding);
  const response = await send(context, {
    method: request.method,
    url: request.url,
    label: binding ? 'GetRootCertChain-wsdl-action' : 'GetRootCertChain',
    headers: request.headers,
    body: request.body,
    oversizedAs: CONTENT.chain,
  });
  return { url: request.url, response, parsed: parseRootChainResponse({ body: response.body, contentType: response.headers['content-type'] }) };
}

/**
 * GetRootCertChain's action and SOAP version from the anonymous service's own metadata (…/mex,
 * ?wsdl, GetMetadata), or undefined when there is none or it does not name the operation: the
 * documented request's failure then stands, since a metadata failure would add nothing to it.
 */
async function bindingFromWsdl(context: StageContext, serviceUrl: string): Promise<RootChainBinding | undefined> {
  let metadata;
  try {
    metadata = await fetchMetadata(context, { serviceUrl, label: 'CertProvisioningService-anonymous', subject: 'Anonymous CertProv' });
  } catch (error) {
    if (error instanceof StageFailure || error instanceof TransportError) {
      context.log.detail(`No usable metadata for the anonymous service: ${error.message}`);
      return undefined;
    }
    throw error;
  }
  const port = portsWithOperation(metadata.mex, 'GetRootCertChain')[0];
  const action = port ? soapActionFor(metadata.mex, port.name, 'GetRootCertChain') : undefined;
  if (!port || !action) return undefined;
  return { action: action.action, soapVersion: soapVersionOf(metadata.mex, port.name) };
}

export async function rootchain(context: StageContext): Promise<StageOutcome> {
  const { state, log } = context;
  if (!state.certProvisioningUrl) throw new Error('rootchain needs the certificate provisioning URL from discover');
  const serviceUrl = anonymousCertProvUrl(state.certProvisioningUrl);
  const variant = variantOf(context);
  log.step(`Connecting to web service : ${serviceUrl}`);
  log.step('Using anonymous authentication');
  log.step('Attempting to download certificate root chain');
  log.inferred(`${describeRootChain(variant).replace(/^inferred: /, '')}; switch with --root-chain-shape ${ROOT_CHAIN_VARIANTS.join('|')}`);

  let attempt = await askForChain(context, variant, serviceUrl);
  let evidence: Evidence = { url: attempt.url, variant };
  if (variant === 'soap' && (attempt.parsed.kind === 'fault' || attempt.response.status !== 200)) {
    // Only now is the service's own metadata worth the round trips: the documented action was refused.
    const binding = await bindingFromWsdl(context, serviceUrl);
    if (binding && (binding.action !== ACTION_GET_ROOT_CERT_CHAIN || binding.soapVersion !== '1.1')) {
      log.detail(`GetRootCertChain refused with the documented action; the service's metadata names ${binding.action} (SOAP ${binding.soapVersion}): asking once more`);
      attempt = await askForChain(context, variant, serviceUrl, binding);
      evidence = { url: attempt.url, variant, action: binding.action, actionFrom: 'metadata', soap: binding.soapVersion };
    }
  }
  const { response, parsed } = attempt;
  if (parsed.kind === 'fault') throw soapFaultFailure(parsed.fault, response, evidence);
  if (response.status !== 200) throw httpFailure(response, evidence);
  if (parsed.kind === 'empty') throw contentFailure(CONTENT.chain, `GetRootCertChain answered ${response.status} without certificates: ${parsed.detail}`, evidence);
  if (parsed.certificates.length === 0) throw contentFailure(CONTENT.chain, 'GetRootCertChain answered with zero certificates', evidence);

  // Every certificate was parsed (and refused if it did not parse) when the answer was read.
  const certificates = parsed.parsed;
  log.step('GetRootCertChain() webservice call successful');
  log.detail(`Chain as ${parsed.format} (${parsed.encoding}, found in ${parsed.foundIn}), ${certificates.length} certificate(s); trusted from now on:`);
  const infos = certificates.map((certificate) => certificateInfo(certificate));
  for (const info of infos) {
    log.detail(`  subject ${info.subject}; issuer ${info.issuer}; SHA-256 ${info.sha256Fingerprint}; valid ${info.notBefore} .. ${info.notAfter}`);
  }
  const pems = parsed.certificates.map((der) => toPem(der));
  state.rootChain = { pems, certificates };
  state.discovered.rootChainFormat = parsed.format;
  state.discovered.trustedRoots = infos;
  const anchors = [...pems, ...context.options.extraTrustAnchors];
  if (context.options.extraTrustAnchors.length > 0) {
    log.detail(`Also trusting ${context.options.extraTrustAnchors.length} certificate(s) from --ca-file`);
  }
  context.transport.trust(anchors);

  const first = infos[0]!;
  const expired = infos.filter((info) => new Date(info.notAfter).getTime() < context.clock.now().getTime());
  for (const info of expired) log.warn(`Downloaded certificate ${info.subject} expired on ${info.notAfter}`);
  return {
    status: 'pass',
    summary: `${parsed.format}, ${infos.length} cert(s): ${first.subject}`,
    evidence: { ...evidence, format: parsed.format, certificates: infos.length, subjects: infos.map((info) => info.subject), sha256: first.sha256Fingerprint },
  };
}
