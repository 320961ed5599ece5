// The `dhcp inform` report, laid out like DHCPUtil -EmulateClient: the request's option field, each
// answer's option field with hex, then Result / DHCP Server / SIP Server FQDN / Certificate
// Provisioning Service URL per responder, and a warning when responders disagree.
//
// JSON form (`--json`, documented for users in docs/dhcp-inform-json.md), schema
// "bootstrap-test/dhcp-inform/1". Fields are only ever added:
//   schema          "bootstrap-test/dhcp-inform/1"
//   result          "succeeded" (the phone's pick is usable and nobody disagrees), "failed" (answers,
//                   but unusable or conflicting) or "no-answer"
//   request         { xid ("0x..."), interface, ciaddr, chaddr, vendorClass, fromPort, to ("a.b.c.d:p"),
//                     broadcast, tries, sentAtMs [ms...], hex (whole datagram), options [OPTION] }
//   waitedMs, timeoutMs
//   phoneWouldUse   index into responders of the first ACK with an option 120 name, or null
//   responders      [{ server, serverIdentifier|null, source ("a.b.c.d:p"), elapsedMs, afterTries,
//                     messageType ("DHCPACK"...), kind ("ack"|"nak"|"other"), usable,
//                     sipServers [names], sipServerAddresses [IPv4], certProvisioningUrl|null,
//                     subOptions [{ code, name, hex, text|null }], options [OPTION],
//                     problems [{ severity, code, message, option?, subOption?, offset? }],
//                     duplicates, hex }]
//   disagreements   [{ option (43|120), values [{ server, value }] }]
//   findings        [{ id (diagnosis.md id), message }]
//   ignored         [{ from ("a.b.c.d:p"), atMs, length, reason }], the first 50
//   ignoredNotListed  ignored datagrams beyond those, counted
//   refusedBy       { address, port, atMs } when the --dhcp-server port answered ICMP port unreachable, or null
//   OPTION          { code, name, length, hex (upper case, reassembled value), text|null }

import { toUpperHex } from '../dhcp/hex.js';
import { subOptionName, MSUC_SUBOPTION_INFO } from '../dhcp/msuc.js';
import { describeOption, MESSAGE_TYPE_NAMES, optionName } from '../dhcp/options.js';
import type { DhcpPacket, Problem } from '../dhcp/types.js';
import type { InformResult, Responder } from '../dhcp/inform-analysis.js';
import { decodeInformRequest } from '../dhcp/inform-messages.js';

export function messageTypeName(type: number | undefined): string {
  if (type === undefined) return 'no message type';
  return MESSAGE_TYPE_NAMES[type] ?? `message type ${type}`;
}

function printable(data: Uint8Array): string | undefined {
  if (data.length === 0) return undefined;
  for (const byte of data) if (byte < 0x20 || byte > 0x7e) return undefined;
  return Buffer.from(data).toString('latin1');
}

export interface ReportOptions {
  verbose?: boolean;
}

function optionFieldLines(packet: DhcpPacket): string[] {
  const lines: string[] = [];
  let total = 0;
  for (const option of packet.options.values()) total += option.instances.reduce((sum, i) => sum + 2 + i.data.length, 0);
  lines.push(`Option field (${total} bytes of options, END not counted):`);
  for (const option of packet.options.values()) {
    const { code, data } = option;
    const split = option.instances.length > 1 ? `, ${option.instances.length} instances joined` : '';
    lines.push(`  Option ${code} ${optionName(code)} (${data.length} ${data.length === 1 ? "byte" : "bytes"}${split})`);
    lines.push(`    ${data.length > 0 ? toUpperHex(data) : '(empty)'}`);
    if (code === 43 && packet.msuc) {
      for (const sub of packet.msuc.subOptions) {
        const label = MSUC_SUBOPTION_INFO[sub.code]?.label ?? subOptionName(sub.code);
        const text = printable(sub.data);
        lines.push(`    sub-option ${sub.code} <${label}>: ${text ?? toUpperHex(sub.data)}`);
      }
      continue;
    }
    const reading = describeOption(code, data).text;
    if (reading.replace(/[\s:]/g, '').toLowerCase() !== toUpperHex(data).toLowerCase()) lines.push(`    = ${reading}`);
  }
  return lines;
}

