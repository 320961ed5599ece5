// Service metadata (WSDL + WS-Policy, usually wrapped in mex:Metadata) of the Web Ticket Service
// and of CertProvisioningService (protocol.md section 4). Metadata first: port addresses, policies
// and SOAP actions come from here; defaults only when the server publishes nothing.

import { WSDL_SOAP11, WSDL_SOAP12, XML_NS } from '../namespaces.js';
import type { SoapVersion } from '../envelope.js';
import { allElements, attr, child, childrenNamed, deep, parseXml, textOf, XmlError, type XmlElement } from '../xml.js';
import { quoteText } from '../../text.js';

export interface MexPort {
  name: string;
  /** Local part of the binding QName. */
  binding: string;
  /** soap:address/@location. */
  address?: string;
  /** The WSDL service the port belongs to. */
  service: string;
  /** Policies attached to the port itself (rare; bindings usually carry them). */
  policyIds?: string[];
}

export interface MexOperation {
  name: string;
  /** binding's soap:operation/@soapAction. */
  soapAction?: string;
}

export interface MexBinding {
  name: string;
  /** Local part of the portType QName. */
  portType: string;
  /** Policy ids referenced by the binding (without '#'). */
  policyIds: string[];
  operations: Map<string, MexOperation>;
  /** From the namespace of the binding's soap:binding element; undefined when it has none. */
  soapVersion?: SoapVersion;
}

export interface MexPortType {
  /** targetNamespace of the WSDL document that defines the portType (the WCF contract namespace). */
  namespace: string;
  /** operation name → input action (wsaw:Action / wsam:Action). */
  inputActions: Map<string, string>;
}

export type SupportingTokenKind = 'endorsing' | 'signed' | 'signed-endorsing' | 'supporting';

export interface SupportingToken {
  kind: SupportingTokenKind;
  /** Local name of the token assertion, e.g. IssuedToken or UsernameToken. */
  assertion: string;
  /** IssuedToken/Issuer/Address. */
  issuerAddress?: string;
}

export interface UsernameTokenAssertion {
  /** Local names of the assertions nested in the UsernameToken's policy (e.g. WssUsernameToken10, HashPassword). */
  nested: string[];
  /** Something in the assertion names base64 (an EncodingType-like value ending in #Base64Binary). */
  base64Hint: boolean;
}

export interface MexPolicy {
  id: string;
  supportingTokens: SupportingToken[];
  usernameToken?: UsernameTokenAssertion;
}

export interface MexDocument {
  ports: MexPort[];
  bindings: Map<string, MexBinding>;
  policies: Map<string, MexPolicy>;
  /** portType (WCF contract) name → its namespace and input actions, the fallbacks for soapAction. */
  portTypes: Map<string, MexPortType>;
}

/**
 * Why metadata could not be used: `unparsable` = not well-formed XML (or over the size bounds),
 * `not-wsdl` = XML without WSDL definitions (an HTML page, a SOAP fault).
 */
export type MexProblem = 'unparsable' | 'not-wsdl';

/** The ways a client can ask a WCF service for its metadata, in the order it tries them. */
export type MetadataRoute = 'GET /mex' | 'GET ?wsdl' | 'POST GetMetadata';

export type MexResult = { ok: true; mex: MexDocument } | { ok: false; problem: MexProblem; reason: string };

const SOAP_BINDING_VERSIONS: Readonly<Record<string, SoapVersion>> = { [WSDL_SOAP11]: '1.1', [WSDL_SOAP12]: '1.2' };

const localPart = (qname: string | undefined): string => (qname ?? '').slice((qname ?? '').lastIndexOf(':') + 1);

const SUPPORTING_KINDS: Record<string, SupportingTokenKind> = {
  EndorsingSupportingTokens: 'endorsing',
  SignedEndorsingSupportingTokens: 'signed-endorsing',
  SignedSupportingTokens: 'signed',
  SupportingTokens: 'supporting',
};

