// A small namespace-aware element tree over fast-xml-parser, for tolerant reading: callers match
// elements and attributes by local name, whatever prefix or namespace placement a server chose.
// The tree also remembers where each element sits in the source text, so that a SAML assertion can
// be carried on byte for byte.

import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { BootstrapTestError } from '../errors.js';
import { XML_NS, XMLNS_NS } from './namespaces.js';

export interface XmlAttribute {
  /** Local name, without prefix. */
  name: string;
  prefix: string;
  /** Namespace URI ('' for unprefixed attributes). */
  ns: string;
  value: string;
}

export interface XmlElement {
  /** Local name, without prefix. */
  name: string;
  prefix: string;
  /** The name as written, e.g. `saml:Assertion`. */
  qname: string;
  /** Resolved namespace URI ('' when none). */
  ns: string;
  attributes: XmlAttribute[];
  children: XmlElement[];
  /** Direct character data (entities decoded, CDATA included), concatenated, untrimmed. */
  text: string;
  parent: XmlElement | undefined;
  /** Namespace declarations made on this element: prefix ('' = default) → URI. */
  declarations: Map<string, string>;
  /** [start, end) offsets of the element in the source string. */
  start: number;
  end: number;
  document: XmlDocument;
}

export interface XmlDocument {
  root: XmlElement;
  source: string;
}

export type XmlErrorCode = 'empty' | 'too-large' | 'malformed' | 'doctype' | 'too-deep' | 'too-many-elements';

/** Malformed or unacceptable XML; the message is one line naming what and where. */
export class XmlError extends BootstrapTestError {
  constructor(
    /** What was wrong with the document. */
    readonly problem: XmlErrorCode,
    message: string,
  ) {
    super('BT_XML', message);
  }
}

export interface XmlLimits {
  /** Characters; SOAP answers here are a few KB, an oversized one is a fault to report, not to read. */
  maxChars?: number;
  maxDepth?: number;
  maxElements?: number;
}

const DEFAULT_LIMITS: Required<XmlLimits> = { maxChars: 4 * 1024 * 1024, maxDepth: 128, maxElements: 50_000 };

type OrderedNode = Record<string, unknown>;

let parser: XMLParser | undefined;
function getParser(): XMLParser {
  parser ??= new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    captureMetaData: true,
    processEntities: true,
    // Also decodes numeric character references (and, leniently, HTML named entities).
    htmlEntities: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
  });
  return parser;
}

/** Parse XML text into an element tree, or throw XmlError. */
export function parseXml(source: string, limits: XmlLimits = {}): XmlDocument {
  const { maxChars, maxDepth, maxElements } = { ...DEFAULT_LIMITS, ...limits };
  if (source.length > maxChars) {
    throw new XmlError('too-large', `XML is ${source.length} characters, over the ${maxChars} limit`);
  }
  if (source.trim() === '') throw new XmlError('empty', 'XML document is empty');
  // SOAP forbids DTDs, and refusing them closes the door on entity expansion.
  if (/<!DOCTYPE/i.test(source)) throw new XmlError('doctype', 'XML with a DOCTYPE is not accepted');
  checkDepth(source, maxDepth);

  const valid = XMLValidator.validate(source);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw new XmlError('malformed', `malformed XML at line ${line}, column ${col}: ${msg}`);
  }
  let ordered: OrderedNode[];
  try {
    ordered = getParser().parse(source) as OrderedNode[];
  } catch (error) {
    throw new XmlError('malformed', `malformed XML: ${(error as Error).message.split('\n')[0]}`);
  }
  const documentShell = { source } as XmlDocument;
  const counter = { elements: 0, maxElements };
  const roots = ordered.filter((node) => elementKey(node) !== undefined);
  const first = roots[0];
  if (first === undefined) throw new XmlError('malformed', 'XML has no root element');
  if (roots.length > 1) throw new XmlError('malformed', 'XML has more than one root element');
  documentShell.root = buildElement(first, undefined, documentShell, counter);
  return documentShell;
}

/** Cheap pre-pass so that pathological nesting is refused before any recursive code sees it. */
function checkDepth(source: string, maxDepth: number): void {
  let depth = 0;
  let deepest = 0;
  for (let i = source.indexOf('<'); i !== -1; i = source.indexOf('<', i + 1)) {
    const next = source.charCodeAt(i + 1);
    if (next === 0x2f /* / */) depth--;
    else if (next !== 0x21 /* ! */ && next !== 0x3f /* ? */) {
      const close = source.indexOf('>', i);
      if (close === -1) break;
      if (source.charCodeAt(close - 1) !== 0x2f) depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > maxDepth) {
        throw new XmlError('too-deep', `XML nests deeper than ${maxDepth} elements`);
      }
    }
  }
}

