import { describe, expect, it } from 'vitest';
import { attr, child, deep, descendant, descendants, escapeAttribute, escapeText, parseXml, rawSlice, textOf, XmlError } from '../../src/soap/xml.js';

describe('parseXml', () => {
  it('resolves prefixes and default namespaces to URIs, attributes by local name', () => {
    const doc = parseXml(
      '<a:Root xmlns:a="urn:a" xmlns="urn:default"><Child b:Id="x" plain="1" xmlns:b="urn:b"><a:Leaf>v</a:Leaf></Child><Other xmlns=""/></a:Root>',
    );
    expect(doc.root).toMatchObject({ name: 'Root', prefix: 'a', ns: 'urn:a' });
    const c = child(doc.root, 'Child')!;
    expect(c.ns).toBe('urn:default');
    expect(attr(c, 'Id')).toBe('x');
    expect(attr(c, 'Id', { ns: 'urn:b' })).toBe('x');
    expect(attr(c, 'Id', { ns: 'urn:other' })).toBeUndefined();
    expect(c.attributes.find((a) => a.name === 'plain')?.ns).toBe('');
    expect(textOf(child(doc.root, 'Child', 'Leaf'))).toBe('v');
    expect(child(doc.root, 'Other')!.ns).toBe('');
  });

  it('decodes entities, character references and CDATA in text and attributes', () => {
    const doc = parseXml('<r a="x &amp; &quot;y&quot;">1 &lt; 2 &#x41;&#66;<![CDATA[<raw>]]></r>');
    expect(attr(doc.root, 'a')).toBe('x & "y"');
    expect(doc.root.text).toBe('1 < 2 AB<raw>');
  });

  it('finds by local name at any depth, in document order, optionally ignoring case', () => {
    const doc = parseXml('<r><x:A xmlns:x="u"><B>1</B></x:A><C><b>2</b><B>3</B></C></r>');
    expect(descendants(doc.root, 'B').map(textOf)).toEqual(['1', '3']);
    expect(descendants(doc.root, 'b', true).map(textOf)).toEqual(['1', '2', '3']);
    expect(textOf(deep(doc.root, 'C', 'B'))).toBe('3');
    expect(descendant(doc.root, 'Missing')).toBeUndefined();
    expect(child(undefined, 'A')).toBeUndefined();
  });

  it.each([
    ['', 'empty'],
    ['<a><b></a>', 'malformed'],
    ['<a x="1" x="2"/>', 'malformed'],
    ['<a/><b/>', 'malformed'],
    ['<p:a/>', 'malformed'],
    ['<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', 'doctype'],
    ['<a>' + '<b>'.repeat(200) + '</b>'.repeat(200) + '</a>', 'too-deep'],
  ])('refuses %j with a typed error (%s)', (xml, code) => {
    try {
      parseXml(xml);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(XmlError);
      expect((error as XmlError).problem).toBe(code);
      expect((error as XmlError).message).not.toContain('\n');
    }
  });

  it('enforces size and element-count limits', () => {
    expect(() => parseXml('<a>' + 'x'.repeat(100) + '</a>', { maxChars: 50 })).toThrow(/over the 50 limit/);
    expect(() => parseXml('<a>' + '<b/>'.repeat(20) + '</a>', { maxElements: 10 })).toThrow(/more than 10 elements/);
  });
});

