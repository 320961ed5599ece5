import { describe, expect, it } from 'vitest';
import { catalogEntry } from '../../src/diagnosis/catalog.js';
import {
  type DiagnosisContext,
  LOOKUP_TABLE,
  type LookupRow,
  SUMMARY_CHECK_LINES,
  briefChecks,
  classify,
  diagnose,
  diagnosisFor,
  mergeChecks,
  rankedByServerReason,
} from '../../src/diagnosis/classify.js';
import { CONTENT, DNS, observe } from '../../src/diagnosis/observation.js';
import type { StageName } from '../../src/model.js';
import type { CatalogStage } from '../../src/diagnosis/catalog.js';

interface Case {
  stage: StageName | CatalogStage;
  observation: string;
  context?: DiagnosisContext;
  top: string;
  also?: string[];
}

// At least one case per row of diagnosis.md 0.5 (the last test checks that every row is reached).
const CASES: Case[] = [
  { stage: 'discover', observation: observe.local('EACCES'), top: 'dhcp-local-socket-error' },
  { stage: 'discover', observation: observe.noReply(), context: { sourcePort: 40123 }, top: 'dhcp-unprivileged-port-silence', also: ['dhcp-voice-vlan-not-served', 'dhcp-inform-ignored', 'dhcp-registrar-dhcp-disabled'] },
  { stage: 'discover', observation: 'no-reply', context: { sourcePort: 68 }, top: 'dhcp-voice-vlan-not-served', also: ['dhcp-inform-ignored', 'dhcp-registrar-dhcp-disabled'] },
  { stage: 'discover', observation: observe.content(CONTENT.noOption43), top: 'dhcp-no-option-43', also: ['dhcp-multiple-responders', 'dhcp-registrar-dhcp-disabled'] },
  { stage: 'discover', observation: 'content:no-43', context: { option120Missing: true }, top: 'dhcp-registrar-dhcp-disabled', also: ['dhcp-no-option-43', 'dhcp-multiple-responders'] },
  { stage: 'discover', observation: observe.content(CONTENT.option43BadValues), top: 'dhcp-option-43-bad-values', also: ['dhcp-option-43-truncated'] },
  { stage: 'discover', observation: observe.content(CONTENT.option43Truncated), top: 'dhcp-option-43-truncated', also: [] },
  { stage: 'discover', observation: 'content:inform-refused', top: 'dhcp-inform-ignored' },
  { stage: 'discover', observation: 'udp:refused', top: 'dhcp-voice-vlan-not-served' },
  { stage: 'discover', observation: 'content:no-120', top: 'dhcp-no-option-120' },
  { stage: 'discover', observation: 'content:120', top: 'dhcp-option-120-malformed' },
  { stage: 'discover', observation: 'content:multiple-responders', top: 'dhcp-multiple-responders' },
  { stage: 'discover', observation: 'content:fqdn-inconsistent', top: 'dhcp-fqdn-inconsistent' },
  { stage: 'time', observation: 'content:no-time-source', top: 'time-no-source-advertised' },
  { stage: 'time', observation: 'no-reply', top: 'time-ntp-unreachable' },
  { stage: 'time', observation: 'content:ntp-unsynchronised', top: 'time-source-unsynchronised' },
  { stage: 'certificate', observation: observe.clock(-420), top: 'time-clock-skew' },
  { stage: 'rootchain', observation: 'local:EAI_AGAIN', top: 'dns-resolver-failure' },
  { stage: 'rootchain', observation: observe.dns(DNS.webNxdomain), top: 'dns-web-fqdn-nxdomain', also: ['dhcp-option-43-stale'] },
  { stage: 'dns', observation: 'dns:registrar-nxdomain', top: 'dns-registrar-fqdn-nxdomain' },
  { stage: 'dns', observation: 'dns:no-sipinternaltls', top: 'dns-sipinternaltls-missing' },
  { stage: 'dns', observation: 'dns:srv-outside-domain', top: 'dns-srv-target-outside-domain' },
  { stage: 'dns', observation: 'dns:srv-target-unresolvable', top: 'dns-srv-target-unresolvable' },
  { stage: 'dns', observation: 'dns:srv-dhcp-disagree', top: 'dns-srv-dhcp-disagree' },
  { stage: 'rootchain', observation: observe.content(CONTENT.httpHeadersOversized), top: 'http-response-malformed' },
  { stage: 'certprov-mex', observation: observe.content(CONTENT.httpMalformed), top: 'http-response-malformed' },
  { stage: 'rootchain', observation: observe.timeout(), top: 'http-no-answer' },
  { stage: 'certprov-mex', observation: observe.timeout(), top: 'http-no-answer' },
  { stage: 'certificate', observation: observe.timeout(), top: 'http-no-answer' },
  { stage: 'webticket', observation: observe.http(307), top: 'http-redirect-not-followed' },
  { stage: 'resolveuser', observation: observe.http(302), top: 'http-redirect-not-followed' },
  { stage: 'certprov-mex', observation: observe.http(307), top: 'resolve-mex-unavailable' },
  { stage: 'webticket', observation: observe.content(CONTENT.oversized), top: 'http-response-oversized' },
  { stage: 'rootchain', observation: observe.tcp('timeout'), top: 'chain-port80-blocked', also: ['chain-lb-no-port80', 'dhcp-option-43-stale'] },
  { stage: 'rootchain', observation: 'tcp:refused', context: { membersAnswerPort80: true }, top: 'chain-lb-no-port80', also: [] },
  { stage: 'rootchain', observation: observe.http(301), context: { location: 'https://pool.example.test/CertProv/' }, top: 'chain-redirected-to-https' },
  { stage: 'rootchain', observation: 'http:404', top: 'chain-http-error', also: ['chain-download-disabled'] },
  { stage: 'rootchain', observation: 'http:503', top: 'chain-http-error', also: ['chain-download-disabled'] },
  { stage: 'rootchain', observation: observe.content(CONTENT.chain), top: 'chain-empty-or-unparsable', also: ['chain-download-disabled'] },
  { stage: 'webticket', observation: 'content:chain-no-anchor', top: 'chain-missing-issuer' },
  { stage: 'webticket', observation: observe.tcp('refused'), top: 'webticket-port443-unreachable' },
  { stage: 'webticket', observation: observe.tlsAlert(70), top: 'tls-legacy-protocol-refused' },
  { stage: 'webticket', observation: observe.tlsClosed(), context: { legacyTlsProfile: true }, top: 'tls-legacy-protocol-refused' },
  { stage: 'webticket', observation: 'tls:alert:40', top: 'tls-no-common-cipher', also: ['tls-legacy-protocol-refused'] },
  { stage: 'webticket', observation: observe.tlsVerify('untrusted'), top: 'chain-missing-issuer', also: ['webticket-cert-untrusted'] },
  { stage: 'webticket', observation: observe.tlsVerify('name'), top: 'webticket-cert-name-mismatch', also: ['dhcp-option-43-stale'] },
  { stage: 'webticket', observation: observe.tlsVerify('not-yet-valid'), top: 'webticket-cert-expired', also: ['time-clock-skew'] },
  { stage: 'webticket', observation: 'http:503', top: 'webticket-http-error' },
  { stage: 'webticket', observation: 'http:500', top: 'webticket-http-error' },
  { stage: 'webticket', observation: observe.timeout(), top: 'webticket-no-response' },
  { stage: 'webticket', observation: 'content:no-pin-port', top: 'webticket-pin-auth-disabled' },
  { stage: 'webticket', observation: observe.content(CONTENT.metadataUnreadable), top: 'webticket-metadata-unreadable' },
  {
    stage: 'webticket', observation: observe.soapFault('wsse:FailedAuthentication', 28005), top: 'webticket-auth-rejected',
    also: ['webticket-pin-wrong', 'webticket-pin-not-set', 'webticket-pin-locked', 'webticket-number-not-on-lineuri', 'webticket-extension-ambiguous', 'webticket-pin-expired', 'webticket-user-not-enabled'],
  },
  { stage: 'webticket', observation: observe.xMsDiagnostics(28000), top: 'webticket-user-not-enabled', also: [] },
  // 28020 on the PIN request, in the fault or in X-Ms-diagnostics: the PIN or the number was rejected.
  {
    stage: 'webticket', observation: observe.soapFault('FailedAuthentication', '28020'), top: 'webticket-auth-rejected',
    also: ['webticket-pin-wrong', 'webticket-pin-not-set', 'webticket-pin-locked', 'webticket-number-not-on-lineuri', 'webticket-extension-ambiguous', 'webticket-pin-expired', 'webticket-user-not-enabled', 'webticket-request-not-understood', 'webticket-pin-auth-disabled'],
  },
  { stage: 'webticket', observation: observe.xMsDiagnostics(28020), top: 'webticket-auth-rejected' },
  // The server's own reason re-ranks the children: a locked PIN is not a wrong PIN.
  {
    stage: 'webticket', observation: observe.xMsDiagnostics(28020), context: { serverReason: 'The PIN is locked.' }, top: 'webticket-auth-rejected',
    also: ['webticket-pin-locked', 'webticket-pin-wrong', 'webticket-pin-not-set', 'webticket-number-not-on-lineuri', 'webticket-extension-ambiguous', 'webticket-pin-expired', 'webticket-user-not-enabled', 'webticket-request-not-understood', 'webticket-pin-auth-disabled'],
  },
  { stage: 'webticket', observation: 'content:proof-key-unsupported', top: 'webticket-proof-key-unsupported' },
  { stage: 'webticket', observation: 'http:415', top: 'webticket-request-not-understood' },
  { stage: 'webticket', observation: 'http:500', context: { errorId: 28001 }, top: 'webticket-server-error' },
  { stage: 'webticket', observation: observe.soapFault('s:Receiver'), top: 'webticket-server-error' },
  { stage: 'webticket', observation: 'content:rstr-incomplete', top: 'webticket-rstr-incomplete' },
  { stage: 'webticket', observation: 'content:secret-not-https', top: 'webticket-pin-port-not-https' },
  { stage: 'certificate', observation: 'content:secret-not-https', top: 'webticket-pin-port-not-https' },
  { stage: 'certprov-mex', observation: 'http:404', top: 'resolve-mex-unavailable' },
  { stage: 'certprov-mex', observation: 'content:no-proof-port', top: 'resolve-proof-endpoint-missing', also: ['cert-auth-disabled'] },
  { stage: 'certprov-mex', observation: observe.content(CONTENT.metadataUnreadable), top: 'resolve-metadata-unreadable' },
  { stage: 'resolveuser', observation: observe.soapFault('FailedAuthentication', 28020), top: 'resolve-proof-rejected', also: ['time-clock-skew'] },
  { stage: 'certificate', observation: 'http:403', top: 'resolve-proof-rejected', also: ['time-clock-skew'] },
  { stage: 'resolveuser', observation: observe.soapFault('wsse:InvalidSecurity'), top: 'resolve-proof-rejected', also: ['time-clock-skew'] },
  { stage: 'resolveuser', observation: observe.soapFault('wsse:MessageExpired'), top: 'resolve-proof-rejected' },
  { stage: 'certificate', observation: observe.soapFault('wsse:FailedCheck'), top: 'resolve-proof-rejected' },
  { stage: 'certificate', observation: observe.soapFault('wsse:SecurityTokenUnavailable'), top: 'resolve-proof-rejected' },
  { stage: 'resolveuser', observation: 'http:401', top: 'resolve-proof-rejected' },
  { stage: 'resolveuser', observation: 'content:no-sip-uri', top: 'resolve-no-user' },
  { stage: 'resolveuser', observation: observe.content(CONTENT.responseUnreadable), top: 'resolve-response-unparsable' },
  { stage: 'resolveuser', observation: 'content:user-mismatch', top: 'resolve-user-mismatch' },
  { stage: 'certificate', observation: observe.errorInfo('0x80070005'), top: 'cert-errorinfo', also: ['cert-publish-failed', 'cert-csr-policy', 'cert-auth-disabled', 'resolve-proof-rejected'] },
  { stage: 'certificate', observation: 'http:500', top: 'cert-publish-failed' },
  { stage: 'discover', observation: 'timeout:run', top: 'run-deadline-exhausted' },
  { stage: 'certificate', observation: 'timeout:slow', top: 'http-answer-too-slow' },
  { stage: 'rootchain', observation: 'timeout', top: 'http-no-answer' },
  { stage: 'webticket', observation: 'tls:plain-http', top: 'webticket-port-plain-http' },
  { stage: 'certificate', observation: 'content:no-certificate', top: 'cert-response-unparsable' },
  { stage: 'certificate', observation: 'content:certificate-invalid:validity', top: 'cert-issued-invalid', also: ['time-clock-skew'] },
  { stage: 'certificate', observation: 'content:certificate-invalid:public-key-mismatch', top: 'cert-issued-invalid', also: [] },
  { stage: 'certificate', observation: 'content:certificate-short-validity', top: 'cert-issued-invalid', also: [] },
  { stage: 'registrar', observation: 'tcp:timeout', top: 'registrar-port-unreachable' },
  { stage: 'registrar', observation: 'tls:verify:name', top: 'registrar-cert-name-mismatch', also: ['dns-srv-target-outside-domain'] },
  { stage: 'registrar', observation: 'tls:verify:untrusted', top: 'chain-missing-issuer', also: ['registrar-cert-untrusted'] },
  { stage: 'registrar', observation: 'sip:401', context: { tlsDskOffered: false }, top: 'registrar-no-tls-dsk' },
  { stage: 'registrar', observation: 'sip:403', context: { afterTlsDsk: true }, top: 'registrar-tls-dsk-rejected', also: ['cert-publish-failed'] },
  { stage: 'registrar', observation: 'content:sts-uri-differs', top: 'registrar-sts-uri-differs' },
  // the sign-in stages (issue 12)
  { stage: 'time', observation: observe.content(CONTENT.ntpKissOfDeath), top: 'time-kiss-of-death' },
  { stage: 'dns', observation: observe.content(CONTENT.option120OutsideDomains), top: 'dns-option120-outside-domains' },
  { stage: 'registrar-tls', observation: observe.content(CONTENT.registrarCertName), top: 'registrar-cert-name-mismatch', also: ['dns-srv-target-outside-domain'] },
  { stage: 'registrar-tls', observation: observe.content(CONTENT.registrarCertWildcard), top: 'registrar-cert-wildcard' },
  { stage: 'registrar-tls', observation: observe.content(CONTENT.registrarCertSha1), top: 'registrar-cert-sha1-chain' },
  { stage: 'register', observation: observe.content(CONTENT.tlsDskInnerAlert), top: 'registrar-tls-dsk-inner-alert', also: ['registrar-tls-dsk-rejected'] },
  { stage: 'register', observation: observe.content(CONTENT.tlsDskHandshake), top: 'registrar-cert-name-mismatch', also: ['registrar-cert-untrusted'] },
  { stage: 'register', observation: observe.content(CONTENT.badServerSignature), top: 'registrar-tls-dsk-bad-server-signature' },
  { stage: 'register', observation: observe.content(CONTENT.clientVersionBlocked), top: 'registrar-client-version-blocked', also: ['registrar-firmware-too-old'] },
  { stage: 'register', observation: observe.content(CONTENT.redirected), top: 'registrar-redirected' },
  { stage: 'registrar', observation: 'sip:480', top: 'registrar-sip-error' },
];

