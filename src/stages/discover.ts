// Stage 1, discover: a DHCPINFORM like the phone's, every responder reported, option 43 turned into
// the certificate-provisioning URL and option 120 into the registrar pool. --target-uri and
// --target-fqdn replace what they cover; with both given the stage is skipped, as in the cmdlet.

import { chooseInformClient } from '../dhcp/interfaces.js';
import { informConfig, runInform } from '../dhcp/inform.js';
import { isUsable, type InformResult, type Responder } from '../dhcp/inform-analysis.js';
import { CONTENT, observe } from '../diagnosis/observation.js';
import type { Evidence } from '../model.js';
import { networkOptionsOf } from './dhcp-network.js';
import { StageFailure, type StageContext, type StageOutcome, type StageSequel } from './types.js';

function hostOf(url: string): string {
  return new URL(url).hostname.toLowerCase();
}

/**
 * What is wrong with a responder's option 43, sub-option by sub-option: the same explanations
 * `dhcp inform` prints (e.g. "sub-option 4 is binary ... quote it"), errors first.
 */
function option43Explanations(responder: Responder): string[] {
  const problems = responder.kind === 'ack' ? (responder.packet.msuc?.problems ?? []) : [];
  const ranked = [...problems.filter((problem) => problem.severity === 'error'), ...problems.filter((problem) => problem.severity !== 'error')];
  return ranked.map((problem) => problem.message);
}

function describeOption43(responder: Responder): string {
  if (responder.certProvisioningUrl) return responder.certProvisioningUrl;
  if (responder.kind !== 'ack' || !responder.packet.msuc) return '(none)';
  const [first] = option43Explanations(responder);
  return `(unusable${first ? `: ${first}` : ''})`;
}

function describeResponder(responder: Responder): string {
  const names = responder.sipServers.length > 0 ? responder.sipServers.join(', ') : '(no option 120)';
  return `${responder.server} via ${responder.source.address}:${responder.source.port} after ${responder.elapsedMs} ms: 43=${describeOption43(responder)} 120=${names}`;
}

/** Which content observation the INFORM client's own findings point at for the chosen answer. */
function option43Problem(result: InformResult): string | undefined {
  const ids = new Set(result.findings.map((finding) => finding.id));
  if (ids.has('dhcp-no-option-43')) return CONTENT.noOption43;
  if (ids.has('dhcp-option-43-truncated')) return CONTENT.option43Truncated;
  if (ids.has('dhcp-option-43-bad-values')) return CONTENT.option43BadValues;
  return undefined;
}

function findingText(result: InformResult, id: string): string | undefined {
  return result.findings.find((finding) => finding.id === id)?.message;
}


export async function discover(context: StageContext): Promise<StageOutcome> {
  const { options, state, log } = context;
  if (options.targetUri) {
    state.certProvisioningUrl = new URL(options.targetUri);
    state.webFqdn = hostOf(options.targetUri);
    state.discovered.targetUri = options.targetUri;
    state.discovered.source.targetUri = 'option';
  }
  if (options.targetFqdn) {
    state.registrarFqdn = options.targetFqdn;
    state.discovered.targetFqdn = options.targetFqdn;
    state.discovered.source.targetFqdn = 'option';
  }
  if (options.targetUri && options.targetFqdn) {
    log.step('Skipping DHCP: --target-uri and --target-fqdn were both given');
    return {
      status: 'skipped',
      summary: `--target-uri ${state.webFqdn}, --target-fqdn ${options.targetFqdn}`,
      evidence: { targetUri: options.targetUri, targetFqdn: options.targetFqdn },
    };
  }

  const client = options.dhcp.client ?? (await chooseInformClient(options.dhcp));
  const dhcp = options.dhcp;
  log.step('Constructing a dhcp packet (DHCPINFORM, PARAMETER_REQUEST_LIST 120 43, VENDOR_CLASS_IDENTIFIER ' + dhcp.vendorClass + ')');
  log.detail(`Interface ${client.name} (${client.reason}): ciaddr ${client.address}, chaddr ${client.mac}`);
  let answered: (soFar: InformResult) => void = () => undefined;
  const firstUsable = new Promise<InformResult>((resolve) => {
    answered = (soFar) => {
      if (usableAnswer(soFar, options.targetUri !== undefined)) resolve(soFar);
    };
  });
  const complete = runInform(
    {
      ...informConfig(dhcp, client, (event) => {
        context.onDhcpPacket?.(event);
        if (event.direction === 'out') {
          log.step(`Sending DHCPINFORM to ${event.address}:${event.port} (${event.bytes.length} bytes, ${event.atMs} ms after the first)`);
        }
      }),
      onAnswer: (soFar) => answered(soFar),
    },
    context.signal,
  );
  complete.catch(() => undefined);
  // A phone goes ahead with the first usable answer; the window for other servers goes on meanwhile.
  const first = await Promise.race([
    firstUsable.then((soFar) => ({ result: soFar, windowOpen: true })),
    complete.then((full) => ({ result: full, windowOpen: false })),
  ]);
  if (!first.windowOpen) {
    logListenWindow(context, first.result, 0);
    return judgeAnswers(context, first.result);
  }
  let outcome: StageOutcome;
  try {
    outcome = judgeAnswers(context, first.result);
  } catch {
    // Nothing goes ahead after a failure, so its report may as well hold every answer.
    const full = await complete;
    logListenWindow(context, full, 0);
    return judgeAnswers(context, full);
  }
  return { ...outcome, sequel: complete.then((full) => lateAnswers(context, first.result, full)) };
}