/** Parse a MEX response or a bare WSDL; tolerant of wrapping, prefixes and several WSDL documents. */
export function parseMex(xml: string): MexResult {
  let root: XmlElement;
  try {
    root = parseXml(xml).root;
  } catch (error) {
    if (error instanceof XmlError) return { ok: false, problem: 'unparsable', reason: error.message };
    throw error;
  }
  const everything = allElements(root);
  // Every WSDL document in the answer counts: WCF splits one service over several MetadataSections
  // (bindings and policies in one, the service in another, joined by wsdl:import).
  const definitions = everything.filter((e) => e.name === 'definitions');
  if (definitions.length === 0) {
    return { ok: false, problem: 'not-wsdl', reason: `no WSDL definitions in the metadata (root is <${quoteText(root.qname)}>)` };
  }

  const mex: MexDocument = { ports: [], bindings: new Map(), policies: new Map(), portTypes: new Map() };
  for (const element of everything) {
    if (element.name === 'Policy') {
      // wsu:Id (WCF), xml:id (WS-Policy 1.5) or a Name URI.
      const id = attr(element, 'Id') ?? attr(element, 'id', { ns: XML_NS }) ?? attr(element, 'Name');
      if (id !== undefined) mex.policies.set(policyKey(id), readPolicy(id, element));
    }
  }
  for (const wsdl of definitions) {
    for (const binding of childrenNamed(wsdl, 'binding')) {
      const name = attr(binding, 'name');
      if (!name) continue;
      const operations = new Map<string, MexOperation>();
      for (const operation of childrenNamed(binding, 'operation')) {
        const opName = attr(operation, 'name');
        if (!opName) continue;
        const soapAction = attr(child(operation, 'operation'), 'soapAction')?.trim();
        operations.set(opName, soapAction ? { name: opName, soapAction } : { name: opName });
      }
      const entry: MexBinding = { name, portType: localPart(attr(binding, 'type')), policyIds: policyReferences(binding), operations };
      const soapVersion = SOAP_BINDING_VERSIONS[child(binding, 'binding')?.ns ?? ''];
      if (soapVersion) entry.soapVersion = soapVersion;
      mex.bindings.set(name, entry);
    }
    for (const portType of childrenNamed(wsdl, 'portType')) {
      const inputActions = new Map<string, string>();
      for (const operation of childrenNamed(portType, 'operation')) {
        const action = attr(child(operation, 'input'), 'Action')?.trim();
        const opName = attr(operation, 'name');
        if (opName && action) inputActions.set(opName, action);
      }
      mex.portTypes.set(attr(portType, 'name') ?? '', { namespace: attr(wsdl, 'targetNamespace')?.trim() ?? '', inputActions });
    }
    for (const service of childrenNamed(wsdl, 'service')) {
      for (const port of childrenNamed(service, 'port')) {
        const name = attr(port, 'name');
        if (!name) continue;
        const address = attr(child(port, 'address'), 'location')?.trim();
        const entry: MexPort = { name, binding: localPart(attr(port, 'binding')), service: attr(service, 'name') ?? '' };
        if (address) entry.address = address;
        const portPolicies = policyReferences(port);
        if (portPolicies.length > 0) entry.policyIds = portPolicies;
        mex.ports.push(entry);
      }
    }
  }
  return { ok: true, mex };
}

/**
 * The key a policy is found by: a reference may be "#id", or a document URL with "#id" (WCF, when the
 * policy sits in another WSDL document of the same metadata); a Name URI without "#" stays whole.
 */
function policyKey(reference: string): string {
  const trimmed = reference.trim();
  const hash = trimmed.lastIndexOf('#');
  return hash === -1 ? trimmed : trimmed.slice(hash + 1);
}

/** Policies attached to a WSDL element: PolicyReference children and the PolicyURIs attribute. */
function policyReferences(element: XmlElement): string[] {
  const fromChildren = childrenNamed(element, 'PolicyReference')
    .map((r) => attr(r, 'URI'))
    .filter((u): u is string => u !== undefined);
  const fromAttribute = (attr(element, 'PolicyURIs') ?? '').split(/\s+/).filter((u) => u !== '');
  return [...fromChildren, ...fromAttribute].map(policyKey);
}