function problemLine(problem: Problem): string {
  const where = [
    problem.option !== undefined ? `option ${problem.option}` : undefined,
    problem.subOption !== undefined ? `sub-option ${problem.subOption}` : undefined,
    problem.offset !== undefined ? `offset ${problem.offset}` : undefined,
  ]
    .filter((part) => part !== undefined)
    .join(', ');
  return `  ${problem.severity}: ${problem.message}${where ? ` (${where})` : ''}`;
}

/** Why this answer would not get a phone signed in, or undefined when it would. */
function unusableReason(responder: Responder): string | undefined {
  if (responder.kind !== 'ack') return `answered ${messageTypeName(responder.messageType)}, not DHCPACK`;
  const missing: string[] = [];
  if (responder.sipServers.length === 0) missing.push('no SIP server FQDN (option 120)');
  if (!responder.certProvisioningUrl) missing.push('no certificate provisioning URL (option 43)');
  return missing.length > 0 ? missing.join(', ') : undefined;
}

function summaryLines(responder: Responder | undefined, failure?: string): string[] {
  const field = (label: string, value: string) => `${label.padEnd(37)}: ${value}`;
  if (!responder) {
    return [field('Result', `Failed: ${failure ?? 'no answer'}`)];
  }
  const reason = unusableReason(responder);
  return [
    field('Result', reason ? `Failed: ${reason}` : 'Succeeded'),
    field('DHCP Server', responder.server),
    field('SIP Server FQDN', responder.sipServers.join(', ') || responder.sipServerAddresses.join(', ') || '(none)'),
    field('Certificate Provisioning Service URL', responder.certProvisioningUrl ?? '(none)'),
  ];
}

function xidText(xid: number): string {
  return `0x${xid.toString(16).padStart(8, '0')}`;
}

/** The DHCPUtil-style text report. */
export function formatInformReport(result: InformResult, options: ReportOptions = {}): string {
  const { sent } = result;
  const lines: string[] = [];
  lines.push(
    `DHCPINFORM from ${sent.interfaceName} (ciaddr ${sent.ciaddr}, chaddr ${sent.chaddr}), UDP ${sent.fromPort} -> ` +
      `${sent.to.address}:${sent.to.port}${sent.broadcast ? ' (broadcast)' : ''}, xid ${xidText(sent.xid)}, ` +
      `${sent.tries} ${sent.tries === 1 ? 'try' : 'tries'}` +
      (sent.tries > 1 ? ` (at ${sent.sentAtMs.join(', ')} ms)` : ''),
  );
  const request = decodeInformRequest(sent.bytes);
  lines.push(...optionFieldLines(request));
  lines.push('');

  result.responders.forEach((responder, index) => {
    const position = result.responders.length > 1 ? ` ${index + 1} of ${result.responders.length}` : '';
    const identity =
      responder.serverIdentifier && responder.serverIdentifier !== responder.source.address
        ? `${responder.server} (source ${responder.source.address}:${responder.source.port})`
        : `${responder.server}:${responder.source.port}`;
    const repeats = responder.duplicates > 0 ? `, ${responder.duplicates} duplicate(s)` : '';
    lines.push(
      `${messageTypeName(responder.messageType)}${position} from ${identity} after ${responder.elapsedMs} ms` +
        `${responder.afterTries > 1 ? ` (${responder.afterTries} tries sent)` : ''}${repeats}, ${responder.bytes.length} bytes`,
    );
    lines.push(...optionFieldLines(responder.packet));
    if (responder.problems.length > 0) {
      lines.push('Problems:');
      lines.push(...responder.problems.map(problemLine));
    }
    if (options.verbose) lines.push(`Packet hex: ${toUpperHex(responder.bytes)}`);
    lines.push('');
  });

  if (result.responders.length === 0) {
    lines.push(...summaryLines(undefined, `no answer within ${result.waitedMs} ms`));
  } else {
    result.responders.forEach((responder, index) => {
      if (result.responders.length > 1) {
        const mark = index === result.chosen ? ' (the answer a phone would use: first with an option 120 name)' : '';
        lines.push(`Responder ${index + 1} of ${result.responders.length}${mark}:`);
      }
      lines.push(...summaryLines(responder));
      if (result.responders.length > 1) lines.push('');
    });
  }
  for (const disagreement of result.disagreements) {
    lines.push(
      `WARNING: the DHCP servers disagree on option ${disagreement.option}: ` +
        disagreement.values.map((entry) => `${entry.server} says ${entry.value}`).join('; ') +
        '. Each phone keeps whichever answer arrives first (dhcp-multiple-responders).',
    );
  }
  const shown = new Set<string>();
  for (const finding of result.findings) {
    if (finding.id === 'dhcp-multiple-responders' && result.disagreements.length > 0) continue;
    const line = `Note (${finding.id}): ${finding.message}`;
    if (!shown.has(line)) lines.push(line);
    shown.add(line);
  }

  if (options.verbose) {
    lines.push('');
    lines.push(`Listened ${result.waitedMs} ms (deadline ${result.timeoutMs} ms).`);
    if (result.ignored.length === 0) lines.push('Ignored datagrams: none');
    for (const datagram of result.ignored) {
      lines.push(`Ignored ${datagram.length} bytes from ${datagram.from} at ${datagram.atMs} ms: ${datagram.reason}`);
    }
    if (result.ignoredNotListed > 0) lines.push(`Ignored ${result.ignoredNotListed} more datagrams (not listed)`);
  }
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}