function elementKey(node: OrderedNode): string | undefined {
  for (const key of Object.keys(node)) if (key !== ':@' && key !== '#text') return key;
  return undefined;
}

function splitQName(qname: string): { prefix: string; local: string } {
  const colon = qname.indexOf(':');
  return colon === -1 ? { prefix: '', local: qname } : { prefix: qname.slice(0, colon), local: qname.slice(colon + 1) };
}

function lookupNamespace(prefix: string, element: XmlElement | undefined): string | undefined {
  if (prefix === 'xml') return XML_NS;
  if (prefix === 'xmlns') return XMLNS_NS;
  for (let at = element; at; at = at.parent) {
    const uri = at.declarations.get(prefix);
    if (uri !== undefined) return uri;
  }
  return prefix === '' ? '' : undefined;
}

const metaSymbol = XMLParser.getMetaDataSymbol() as unknown as string;

function buildElement(
  node: OrderedNode,
  parent: XmlElement | undefined,
  document: XmlDocument,
  counter: { elements: number; maxElements: number },
): XmlElement {
  if (++counter.elements > counter.maxElements) {
    throw new XmlError('too-many-elements', `XML has more than ${counter.maxElements} elements`);
  }
  const qname = elementKey(node) as string;
  const { prefix, local } = splitQName(qname);
  const rawAttributes = (node[':@'] ?? {}) as Record<string, string>;
  const meta = (node[metaSymbol] ?? {}) as { startIndex?: number; endIndex?: number };
  const element: XmlElement = {
    name: local,
    prefix,
    qname,
    ns: '',
    attributes: [],
    children: [],
    text: '',
    parent,
    declarations: new Map(),
    start: meta.startIndex ?? -1,
    end: meta.endIndex ?? -1,
    document,
  };
  for (const [name, value] of Object.entries(rawAttributes)) {
    if (name === 'xmlns') element.declarations.set('', String(value));
    else if (name.startsWith('xmlns:')) element.declarations.set(name.slice(6), String(value));
  }
  const ns = lookupNamespace(prefix, element);
  if (ns === undefined) throw new XmlError('malformed', `element <${qname}> uses undeclared prefix "${prefix}"`);
  element.ns = ns;
  for (const [name, value] of Object.entries(rawAttributes)) {
    if (name === 'xmlns' || name.startsWith('xmlns:')) continue;
    const split = splitQName(name);
    const attributeNs = split.prefix === '' ? '' : lookupNamespace(split.prefix, element);
    if (attributeNs === undefined) {
      throw new XmlError('malformed', `attribute ${name} on <${qname}> uses undeclared prefix "${split.prefix}"`);
    }
    element.attributes.push({ name: split.local, prefix: split.prefix, ns: attributeNs, value: String(value) });
  }
  const content = (node[qname] ?? []) as OrderedNode[];
  const texts: string[] = [];
  for (const child of content) {
    if ('#text' in child) texts.push(String(child['#text']));
    else if (elementKey(child) !== undefined) element.children.push(buildElement(child, element, document, counter));
  }
  element.text = texts.join('');
  return element;
}

// ---- finding things by local name -------------------------------------------------------------

const same = (a: string, b: string): boolean => a === b;
const sameIgnoringCase = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** Children with the given local name (any namespace). */
export function childrenNamed(element: XmlElement | undefined, name: string): XmlElement[] {
  return element ? element.children.filter((c) => c.name === name) : [];
}

/** Follow a path of local names from `element` down through direct children: child(env, 'Body', 'Fault'). */
export function child(element: XmlElement | undefined, ...path: string[]): XmlElement | undefined {
  let at = element;
  for (const step of path) {
    at = at?.children.find((c) => same(c.name, step));
    if (!at) return undefined;
  }
  return at;
}

/** Every element below `element` (not itself) with this local name, in document order. */
export function descendants(element: XmlElement | undefined, name: string, ignoreCase = false): XmlElement[] {
  const found: XmlElement[] = [];
  if (!element) return found;
  const match = ignoreCase ? sameIgnoringCase : same;
  const stack = [...element.children].reverse();
  while (stack.length > 0) {
    const next = stack.pop() as XmlElement;
    if (match(next.name, name)) found.push(next);
    for (let i = next.children.length - 1; i >= 0; i--) stack.push(next.children[i] as XmlElement);
  }
  return found;
}

