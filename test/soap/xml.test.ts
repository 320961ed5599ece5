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