describe('lookup table (diagnosis.md 0.5)', () => {
  it.each(CASES.map((c) => [`${c.stage} ${c.observation}${c.context ? ` ${JSON.stringify(c.context)}` : ''}`, c] as const))(
    '%s',
    (_label, c) => {
      const diagnosis = diagnose(c.stage, c.observation, c.context);
      expect(diagnosis.id).toBe(c.top);
      if (c.also) expect(diagnosis.alsoPossible).toEqual(c.also);
      expect(diagnosis.summary).toBe(catalogEntry(c.top)!.diagnosis);
    },
  );

  it('reaches every row of the table with the cases above', () => {
    const reached = new Set<LookupRow>();
    for (const c of CASES) {
      const { row } = classify(c.stage, c.observation, c.context);
      if (row) reached.add(row);
    }
    const unreached = LOOKUP_TABLE.filter((row) => !reached.has(row)).map((row) => `${row.stages.join('/')}: ${row.row}`);
    expect(unreached).toEqual([]);
  });
});

describe('pipeline stages map onto the catalog stages', () => {
  it('treats webticket-sip like webticket', () => {
    expect(diagnose('webticket-sip', 'tls:verify:name').id).toBe('webticket-cert-name-mismatch');
    expect(diagnose('webticket-sip', observe.xMsDiagnostics('28000')).id).toBe('webticket-user-not-enabled');
  });

  it('applies the /mex row to certprov-mex only, not to the ResolveUser call', () => {
    expect(diagnose('certprov-mex', 'http:503').id).toBe('resolve-mex-unavailable');
    expect(diagnose('resolveuser', 'http:503').id).toBe('resolve-unclassified');
  });

  it('applies the proof rows to certprov-mex and certificate as well', () => {
    expect(diagnose('certprov-mex', 'content:no-proof-port').id).toBe('resolve-proof-endpoint-missing');
    expect(diagnose('certificate', observe.soapFault('a:FailedAuthentication', 28020)).id).toBe('resolve-proof-rejected');
  });
});