describe('parseXml on hostile input', () => {
  const MiB = 1024 * 1024;
  const LIMIT = { maxChars: 8 * MiB };
  // Each shape at 4 MiB, read with the size bound lifted so that the well-formedness pass itself is tried.
  const hostile: [string, () => string, string, RegExp][] = [
    ['a run of unclosed tags', () => '<a'.repeat(2 * MiB), 'malformed', /line 1, column 3: unexpected character in a start tag/],
    ['unclosed tags ending in a self-closing mark', () => '<a'.repeat(2 * MiB - 1) + '/>', 'malformed', /unexpected character in a start tag/],
    ['a root followed by unclosed tags', () => '<r>' + '<a'.repeat(2 * MiB - 2), 'malformed', /column 6: unexpected character/],
    ['10k-deep nesting', () => '<a>'.repeat(10_000) + '</a>'.repeat(10_000), 'too-deep', /deeper than 128/],
    ['4 MiB of nesting', () => '<a>'.repeat(MiB) + '</a>'.repeat(MiB / 4), 'too-deep', /deeper than 128/],
    ['an unterminated 4 MiB attribute', () => '<a x="' + 'y'.repeat(4 * MiB), 'malformed', /unterminated value of attribute x/],
    ['a 4 MiB attribute holding a tag', () => '<a x="' + 'y'.repeat(4 * MiB) + '<b/>"/>', 'malformed', /'<' in the value of attribute x/],
    ['a 4 MiB element name', () => '<' + 'a'.repeat(4 * MiB) + '>', 'malformed', /<a{80}… \(4194304 bytes in all\)> is never closed/],
    ['a mismatched 4 MiB closing tag', () => '<a></' + 'b'.repeat(4 * MiB) + '>', 'malformed', /closing tag <\/b{80}… \(4194304 bytes in all\)> does not match <a>/],
    ['200k attributes', () => '<a ' + Array.from({ length: 200_000 }, (_, i) => `a${i}="1"`).join(' ') + '/>', 'too-many-attributes', /more than 256 attributes/],
    ['a million siblings', () => '<r>' + '<b/>'.repeat(MiB) + '</r>', 'too-many-elements', /more than 20000 elements/],
    ['4 MiB of "<"', () => '<'.repeat(4 * MiB), 'malformed', /'<' not followed by an element name/],
    ['an unterminated comment', () => '<r><!--' + 'x'.repeat(4 * MiB), 'malformed', /unterminated comment/],
    ['an unterminated CDATA section', () => '<r><![CDATA[' + 'x'.repeat(4 * MiB), 'malformed', /unterminated CDATA section/],
    ['an unterminated processing instruction', () => '<r><?' + 'x'.repeat(4 * MiB), 'malformed', /unterminated processing instruction/],
    ['an entity expansion bomb', () => '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><l>&c;</l>', 'doctype', /DOCTYPE is not accepted/],
    ['an external entity', () => '<!DOCTYPE l [<!ENTITY x SYSTEM "file:///etc/passwd">]><l>&x;</l>', 'doctype', /DOCTYPE is not accepted/],
    ['a parameter entity after the root', () => '<l/><!DOCTYPE l [<!ENTITY % p SYSTEM "http://127.0.0.1/x">%p;]>', 'doctype', /DOCTYPE is not accepted/],
    ['text after the root', () => '<l/>' + 'x'.repeat(4 * MiB), 'malformed', /text outside the root element/],
  ];

  it.each(hostile)('refuses %s with a short, typed error', (_label, make, code, message) => {
    const input = make();
    let caught: unknown;
    try {
      parseXml(input, LIMIT);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(XmlError);
    expect((caught as XmlError).problem).toBe(code);
    expect((caught as XmlError).message).toMatch(message);
    expect((caught as XmlError).message.length).toBeLessThan(400);
  });

  it.each(hostile)('refuses %s under the default bound, by size when it is over 1 MiB', (_label, make, code) => {
    const input = make();
    const expected = input.length > MiB ? 'too-large' : code;
    expect(() => parseXml(input)).toThrow(expect.objectContaining({ problem: expected }));
  });

  it('reads large but well-formed text, attributes and undeclared entity references without expanding anything', () => {
    const doc = parseXml(`<r a="${'y'.repeat(MiB / 2)}">${'&x;'.repeat(1000)}&#65;&lt;</r>`);
    expect(attr(doc.root, 'a')).toHaveLength(MiB / 2);
    expect(doc.root.text).toBe('&x;'.repeat(1000) + 'A<');
  });

  it('keeps a comment, CDATA or processing instruction that mentions a DOCTYPE as data', () => {
    const doc = parseXml('<?pi <!DOCTYPE x>?><r><!-- <!DOCTYPE x> --><![CDATA[<!DOCTYPE x>]]></r>');
    expect(doc.root.text).toBe('<!DOCTYPE x>');
  });
});

describe('rawSlice', () => {
  it('returns the exact source bytes of an element, whitespace and attribute order kept', () => {
    const assertion = `<saml:Assertion  MajorVersion="1" xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" AssertionID='_a1'>\n  <saml:X a="&amp;"/>\n</saml:Assertion>`;
    const doc = parseXml(`<s:Envelope xmlns:s="e"><s:Body><T>${assertion}</T></s:Body></s:Envelope>`);
    expect(rawSlice(descendant(doc.root, 'Assertion')!)).toBe(assertion);
  });

  it('stays exact around non-ASCII text, comments, CDATA, CRLF and a declaration', () => {
    const target = '<saml:Assertion xmlns:saml="urn:s" ID="é">\r\n  <!-- ü > ä --><saml:T>Zoë ✓ <![CDATA[a<b>]]></saml:T><saml:E/>\r\n</saml:Assertion>';
    const xml = `\uFEFF<?xml version="1.0" encoding="utf-8"?>\r\n<!-- lead --><r a="日本">ünïcödé<x/>${target}<y>tail</y></r>`;
    const doc = parseXml(xml);
    expect(rawSlice(descendant(doc.root, 'Assertion')!)).toBe(target);
    expect(rawSlice(descendant(doc.root, 'y')!)).toBe('<y>tail</y>');
    expect(rawSlice(descendant(doc.root, 'E')!)).toBe('<saml:E xmlns:saml="urn:s"/>');
  });

  it('adds the ancestor declarations the slice relies on, and only those', () => {
    const doc = parseXml(
      '<s:Envelope xmlns:s="e" xmlns:saml="urn:saml" xmlns:ds="urn:ds" xmlns:unused="urn:u" xmlns="urn:d">' +
        '<s:Body><saml:Assertion ds:Id="1"><Inner/><saml:In xmlns:saml="urn:other"/></saml:Assertion></s:Body></s:Envelope>',
    );
    const slice = rawSlice(descendant(doc.root, 'Assertion')!);
    expect(slice).toBe(
      '<saml:Assertion xmlns:saml="urn:saml" xmlns:ds="urn:ds" xmlns="urn:d" ds:Id="1"><Inner/><saml:In xmlns:saml="urn:other"/></saml:Assertion>',
    );
    const reparsed = parseXml(slice).root;
    expect(reparsed.ns).toBe('urn:saml');
    expect(child(reparsed, 'Inner')!.ns).toBe('urn:d');
  });
});

describe('escaping', () => {
  it('round-trips text and attribute values through the parser', () => {
    const nasty = `a<b>&"c"\t'd'\n`;
    const doc = parseXml(`<r v="${escapeAttribute(nasty)}">${escapeText(nasty)}</r>`);
    expect(attr(doc.root, 'v')).toBe(nasty);
    expect(doc.root.text).toBe(nasty);
  });
});
