// Rewrites a lab answer into another valid layout of the same XML, the way other SOAP stacks write
// it: no prefixes at all, a generated prefix rebound on every element, every declaration hoisted to
// the root, whitespace around values and CRLF-wrapped base64, or SOAP 1.2 instead of SOAP 1.1. The
// meaning never changes, so a client that reads by namespace and local name must not notice. The
// SAML assertion is signed: it is carried over byte for byte, as a real server would.

import { SOAP11_ENVELOPE, SOAP12_ENVELOPE, XML_NS } from '../../soap/namespaces.js';
import { escapeAttribute, escapeText, parseXml, rawSlice, type XmlAttribute, type XmlElement } from '../../soap/xml.js';

export type PrefixStyle = 'as-written' | 'default-namespaces' | 'rebound-prefixes' | 'hoisted';

export interface ReshapeOptions {
  prefixes: PrefixStyle;
  /** Whitespace around text values and URI attributes; long base64 wrapped at 64 with CRLF. */
  padded: boolean;
  /** SOAP 1.1 envelope (and fault) rewritten as SOAP 1.2. */
  soap12: boolean;
}

/** A bare element as the writer needs it (names, namespace, attributes, content). */
interface Node {
  name: string;
  ns: string;
  /** The prefix and declarations as written (the as-written style keeps them). */
  prefix: string;
  declarations: Map<string, string>;
  attributes: Array<Pick<XmlAttribute, 'name' | 'ns' | 'value' | 'prefix'>>;
  children: Node[];
  text: string;
  /** Written as is (the signed assertion). */
  raw?: string;
}

const BASE64 = /^[A-Za-z0-9+/]{64,}={0,2}$/;
const URI_VALUE = /^(https?|urn|sip):/i;

function toNode(element: XmlElement, soap12: boolean): Node {
  if (element.name === 'Assertion') return { ...leaf(element.name, element.ns, ''), raw: rawSlice(element) };
  const version = (uri: string): string => (soap12 && uri === SOAP11_ENVELOPE ? SOAP12_ENVELOPE : uri);
  if (soap12 && element.name === 'Fault' && element.ns === SOAP11_ENVELOPE) return soap12Fault(element);
  return {
    name: element.name,
    ns: version(element.ns),
    prefix: element.prefix,
    declarations: new Map([...element.declarations].map(([prefix, uri]) => [prefix, version(uri)])),
    attributes: element.attributes.map(({ name, ns: attributeNs, value, prefix }) => ({ name, ns: attributeNs, value, prefix })),
    children: element.children.map((c) => toNode(c, soap12)),
    text: element.text,
  };
}

const leaf = (name: string, ns: string, text: string, attributes: Node['attributes'] = [], prefix = ''): Node =>
  ({ name, ns, prefix, declarations: new Map(), attributes, children: [], text });
const branch = (name: string, ns: string, children: Node[], prefix = ''): Node => ({ ...leaf(name, ns, '', [], prefix), children });

/** faultcode/faultstring/detail → Code(/Subcode)/Reason/Detail (SOAP 1.2 part 1, 5.4). */
function soap12Fault(fault: XmlElement): Node {
  const text = (name: string): string => fault.children.find((c) => c.name === name)?.text.trim() ?? '';
  // The envelope's own prefix, so that the Value QName below resolves to the SOAP 1.2 namespace.
  const p = fault.prefix;
  const code = text('faultcode');
  const local = code.slice(code.indexOf(':') + 1);
  const value = `${p === '' ? '' : `${p}:`}${local === 'Server' ? 'Receiver' : 'Sender'}`;
  const codeNode = branch('Code', SOAP12_ENVELOPE, [leaf('Value', SOAP12_ENVELOPE, value, [], p)], p);
  if (local !== 'Server' && local !== 'Client') codeNode.children.push(branch('Subcode', SOAP12_ENVELOPE, [leaf('Value', SOAP12_ENVELOPE, code, [], p)], p));
  const lang = { name: 'lang', ns: XML_NS, value: 'en-US', prefix: 'xml' };
  const reason = branch('Reason', SOAP12_ENVELOPE, [leaf('Text', SOAP12_ENVELOPE, text('faultstring'), [lang], p)], p);
  const detail = fault.children.find((c) => c.name === 'detail');
  const parts = [codeNode, reason];
  if (detail) parts.push(branch('Detail', SOAP12_ENVELOPE, detail.children.map((c) => toNode(c, true)), p));
  return branch('Fault', SOAP12_ENVELOPE, parts, p);
}