describe('unclassified and severities', () => {
  it('never forces a near miss: an unknown observation gives <prefix>-unclassified with the raw observation kept by the caller', () => {
    const chain = diagnose('rootchain', 'http:418');
    expect(chain.id).toBe('chain-unclassified');
    expect(chain.severity).toBe('fail');
    expect(chain.alsoPossible).toEqual([]);
    expect(chain.check.length).toBeGreaterThan(0);
    expect(diagnose('discover', 'content:something-new').id).toBe('dhcp-unclassified');
    expect(diagnose('webticket-sip', 'http:502').id).toBe('webticket-unclassified');
    expect(diagnose('certprov-mex', 'tls:verify:other').id).toBe('resolve-unclassified');
    expect(diagnose('certificate', 'content:other').id).toBe('cert-unclassified');
  });

  it('does not treat a redirect to another http:// place as a redirect to https', () => {
    expect(diagnose('rootchain', 'http:302', { location: 'http://other.example.test/' }).id).toBe('http-redirect-not-followed');
    expect(diagnose('rootchain', 'http:302', { location: 'file:///etc/passwd' }).id).toBe('http-redirect-not-followed');
    expect(diagnose('rootchain', 'http:302').id).toBe('http-redirect-not-followed');
  });

  it('reports local:* as unknown (the host could not test), whatever the stage', () => {
    expect(diagnose('discover', 'local:EADDRINUSE').severity).toBe('unknown');
    expect(diagnose('rootchain', 'local:EAI_AGAIN').severity).toBe('unknown');
    const other = diagnose('webticket', 'local:EMFILE');
    expect(other.id).toBe('webticket-unclassified');
    expect(other.severity).toBe('unknown');
  });

  it('grades clock skew: fail from 5 minutes, warn above a minute, info below', () => {
    expect(diagnose('webticket', observe.clock(301)).severity).toBe('fail');
    expect(diagnose('webticket', observe.clock(-90)).severity).toBe('warn');
    expect(diagnose('webticket', observe.clock(20)).severity).toBe('info');
  });

  it('raises multiple responders with different options to fail, and a short certificate validity is a warn', () => {
    expect(diagnose('discover', 'content:multiple-responders').severity).toBe('fail');
    expect(catalogEntry('dhcp-multiple-responders')!.severity).toBe('warn');
    expect(diagnose('certificate', 'content:certificate-short-validity').severity).toBe('warn');
    expect(diagnose('discover', 'content:no-120').severity).toBe('warn');
  });

  it('keeps the unprivileged-port verdict unknown (silence proves nothing)', () => {
    expect(diagnose('discover', 'no-reply', { sourcePort: 50000 }).severity).toBe('unknown');
    expect(diagnose('discover', 'no-reply', { sourcePort: 68 }).severity).toBe('fail');
  });
});

