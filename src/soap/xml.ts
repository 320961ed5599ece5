// A small namespace-aware element tree over fast-xml-parser, for tolerant reading: callers match
// elements and attributes by local name, whatever prefix or namespace placement a server chose.
// The tree also remembers where each element sits in the source text, so that a SAML assertion can
// be carried on byte for byte.

import { XMLParser } from 'fast-xml-parser';
import { quoteText } from '../text.js';
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

export type XmlErrorCode =
  | 'empty'
  | 'too-large'
  | 'malformed'
  | 'doctype'
  | 'too-deep'
  | 'too-many-elements'
  | 'too-many-attributes';

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
  /** Per element; WSDL roots declare a few dozen namespaces, nothing legitimate comes near this. */
  maxAttributes?: number;
}

// The largest legitimate document, a metadata exchange, is tens of KB; the bounds keep the parse of
// anything a hostile server sends well under a second.
const DEFAULT_LIMITS: Required<XmlLimits> = { maxChars: 1024 * 1024, maxDepth: 128, maxElements: 20_000, maxAttributes: 256 };

/** Element and attribute names in messages are cut shorter than other quoted text. */
const NAME_QUOTE_CHARS = 80;

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

/** Parse XML text into an element tree, or throw XmlError. Time and memory are linear in the input. */
export function parseXml(source: string, limits: XmlLimits = {}): XmlDocument {
  const bounds = { ...DEFAULT_LIMITS, ...limits };
  if (source.length > bounds.maxChars) {
    throw new XmlError('too-large', `XML is ${source.length} characters, over the ${bounds.maxChars} limit`);
  }
  if (source.trim() === '') throw new XmlError('empty', 'XML document is empty');
  // fast-xml-parser is not linear on every malformed input (a run of unclosed tags costs it quadratic
  // time), so it only ever sees text this single pass has found well-formed and within bounds.
  scanMarkup(source, bounds);

  let ordered: OrderedNode[];
  try {
    ordered = getParser().parse(source) as OrderedNode[];
  } catch (error) {
    throw new XmlError('malformed', `malformed XML: ${quoteText((error as Error).message.split('\n')[0] ?? '')}`);
  }
  const documentShell = { source } as XmlDocument;
  const first = ordered.find((node) => elementKey(node) !== undefined);
  if (first === undefined) throw new XmlError('malformed', 'XML has no root element');
  documentShell.root = buildElement(first, undefined, documentShell);
  return documentShell;
}

// ---- the well-formedness pass --------------------------------------------------------------------

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const EQUALS = 0x3d;
const QUOTE = 0x22;
const APOSTROPHE = 0x27;

const isWhitespace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0xfeff;

function isNameChar(c: number, first: boolean): boolean {
  if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x3a || c >= 0x80) return true;
  return !first && ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e);
}

/** Line and column (1-based) of an offset, for messages. */
function position(source: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = source.indexOf('\n'); i !== -1 && i < offset; i = source.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return `line ${line}, column ${offset - lineStart + 1}`;
}

/**
 * One pass over the text, each character looked at a bounded number of times, refusing what the tree
 * builder should never see: a DTD (so no entity is ever declared, expanded or fetched), unterminated
 * markup, a '<' inside a tag, mismatched or unclosed tags, text or a second element outside the root,
 * duplicate attributes, and anything deeper or larger than the limits.
 */