/** First element below `element` with this local name, depth-first in document order. */
export function descendant(element: XmlElement | undefined, name: string, ignoreCase = false): XmlElement | undefined {
  return descendants(element, name, ignoreCase)[0];
}

/** Follow a path where each step may skip any depth: deep(el, 'RequestedProofToken', 'BinarySecret'). */
export function deep(element: XmlElement | undefined, ...path: string[]): XmlElement | undefined {
  let at = element;
  for (const step of path) {
    at = descendant(at, step);
    if (!at) return undefined;
  }
  return at;
}

/** Every element in the subtree, including `element`, in document order. */
export function allElements(element: XmlElement): XmlElement[] {
  return [element, ...descendantsAll(element)];
}

function descendantsAll(element: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  const stack = [...element.children].reverse();
  while (stack.length > 0) {
    const next = stack.pop() as XmlElement;
    out.push(next);
    for (let i = next.children.length - 1; i >= 0; i--) stack.push(next.children[i] as XmlElement);
  }
  return out;
}

/** Attribute value by local name (any namespace unless `ns` given); case-insensitive name if asked. */
export function attr(
  element: XmlElement | undefined,
  name: string,
  options: { ns?: string; ignoreCase?: boolean } = {},
): string | undefined {
  if (!element) return undefined;
  const match = options.ignoreCase ? sameIgnoringCase : same;
  const found = element.attributes.find((a) => match(a.name, name) && (options.ns === undefined || a.ns === options.ns));
  return found?.value;
}

/** Trimmed direct text of an element, undefined when the element is missing or has no text. */
export function textOf(element: XmlElement | undefined): string | undefined {
  if (!element) return undefined;
  const text = element.text.trim();
  return text === '' ? undefined : text;
}

/**
 * All character data in the subtree (like DOM textContent). Direct text comes first, then the
 * children's, so mixed content loses its interleaving; callers use it for values such as base64.
 */
export function textContent(element: XmlElement): string {
  return [element.text, ...element.children.map(textContent)].join('');
}

// ---- raw slices --------------------------------------------------------------------------------

/**
 * The element exactly as it appears in the source text. When the element or anything inside it uses
 * a namespace prefix declared on an ancestor (outside the slice), that declaration is added to the
 * slice's root tag so the slice stands alone; nothing else is changed.
 */
export function rawSlice(element: XmlElement): string {
  const { source } = element.document;
  const slice = source.slice(element.start, element.end);
  if (element.start < 0 || !slice.startsWith(`<${element.qname}`) || !slice.endsWith('>')) {
    throw new XmlError('malformed', `cannot locate <${element.qname}> in the source text`);
  }
  const missing = inheritedDeclarationsUsed(element);
  if (missing.size === 0) return slice;
  const insertAt = 1 + element.qname.length;
  const added = [...missing]
    .map(([prefix, uri]) => (prefix === '' ? ` xmlns="${escapeAttribute(uri)}"` : ` xmlns:${prefix}="${escapeAttribute(uri)}"`))
    .join('');
  return slice.slice(0, insertAt) + added + slice.slice(insertAt);
}

function inheritedDeclarationsUsed(root: XmlElement): Map<string, string> {
  const needed = new Map<string, string>();
  const visit = (element: XmlElement, declaredInside: Set<string>): void => {
    const scope = new Set(declaredInside);
    for (const prefix of element.declarations.keys()) scope.add(prefix);
    const uses: string[] = [element.prefix];
    for (const a of element.attributes) if (a.prefix !== '') uses.push(a.prefix);
    for (const prefix of uses) {
      if (prefix === 'xml' || scope.has(prefix) || needed.has(prefix)) continue;
      const uri = lookupNamespace(prefix, root.parent);
      if (uri !== undefined && uri !== '') needed.set(prefix, uri);
    }
    for (const c of element.children) visit(c, scope);
  };
  visit(root, new Set());
  return needed;
}

// ---- writing -----------------------------------------------------------------------------------

/** Escape character data for element content. */
export function escapeText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escape a value for a double-quoted attribute. */
export function escapeAttribute(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#x9;')
    .replace(/\n/g, '&#xA;')
    .replace(/\r/g, '&#xD;');
}