describe('CHECK list merge', () => {
  it('puts the top id first and keeps the candidates order', () => {
    const diagnosis = diagnose('rootchain', 'tcp:refused');
    const port80 = catalogEntry('chain-port80-blocked')!.check;
    const lb = catalogEntry('chain-lb-no-port80')!.check;
    const stale = catalogEntry('dhcp-option-43-stale')!.check;
    expect(diagnosis.check.slice(0, port80.length)).toEqual([...port80]);
    expect(diagnosis.check).toEqual([...port80, ...lb, ...stale]);
  });

  it('removes duplicates (case and spacing aside)', () => {
    const merged = mergeChecks([
      { id: 'a', stage: 'rootchain', severity: 'fail', diagnosis: 'a', check: ['Get-CsUser -Identity <user>', 'one'] },
      { id: 'b', stage: 'rootchain', severity: 'fail', diagnosis: 'b', check: ['get-csuser  -identity <user>', 'two'] },
    ]);
    expect(merged).toEqual(['Get-CsUser -Identity <user>', 'one', 'two']);
  });

  it('merges the umbrella with its ranked children, the never-retry advice first', () => {
    const diagnosis = diagnose('webticket', observe.soapFault('FailedAuthentication', 28099));
    expect(diagnosis.check[0]).toMatch(/do not retry/);
    expect(diagnosis.check).toContain('Unlock-CsClientPin -Identity <user>');
    expect(new Set(diagnosis.check).size).toBe(diagnosis.check.length);
    // Get-CsClientPinInfo -Identity <user> appears in the umbrella and in two children: once only.
    expect(diagnosis.check.filter((item) => item === 'Get-CsClientPinInfo -Identity <user>')).toHaveLength(1);
  });

  it('builds a diagnosis for an id the stage chose itself', () => {
    const diagnosis = diagnosisFor('dhcp-no-option-120');
    expect(diagnosis).toMatchObject({ id: 'dhcp-no-option-120', severity: 'warn', alsoPossible: [] });
    expect(() => diagnosisFor('dhcp-no-such-id')).toThrow(/no id/);
  });
});