function scanMarkup(source: string, limits: Required<XmlLimits>): void {
  const end = source.length;
  const fail = (what: string, offset: number): never => {
    throw new XmlError('malformed', `malformed XML at ${position(source, offset)}: ${what}`);
  };
  const name = (from: number): string => {
    let at = from;
    if (at < end && isNameChar(source.charCodeAt(at), true)) {
      do at++;
      while (at < end && isNameChar(source.charCodeAt(at), false));
    }
    return source.slice(from, at);
  };
  const skipWhitespace = (from: number): number => {
    let at = from;
    while (at < end && isWhitespace(source.charCodeAt(at))) at++;
    return at;
  };
  const past = (terminator: string, from: number, what: string): number => {
    const found = source.indexOf(terminator, from);
    return found === -1 ? fail(`unterminated ${what}`, from) : found + terminator.length;
  };
  const shown = (value: string): string => quoteText(value, NAME_QUOTE_CHARS);

  /** Attributes of the start tag at `tagStart` whose name ends at `from`; returns the offset after '>' or '/>'. */
  const scanAttributes = (tagStart: number, from: number): number => {
    const seen = new Set<string>();
    let cursor = from;
    for (;;) {
      const next = skipWhitespace(cursor);
      const c = source.charCodeAt(next);
      if (c === GT) return next + 1;
      if (c === SLASH && source.charCodeAt(next + 1) === GT) return next + 2;
      if (next >= end) fail('unterminated start tag', tagStart);
      if (next === cursor) fail(`unexpected character in a start tag`, next);
      const attribute = name(next);
      if (attribute === '') fail('unexpected character in a start tag', next);
      if (seen.has(attribute)) fail(`duplicate attribute ${shown(attribute)}`, next);
      seen.add(attribute);
      if (seen.size > limits.maxAttributes) {
        throw new XmlError('too-many-attributes', `an element has more than ${limits.maxAttributes} attributes`);
      }
      const equals = skipWhitespace(next + attribute.length);
      if (source.charCodeAt(equals) !== EQUALS) fail(`attribute ${shown(attribute)} has no value`, next);
      const valueStart = skipWhitespace(equals + 1);
      const quote = source.charCodeAt(valueStart);
      if (quote !== QUOTE && quote !== APOSTROPHE) fail(`value of attribute ${shown(attribute)} is not quoted`, valueStart);
      let close = valueStart + 1;
      for (; close < end; close++) {
        const v = source.charCodeAt(close);
        if (v === quote) break;
        if (v === LT) fail(`'<' in the value of attribute ${shown(attribute)}`, close);
      }
      if (close >= end) fail(`unterminated value of attribute ${shown(attribute)}`, valueStart);
      cursor = close + 1;
    }
  };

  const open: string[] = [];
  let elements = 0;
  let rootDone = false;
  let at = 0;
  while (at < end) {
    const lt = source.indexOf('<', at);
    const textEnd = lt === -1 ? end : lt;
    if (open.length === 0) {
      const nonBlank = skipWhitespace(at);
      if (nonBlank < textEnd) fail('text outside the root element', nonBlank);
    }
    if (lt === -1) break;
    if (source.startsWith('<!--', lt)) {
      at = past('-->', lt + 4, 'comment');
    } else if (source.startsWith('<![CDATA[', lt)) {
      if (open.length === 0) fail('CDATA outside the root element', lt);
      at = past(']]>', lt + 9, 'CDATA section');
    } else if (source.startsWith('<?', lt)) {
      at = past('?>', lt + 2, 'processing instruction');
    } else if (source.startsWith('<!', lt)) {
      // SOAP forbids DTDs, and refusing them closes the door on entity expansion and external entities.
      if (source.slice(lt + 2, lt + 9).toUpperCase() === 'DOCTYPE') throw new XmlError('doctype', 'XML with a DOCTYPE is not accepted');
      fail('markup declaration', lt);
    } else if (source.charCodeAt(lt + 1) === SLASH) {
      const closing = name(lt + 2);
      const close = skipWhitespace(lt + 2 + closing.length);
      if (closing === '' || source.charCodeAt(close) !== GT) fail('malformed closing tag', lt);
      const expected = open.pop();
      if (expected !== closing) {
        fail(expected === undefined ? `closing tag </${shown(closing)}> without an open element` : `closing tag </${shown(closing)}> does not match <${shown(expected)}>`, lt);
      }
      if (open.length === 0) rootDone = true;
      at = close + 1;
    } else {
      const element = name(lt + 1);
      if (element === '') fail(`'<' not followed by an element name`, lt);
      if (rootDone) throw new XmlError('malformed', 'XML has more than one root element');
      if (++elements > limits.maxElements) throw new XmlError('too-many-elements', `XML has more than ${limits.maxElements} elements`);
      at = scanAttributes(lt, lt + 1 + element.length);
      if (source.charCodeAt(at - 2) === SLASH) {
        if (open.length === 0) rootDone = true;
      } else if (open.push(element) > limits.maxDepth) {
        throw new XmlError('too-deep', `XML nests deeper than ${limits.maxDepth} elements`);
      }
    }

  }
  if (open.length > 0) fail(`<${shown(open[open.length - 1] as string)}> is never closed`, end);
  if (elements === 0) throw new XmlError('malformed', 'XML has no root element');
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

function buildElement(node: OrderedNode, parent: XmlElement | undefined, document: XmlDocument): XmlElement {
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
  if (ns === undefined) throw new XmlError('malformed', `element <${quoteText(qname, NAME_QUOTE_CHARS)}> uses undeclared prefix "${quoteText(prefix, NAME_QUOTE_CHARS)}"`);
  element.ns = ns;
  for (const [name, value] of Object.entries(rawAttributes)) {
    if (name === 'xmlns' || name.startsWith('xmlns:')) continue;
    const split = splitQName(name);
    const attributeNs = split.prefix === '' ? '' : lookupNamespace(split.prefix, element);
    if (attributeNs === undefined) {
      throw new XmlError('malformed', `attribute ${quoteText(name, NAME_QUOTE_CHARS)} on <${quoteText(qname, NAME_QUOTE_CHARS)}> uses undeclared prefix "${quoteText(split.prefix, NAME_QUOTE_CHARS)}"`);
    }
    element.attributes.push({ name: split.local, prefix: split.prefix, ns: attributeNs, value: String(value) });
  }
  const content = (node[qname] ?? []) as OrderedNode[];
  const texts: string[] = [];
  for (const child of content) {
    if ('#text' in child) texts.push(String(child['#text']));
    else if (elementKey(child) !== undefined) element.children.push(buildElement(child, element, document));
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

/** The element's direct text as strict base64 (whitespace ignored), undefined when missing or not base64. */
export function base64Of(element: XmlElement | undefined): Buffer | undefined {
  const text = element?.text.replace(/\s+/g, '');
  if (!text || !/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  return Buffer.from(text, 'base64');
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
  // Walking up from the user to the slice's root costs at most the depth limit per use, so the whole
  // pass stays linear in the slice (copying a scope per element did not, with many declarations).
  const declaredInside = (prefix: string, element: XmlElement): boolean => {
    for (let at: XmlElement | undefined = element; at; at = at.parent) {
      if (at.declarations.has(prefix)) return true;
      if (at === root) return false;
    }
    return false;
  };
  for (const element of allElements(root)) {
    const uses = [element.prefix, ...element.attributes.filter((a) => a.prefix !== '').map((a) => a.prefix)];
    for (const prefix of uses) {
      if (prefix === 'xml' || needed.has(prefix) || declaredInside(prefix, element)) continue;
      const uri = lookupNamespace(prefix, root.parent);
      if (uri !== undefined && uri !== '') needed.set(prefix, uri);
    }
  }
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