/** Enough to go on: the phone's choice among the answers so far, with a provisioning URL unless --target-uri gave one. */
function usableAnswer(soFar: InformResult, haveTargetUri: boolean): boolean {
  return haveTargetUri ? soFar.chosen !== undefined : isUsable(soFar);
}

function responderSummaries(result: InformResult): NonNullable<StageContext['state']['discovered']['dhcpResponders']> {
  return result.responders.map((responder) => ({
    server: responder.server,
    address: responder.source.address,
    ms: responder.elapsedMs,
    ...(responder.certProvisioningUrl ? { certProvisioningUrl: responder.certProvisioningUrl } : {}),
    sipServers: responder.sipServers,
  }));
}

function logResponders(context: StageContext, result: InformResult, from: number): void {
  for (const responder of result.responders.slice(from)) {
    context.log.step(`Received ${responder.kind === 'ack' ? 'DHCPACK' : 'a reply'} from ${describeResponder(responder)}`);
  }
}

function logListenWindow(context: StageContext, result: InformResult, ignoredFrom: number): void {
  for (const ignored of result.ignored.slice(ignoredFrom)) context.log.detail(`Ignored a datagram from ${ignored.from}: ${ignored.reason}`);
  context.log.detail(
    `Listened ${result.waitedMs} ms on UDP port ${result.sent.fromPort} (xid ${result.sent.xid.toString(16)}, ${result.sent.tries} ${result.sent.tries === 1 ? 'copy' : 'copies'} sent)`,
  );
}

/**
 * The listen window closed: the servers that answered after the run went ahead join the report, and
 * a later server that disagrees with the one used fails the stage after all (a phone could have been
 * given either answer).
 */
function lateAnswers(context: StageContext, used: InformResult, full: InformResult): StageSequel {
  context.state.discovered.dhcpResponders = responderSummaries(full);
  logResponders(context, full, used.responders.length);
  logListenWindow(context, full, used.ignored.length);
  const late = full.responders.length - used.responders.length;
  const evidence: Evidence = { responders: full.responders.length, listenedMs: full.waitedMs };
  if (full.disagreements.length === 0) {
    return late > 0 ? { evidence, summary: `${used.responders[used.chosen ?? 0]?.server ?? '?'}: ${full.responders.length} responders agree (${late} after the run went ahead)` } : { evidence };
  }
  const detail = disagreementText(full);
  return {
    // The later stages ran meanwhile with the first answer, as a phone would have.
    evidence: { ...evidence, disagreement: detail, afterListenWindow: true },
    failure: { observation: observe.content(CONTENT.multipleResponders), message: `${full.responders.length} DHCP servers disagree: ${detail}` },
  };
}

function disagreementText(result: InformResult): string {
  return result.disagreements.map((d) => `option ${d.option}: ${d.values.map((v) => `${v.server}=${v.value}`).join(' vs ')}`).join('; ');
}