describe('observation spelling', () => {
  it('spells soap faults without the namespace prefix and with an empty ErrorId when absent', () => {
    expect(observe.soapFault('wsse:FailedAuthentication', 28020)).toBe('soap-fault:FailedAuthentication:28020');
    expect(observe.soapFault('s:Sender')).toBe('soap-fault:Sender:');
    expect(diagnose('webticket', observe.soapFault('wsse:FailedAuthentication')).id).toBe('webticket-auth-rejected');
  });
});

describe("the server's reason re-ranks the children of webticket-auth-rejected", () => {
  const children = catalogEntry('webticket-auth-rejected')!.children!;
  it.each([
    ['The PIN is locked.', 'webticket-pin-locked'],
    ['No PIN is set for this user.', 'webticket-pin-not-set'],
    ['No user has a line URI matching this phone number or extension.', 'webticket-number-not-on-lineuri'],
    ['More than one user matches this phone number or extension and PIN.', 'webticket-extension-ambiguous'],
    ['The PIN is not valid for this phone number or extension.', 'webticket-pin-wrong'],
    ['PIN expired', 'webticket-pin-expired'],
    ['User is not SIP enabled.', 'webticket-user-not-enabled'],
  ])('"%s" puts %s first and keeps the rest in order', (reason, first) => {
    const ranked = rankedByServerReason(children, reason);
    expect(ranked[0]).toBe(first);
    expect(ranked.slice(1)).toEqual(children.filter((id) => id !== first));
  });

  it('leaves the order alone when the reason names no cause ("No valid security token.")', () => {
    expect(rankedByServerReason(children, 'No valid security token.')).toEqual([...children]);
    expect(rankedByServerReason(children, undefined)).toEqual([...children]);
  });
});