function optionsJson(packet: DhcpPacket) {
  return [...packet.options.values()].map((option) => ({
    code: option.code,
    name: optionName(option.code),
    length: option.data.length,
    hex: toUpperHex(option.data),
    text: printable(option.data) ?? null,
  }));
}

function problemsJson(problems: Problem[]) {
  return problems.map((problem) => ({
    severity: problem.severity,
    code: problem.code,
    message: problem.message,
    ...(problem.option !== undefined ? { option: problem.option } : {}),
    ...(problem.subOption !== undefined ? { subOption: problem.subOption } : {}),
    ...(problem.offset !== undefined ? { offset: problem.offset } : {}),
  }));
}

export type InformResultJson = ReturnType<typeof informResultToJson>;

/** The stable JSON form documented at the top of this file. */
export function informResultToJson(result: InformResult) {
  const { sent } = result;
  const usable = (responder: Responder) => unusableReason(responder) === undefined;
  const chosen = result.chosen !== undefined ? result.responders[result.chosen] : undefined;
  const outcome =
    result.responders.length === 0
      ? 'no-answer'
      : chosen && usable(chosen) && result.disagreements.length === 0
        ? 'succeeded'
        : 'failed';
  return {
    schema: 'bootstrap-test/dhcp-inform/1' as const,
    result: outcome,
    request: {
      xid: xidText(sent.xid),
      interface: sent.interfaceName,
      ciaddr: sent.ciaddr,
      chaddr: sent.chaddr,
      vendorClass: sent.vendorClass,
      fromPort: sent.fromPort,
      to: `${sent.to.address}:${sent.to.port}`,
      broadcast: sent.broadcast,
      tries: sent.tries,
      sentAtMs: sent.sentAtMs,
      hex: toUpperHex(sent.bytes),
      options: optionsJson(decodeInformRequest(sent.bytes)),
    },
    waitedMs: result.waitedMs,
    timeoutMs: result.timeoutMs,
    phoneWouldUse: result.chosen ?? null,
    responders: result.responders.map((responder) => ({
      server: responder.server,
      serverIdentifier: responder.serverIdentifier ?? null,
      source: `${responder.source.address}:${responder.source.port}`,
      elapsedMs: responder.elapsedMs,
      afterTries: responder.afterTries,
      messageType: messageTypeName(responder.messageType),
      kind: responder.kind,
      usable: usable(responder),
      sipServers: responder.sipServers,
      sipServerAddresses: responder.sipServerAddresses,
      certProvisioningUrl: responder.certProvisioningUrl ?? null,
      subOptions: (responder.packet.msuc?.subOptions ?? []).map((sub) => ({
        code: sub.code,
        name: subOptionName(sub.code),
        hex: toUpperHex(sub.data),
        text: printable(sub.data) ?? null,
      })),
      options: optionsJson(responder.packet),
      problems: problemsJson(responder.problems),
      duplicates: responder.duplicates,
      hex: toUpperHex(responder.bytes),
    })),
    disagreements: result.disagreements,
    findings: result.findings,
    ignored: result.ignored,
    ignoredNotListed: result.ignoredNotListed,
    refusedBy: result.refusedBy ?? null,
  };
}