/** The stage's verdict on the answers at hand (all of them, or those that came before the first usable one). */
function judgeAnswers(context: StageContext, result: InformResult): StageOutcome {
  const { options, state, log } = context;
  const evidence: Evidence = {
    xid: `0x${result.sent.xid.toString(16).padStart(8, '0')}`,
    sentTo: `${result.sent.to.address}:${result.sent.to.port}`,
    fromPort: result.sent.fromPort,
    tries: result.sent.tries,
    responders: result.responders.length,
  };
  state.discovered.dhcpResponders = responderSummaries(result);
  logResponders(context, result, 0);

  if (result.refusedBy) {
    throw new StageFailure(
      { observation: observe.udpRefused(), message: findingText(result, 'dhcp-voice-vlan-not-served') ?? `${evidence.sentTo} refused the DHCPINFORM` },
      { ...evidence, waitedMs: result.waitedMs },
    );
  }
  if (result.responders.length === 0) {
    throw new StageFailure(
      {
        observation: observe.noReply(),
        message:
          findingText(result, 'dhcp-unprivileged-port-silence') ??
          findingText(result, 'dhcp-voice-vlan-not-served') ??
          `no DHCP answer within ${result.waitedMs} ms`,
      },
      { ...evidence, waitedMs: result.waitedMs },
      { sourcePort: result.sent.fromPort },
    );
  }
  if (result.disagreements.length > 0) {
    const detail = disagreementText(result);
    evidence.disagreement = detail;
    throw new StageFailure(
      { observation: observe.content(CONTENT.multipleResponders), message: `${result.responders.length} DHCP servers disagree: ${detail}` },
      evidence,
    );
  }

  const chosenIndex = result.chosen ?? result.responders.findIndex((responder) => responder.kind === 'ack');
  const chosen = result.responders[chosenIndex];
  if (!chosen || chosen.kind !== 'ack') {
    // A NAK is an answer: the server heard the INFORM and refused it, which silence would misstate.
    throw new StageFailure(
      { observation: observe.content(CONTENT.informRefused), message: findingText(result, 'dhcp-inform-ignored') ?? 'no DHCPACK among the replies' },
      evidence,
    );
  }
  evidence.server = chosen.server;
  state.discovered.dhcpNetwork = networkOptionsOf(chosen.packet);
  if (result.responders.length > 1) log.detail(`${result.responders.length} servers answered and agree; using ${chosen.server} as a phone would (first ACK with option 120)`);

  if (!options.targetUri) {
    const problem = option43Problem(result);
    if (problem || !chosen.certProvisioningUrl) {
      const message =
        findingText(result, 'dhcp-no-option-43') ??
        findingText(result, 'dhcp-option-43-truncated') ??
        findingText(result, 'dhcp-option-43-bad-values') ??
        `${chosen.server}: option 43 gives no certificate provisioning URL`;
      const explanations = option43Explanations(chosen);
      if (explanations.length > 0) evidence.option43 = explanations.join('; ');
      throw new StageFailure(
        { observation: observe.content(problem ?? CONTENT.option43BadValues), message: explanations[0] ? `${message}: ${explanations[0]}` : message },
        evidence,
        { option120Missing: chosen.sipServers.length === 0 },
      );
    }
    state.certProvisioningUrl = new URL(chosen.certProvisioningUrl);
    state.webFqdn = hostOf(chosen.certProvisioningUrl);
    state.discovered.targetUri = chosen.certProvisioningUrl;
    state.discovered.source.targetUri = 'dhcp';
    log.step(`Certificate Provisioning Service URL : ${chosen.certProvisioningUrl}`);
  }
  evidence.certProvisioningUrl = state.certProvisioningUrl?.toString() ?? '';

  let warning: StageOutcome['warning'];
  if (!options.targetFqdn) {
    const registrar = chosen.sipServers[0];
    if (registrar) {
      state.registrarFqdn = registrar.toLowerCase();
      state.discovered.targetFqdn = state.registrarFqdn;
      state.discovered.source.targetFqdn = 'dhcp';
      log.step(`SIP Server FQDN : ${registrar}`);
      evidence.registrar = registrar;
    } else {
      const malformed = findingText(result, 'dhcp-option-120-malformed');
      const message = malformed ?? findingText(result, 'dhcp-no-option-120') ?? `${chosen.server} sent no usable option 120 name`;
      log.warn(message);
      warning = { observation: observe.content(malformed ? CONTENT.option120Malformed : CONTENT.noOption120), message };
    }
  }

  const summary = `${chosen.server} in ${chosen.elapsedMs} ms: ${state.webFqdn}${state.registrarFqdn ? `, registrar ${state.registrarFqdn}` : ''}${
    result.responders.length > 1 ? ` (${result.responders.length} responders agree)` : ''
  }`;
  return { status: warning ? 'warn' : 'pass', summary, evidence, warning };
}