describe('CHECK lines that fit a screen and never contradict the observation', () => {
  it('keeps the full merged list in check and at most SUMMARY_CHECK_LINES in briefCheck', () => {
    const diagnosis = diagnose('webticket', 'soap-fault:FailedAuthentication:28055');
    expect(diagnosis.check.length).toBeGreaterThan(SUMMARY_CHECK_LINES);
    expect(diagnosis.briefCheck).toHaveLength(SUMMARY_CHECK_LINES);
    for (const line of diagnosis.briefCheck ?? []) expect(diagnosis.check).toContain(line);
  });

  it('ranks by candidate: the top cause leads, each other cause gets its first line before the rest', () => {
    const top = catalogEntry('webticket-cert-name-mismatch')!;
    const other = catalogEntry('dhcp-option-43-stale')!;
    const brief = briefChecks([top, other], 4);
    expect(brief.slice(0, Math.min(3, top.check.length))).toEqual(top.check.slice(0, 3));
    expect(brief).toContain(other.check[0]);
  });

  it('does not send the admin to option 43 when --target-uri named the address', () => {
    const fromDhcp = diagnose('webticket', 'tls:verify:name');
    expect(fromDhcp.alsoPossible).toContain('dhcp-option-43-stale');
    const given = diagnose('webticket', 'tls:verify:name', { addressGivenByAdmin: true });
    expect(given.id).toBe('webticket-cert-name-mismatch');
    expect(given.alsoPossible).not.toContain('dhcp-option-43-stale');
    for (const line of [...given.check, ...(given.briefCheck ?? [])]) expect(line).not.toMatch(/option[ -]43|sub-option|DHCP/i);
  });

  it('a wrong key on the issued certificate is not a clock problem; a validity problem may be', () => {
    expect(observe.certificateInvalid(['public-key-mismatch'])).toBe('content:certificate-invalid:public-key-mismatch');
    expect(diagnose('certificate', observe.certificateInvalid(['public-key-mismatch'])).alsoPossible).toEqual([]);
    expect(diagnose('certificate', observe.certificateInvalid(['subject-mismatch', 'expired'])).alsoPossible).toEqual(['time-clock-skew']);
  });
});