function padText(text: string): string {
  const value = text.trim();
  if (value === '') return text;
  const wrapped = BASE64.test(value) ? (value.match(/.{1,64}/g) ?? []).join('\r\n') : value;
  return `\r\n\t ${wrapped}\r\n\t`;
}

/** Namespaces used anywhere below `node` (for the hoisted style), in first-use order. */
function namespacesOf(node: Node, into: string[]): string[] {
  if (node.raw !== undefined) return into;
  for (const ns of [node.ns, ...node.attributes.map((a) => a.ns)]) if (ns !== '' && ns !== XML_NS && !into.includes(ns)) into.push(ns);
  for (const c of node.children) namespacesOf(c, into);
  return into;
}

interface Scope {
  /** The in-scope default namespace. */
  defaultNs: string;
  /** Hoisted style: namespace → prefix declared on the root. */
  hoisted?: Map<string, string>;
}

function write(node: Node, options: ReshapeOptions, scope: Scope, isRoot: boolean): string {
  if (node.raw !== undefined) return node.raw;
  const declarations: string[] = [];
  let elementName = node.name;
  let defaultNs = scope.defaultNs;
  if (options.prefixes === 'as-written') {
    for (const [prefix, uri] of node.declarations) declarations.push(prefix === '' ? `xmlns="${escapeAttribute(uri)}"` : `xmlns:${prefix}="${escapeAttribute(uri)}"`);
    if (node.prefix !== '') elementName = `${node.prefix}:${node.name}`;
  } else if (options.prefixes === 'hoisted') {
    const prefixes = scope.hoisted ?? new Map<string, string>();
    if (isRoot) for (const [ns, prefix] of prefixes) declarations.push(`xmlns:${prefix}="${escapeAttribute(ns)}"`);
    if (node.ns !== '') elementName = `${prefixes.get(node.ns)}:${node.name}`;
  } else if (options.prefixes === 'rebound-prefixes') {
    if (node.ns !== '') {
      elementName = `p:${node.name}`;
      declarations.push(`xmlns:p="${escapeAttribute(node.ns)}"`);
    }
  } else if (node.ns !== defaultNs) {
    declarations.push(`xmlns="${escapeAttribute(node.ns)}"`);
    defaultNs = node.ns;
  }
  const attributes: string[] = [];
  let generated = 0;
  for (const attribute of node.attributes) {
    let name = attribute.name;
    if (attribute.ns === XML_NS) name = `xml:${attribute.name}`;
    else if (options.prefixes === 'as-written' && attribute.prefix !== '') name = `${attribute.prefix}:${attribute.name}`;
    else if (attribute.ns !== '') {
      const hoisted = scope.hoisted?.get(attribute.ns);
      const prefix = hoisted ?? `a${generated++}`;
      if (hoisted === undefined) declarations.push(`xmlns:${prefix}="${escapeAttribute(attribute.ns)}"`);
      name = `${prefix}:${attribute.name}`;
    }
    const value = options.padded && URI_VALUE.test(attribute.value) ? ` ${attribute.value} ` : attribute.value;
    attributes.push(`${name}="${escapeAttribute(value)}"`);
  }
  const open = [elementName, ...declarations, ...attributes].join(' ');
  const text = options.padded && node.children.length === 0 ? padText(node.text) : node.text;
  const inner = escapeText(text) + node.children.map((c) => write(c, options, { ...scope, defaultNs }, false)).join('');
  return inner === '' ? `<${open}/>` : `<${open}>${inner}</${elementName}>`;
}

/** The same document in another layout; the XML declaration is kept, comments are dropped. */
export function reshapeXml(xml: string, options: ReshapeOptions): string {
  const root = toNode(parseXml(xml).root, options.soap12);
  const scope: Scope = { defaultNs: '' };
  if (options.prefixes === 'hoisted') scope.hoisted = new Map(namespacesOf(root, []).map((ns, i) => [ns, `ns${i}`]));
  const declaration = /^<\?xml[^>]*\?>/.exec(xml)?.[0] ?? '';
  return declaration + write(root, options, scope, true);
}