function readPolicy(id: string, policy: XmlElement): MexPolicy {
  const result: MexPolicy = { id: policyKey(id), supportingTokens: [] };
  for (const element of allElements(policy)) {
    const kind = SUPPORTING_KINDS[element.name];
    if (kind === undefined) continue;
    const inner = child(element, 'Policy') ?? element;
    for (const token of inner.children) {
      const entry: SupportingToken = { kind, assertion: token.name };
      // sp:Issuer is an endpoint reference; WS-SecurityPolicy 1.2 also allows sp:IssuerName (a URI).
      const issuer = textOf(deep(child(token, 'Issuer'), 'Address')) ?? textOf(child(token, 'Issuer')) ?? textOf(child(token, 'IssuerName'));
      if (issuer) entry.issuerAddress = issuer;
      result.supportingTokens.push(entry);
    }
  }
  const usernameToken = allElements(policy).find((e) => e.name === 'UsernameToken');
  if (usernameToken) {
    const inside = allElements(usernameToken).slice(1);
    const base64Hint = [usernameToken, ...inside].some(
      (e) => /base64/i.test(e.name) || e.attributes.some((a) => /#Base64Binary$/i.test(a.value)) || /#Base64Binary$/i.test(e.text.trim()),
    );
    result.usernameToken = { nested: inside.filter((e) => e.name !== 'Policy').map((e) => e.name), base64Hint };
  }
  return result;
}

/** The policy that applies to a port: the binding's (or the port's) references, else `<port>_policy`, else `<binding>_policy`. */
export function policyForPort(mex: MexDocument, portName: string): MexPolicy | undefined {
  const port = mex.ports.find((p) => p.name === portName);
  const binding = port ? mex.bindings.get(port.binding) : undefined;
  for (const id of [...(binding?.policyIds ?? []), ...(port?.policyIds ?? [])]) {
    const policy = mex.policies.get(id);
    if (policy) return policy;
  }
  return mex.policies.get(`${portName}_policy`) ?? (port ? mex.policies.get(`${port.binding}_policy`) : undefined);
}

/** Where an operation's action came from: the binding's soapAction, the portType's input Action, or WCF's default rule. */
export type ActionSource = 'soapAction' | 'input-action' | 'wcf-default';

/**
 * The action of an operation on a port: the binding's soap:operation/@soapAction, else the
 * portType's input Action (wsaw:Action), else — when the portType declares the operation — the
 * action WCF derives for a contract that names none: `{namespace}/{contract}/{operation}`, the
 * namespace taking no second '/' ([MS-OCAUTHWS] services are WCF services).
 */
export function soapActionFor(mex: MexDocument, portName: string, operation: string): { action: string; source: ActionSource } | undefined {
  const port = mex.ports.find((p) => p.name === portName);
  const binding = port ? mex.bindings.get(port.binding) : undefined;
  if (!binding) return undefined;
  const fromBinding = binding.operations.get(operation)?.soapAction;
  if (fromBinding) return { action: fromBinding, source: 'soapAction' };
  const portType = mex.portTypes.get(binding.portType);
  const fromInput = portType?.inputActions.get(operation);
  if (fromInput) return { action: fromInput, source: 'input-action' };
  if (!portType || !binding.operations.has(operation) || portType.namespace === '') return undefined;
  const namespace = portType.namespace.endsWith('/') ? portType.namespace : `${portType.namespace}/`;
  return { action: `${namespace}${binding.portType}/${operation}`, source: 'wcf-default' };
}

/** The ports whose binding has this operation, plain-HTTP addresses first (the anonymous service's own). */
export function portsWithOperation(mex: MexDocument, operation: string): MexPort[] {
  const having = mex.ports.filter((p) => mex.bindings.get(p.binding)?.operations.has(operation));
  return [...having.filter((p) => /^http:/i.test(p.address ?? '')), ...having.filter((p) => !/^http:/i.test(p.address ?? ''))];
}

/** The SOAP version of a port's binding; SOAP 1.1 when the WSDL does not say (the documented default). */
export function soapVersionOf(mex: MexDocument, portName: string): SoapVersion {
  const port = mex.ports.find((p) => p.name === portName);
  return (port ? mex.bindings.get(port.binding)?.soapVersion : undefined) ?? '1.1';
}

export type PortChoice =
  | { ok: true; port: MexPort & { address: string }; policy?: MexPolicy }
  | { ok: false; found: string[]; reason: string };

const withAddress = (ports: MexPort[]): Array<MexPort & { address: string }> =>
  ports.filter((p): p is MexPort & { address: string } => p.address !== undefined && p.address !== '');

function choice(mex: MexDocument, port: MexPort & { address: string }): PortChoice {
  const policy = policyForPort(mex, port.name);
  return policy ? { ok: true, port, policy } : { ok: true, port };
}

/** The PIN port of the Web Ticket Service: a port whose name contains `Pin` (any case). */
export function choosePinPort(mex: MexDocument): PortChoice {
  const candidates = withAddress(mex.ports.filter((p) => /pin/i.test(p.name)));
  // By name, then by a policy that asks for a UsernameToken; never by position in the document.
  const best =
    candidates.find((p) => p.name.toLowerCase() === 'webticketservicepin') ??
    candidates.find((p) => policyForPort(mex, p.name)?.usernameToken !== undefined) ??
    candidates[0];
  if (best) return choice(mex, best);
  return { ok: false, found: mex.ports.map((p) => p.name), reason: 'no port whose name contains "Pin" (with an address)' };
}

export const CERTPROV_PROOF_PORT_PREFIX = 'CertProvisioningServiceWebTicketProof';

export type CertProvChoice =
  | { ok: true; port: MexPort & { address: string }; policy?: MexPolicy; endorsing: boolean; issuerAddress?: string }
  | { ok: false; found: string[]; reason: string };

/**
 * The WebTicketProof port of CertProvisioningService: name starts with
 * CertProvisioningServiceWebTicketProof (any case), `_SHA1` preferred. `endorsing` says whether
 * the ticket must carry a proof signature (EndorsingSupportingTokens) or not (SignedSupportingTokens).
 */
export function chooseCertProvPort(mex: MexDocument): CertProvChoice {
  const prefix = CERTPROV_PROOF_PORT_PREFIX.toLowerCase();
  const candidates = withAddress(mex.ports.filter((p) => p.name.toLowerCase().startsWith(prefix)));
  const hasIssuedToken = (p: MexPort): boolean => policyForPort(mex, p.name)?.supportingTokens.some((t) => t.assertion === 'IssuedToken') === true;
  const best =
    candidates.find((p) => p.name.toLowerCase() === `${prefix}_sha1`) ??
    candidates.find((p) => /_sha1/i.test(p.name) && hasIssuedToken(p)) ??
    candidates.find((p) => /_sha1/i.test(p.name)) ??
    candidates.find(hasIssuedToken) ??
    candidates[0];
  if (!best) {
    return {
      ok: false,
      found: mex.ports.map((p) => p.name),
      reason: `no port whose name starts with ${CERTPROV_PROOF_PORT_PREFIX} (with an address)`,
    };
  }
  const policy = policyForPort(mex, best.name);
  const issued = policy?.supportingTokens.find((t) => t.assertion === 'IssuedToken' && t.issuerAddress);
  // Without a policy we cannot know; signing costs nothing and an endorsing server requires it.
  const endorsing = issued ? issued.kind === 'endorsing' || issued.kind === 'signed-endorsing' : true;
  const result: CertProvChoice = { ok: true, port: best, endorsing };
  if (policy) result.policy = policy;
  if (issued?.issuerAddress) result.issuerAddress = issued.issuerAddress;
  return result;
}
