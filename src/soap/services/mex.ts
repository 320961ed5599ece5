// Service metadata (WSDL + WS-Policy, usually wrapped in mex:Metadata) of the Web Ticket Service
// and of CertProvisioningService (protocol.md section 4). Metadata first: port addresses, policies
// and SOAP actions come from here; defaults only when the server publishes nothing.

import { XML_NS } from '../namespaces.js';
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
  /** portType name → operation name → input action (wsaw:Action), a fallback for soapAction. */
  portTypeActions: Map<string, Map<string, string>>;
}

export type MexResult = { ok: true; mex: MexDocument } | { ok: false; reason: string };

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
    if (error instanceof XmlError) return { ok: false, reason: error.message };
    throw error;
  }
  const everything = allElements(root);
  const definitions = everything.filter((e) => e.name === 'definitions');
  if (definitions.length === 0) return { ok: false, reason: `no WSDL definitions in the metadata (root is <${quoteText(root.qname)}>)` };

  const mex: MexDocument = { ports: [], bindings: new Map(), policies: new Map(), portTypeActions: new Map() };
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
        const soapAction = attr(child(operation, 'operation'), 'soapAction');
        operations.set(opName, soapAction ? { name: opName, soapAction } : { name: opName });
      }
      const policyIds = policyReferences(binding);
      mex.bindings.set(name, { name, portType: localPart(attr(binding, 'type')), policyIds, operations });
    }
    for (const portType of childrenNamed(wsdl, 'portType')) {
      const actions = new Map<string, string>();
      for (const operation of childrenNamed(portType, 'operation')) {
        const action = attr(child(operation, 'input'), 'Action');
        const opName = attr(operation, 'name');
        if (opName && action) actions.set(opName, action);
      }
      mex.portTypeActions.set(attr(portType, 'name') ?? '', actions);
    }
    for (const service of childrenNamed(wsdl, 'service')) {
      for (const port of childrenNamed(service, 'port')) {
        const name = attr(port, 'name');
        if (!name) continue;
        const address = attr(child(port, 'address'), 'location');
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
  const hash = reference.lastIndexOf('#');
  return hash === -1 ? reference : reference.slice(hash + 1);
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

/** The SOAP action of an operation on a port: binding soap:operation/@soapAction, else the portType's input Action. */
export function soapActionFor(mex: MexDocument, portName: string, operation: string): string | undefined {
  const port = mex.ports.find((p) => p.name === portName);
  const binding = port ? mex.bindings.get(port.binding) : undefined;
  const fromBinding = binding?.operations.get(operation)?.soapAction;
  if (fromBinding) return fromBinding;
  return binding ? mex.portTypeActions.get(binding.portType)?.get(operation) : undefined;
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
  const best = candidates.find((p) => p.name.toLowerCase() === 'webticketservicepin') ?? candidates[0];
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
  const best =
    candidates.find((p) => p.name.toLowerCase() === `${prefix}_sha1`) ??
    candidates.find((p) => /_sha1/i.test(p.name)) ??
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
