// The bootstrap run behind the default command, loaded only when it runs. Reads the PIN, checks
// everything that can be checked before a packet leaves, runs the pipeline with live output, and
// prints the report. Also used by the demo (with a PIN held in memory).

import { readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { renderJson } from '../report/json.js';
import { createRedactor, type Redactor } from '../report/redact.js';
import { terminalStyle } from '../report/style.js';
import { renderFindings, renderSummary } from '../report/summary.js';
import type { ConnectionInfo } from '../net/connector.js';
import { createStageDisplay } from '../report/table.js';
import { createTraceWriter, type TraceWriter } from '../report/trace.js';
import { serializeSipMessage } from '../sip/message.js';
import { createVerboseLog } from '../report/verbose.js';
import type { PipelineDependencies, PipelineResult } from '../stages/pipeline.js';
import { KEY_SOURCE_TEXT, startKeyGeneration } from '../pki/keys.js';
import { PinHolder } from '../stages/pin-holder.js';
import type { LogLine, PipelineOptions } from '../stages/types.js';
import type { RunReport, StageName, StageReport } from '../model.js';
import { observationOf } from '../diagnosis/transport.js';
import { bootstrapSettingsFromOptions, type BootstrapCliOptions, type BootstrapSettings } from './bootstrap.js';
import { BootstrapTestError, LocalEnvironmentError, UsageError } from '../errors.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { hidePinFromProcessTable, obtainPin } from './pin.js';
import { packageVersion } from './version.js';
import type { CodeCacheState, Startup } from './main.js';
import { emitOneShot, nagiosUnknown, oneShotModeFrom, repeatModeFrom, textfileForAccount, type OneShotMode, type RepeatMode } from './oneshot.js';

export interface CliIo extends Startup {
  argv: string[];
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface OutputOptions {
  verbose: boolean;
  json: boolean;
  traceDir?: string;
  color: boolean;
  debug: boolean;
  version?: string;
  /** No stage table, summary or JSON: the caller renders the result (--nagios, textfile, --count). */
  silent?: boolean;
}

function checkVariant(flag: string, value: string | undefined, allowed: readonly string[]): void {
  if (value !== undefined && !allowed.includes(value)) {
    throw new UsageError(`${flag}: "${value}" is not one of ${allowed.join(', ')}`);
  }
}

/** PEM certificates from --ca-file; each file must hold at least one readable certificate. */
export async function readCaFiles(files: readonly string[]): Promise<string[]> {
  const pems: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new UsageError(`--ca-file: cannot read "${file}" (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) throw new UsageError(`--ca-file: "${file}" holds no PEM certificate`);
    for (const block of blocks) {
      try {
        new X509Certificate(block);
      } catch {
        throw new UsageError(`--ca-file: "${file}" holds a certificate that does not parse`);
      }
      pems.push(`${block}\n`);
    }
  }
  return pems;
}

/** The pipeline's options from the checked command line (the interface is chosen here, before the run). */
export async function pipelineOptionsFrom(settings: BootstrapSettings): Promise<PipelineOptions> {
  const options: PipelineOptions = {
    phoneOrExt: settings.phoneOrExt,
    registrarPort: settings.registrarPort,
    extraTrustAnchors: await readCaFiles(settings.caFiles),
    resolve: settings.resolve,
    dhcp: { ...settings.dhcp },
    timeoutMs: settings.timeoutMs,
    csrHash: settings.csrHash,
    maxResponseBytes: settings.maxResponseBytes,
  };
  if (settings.targetUri) options.targetUri = settings.targetUri;
  if (settings.targetFqdn) options.targetFqdn = settings.targetFqdn;
  if (settings.userSipAddress) options.userSipAddress = settings.userSipAddress;
  if (settings.pinEncoding) options.pinEncoding = settings.pinEncoding;
  if (settings.rootChainShape) options.rootChainShape = settings.rootChainShape;
  if (settings.resolveUserShape) options.resolveUserShape = settings.resolveUserShape;
  if (settings.stopAfter) options.stopAfter = settings.stopAfter;
  if (settings.sipDomain) options.sipDomain = settings.sipDomain;
  if (settings.dnsServer) options.dnsServer = settings.dnsServer;
  if (settings.dnsFromDhcp) options.dnsFromDhcp = true;
  if (!(options.targetUri && options.targetFqdn)) {
    const { chooseInterface, readHostNetwork } = await import('../dhcp/interfaces.js');
    options.dhcp.client = chooseInterface(
      {
        ...(settings.dhcp.interfaceName !== undefined ? { requested: settings.dhcp.interfaceName } : {}),
        ...(settings.dhcp.server ? { serverAddress: settings.dhcp.server.address } : {}),
      },
      await readHostNetwork(),
    );
  }
  return options;
}

function renderLogLine(log: ReturnType<typeof createVerboseLog>, line: LogLine): void {
  switch (line.kind) {
    case 'inferred':
      log.inferred(line.text);
      break;
    case 'defaulted':
      log.defaulted(line.text);
      break;
    case 'warn':
      log.step(`warning: ${line.text}`);
      break;
    case 'detail':
      if (line.body !== undefined) log.detail(line.text, line.body);
      else log.step(line.text);
      break;
    default:
      log.step(line.text);
  }
}

/** The signals that stop a run, with the exit code a shell gives a process they end (128 + number). */
const STOP_SIGNALS = { SIGINT: EXIT.interrupted, SIGTERM: EXIT.terminated } as const;
type StopSignal = keyof typeof STOP_SIGNALS;

/** A run stopped from outside: which signal, and the stage that was running (none before the first). */
interface Interruption {
  signal: StopSignal;
  stage: StageName | undefined;
}

function describeInterruption({ signal, stage }: Interruption): string {
  return `interrupted ${stage !== undefined ? `during ${stage}` : 'before the first stage'} (${signal})`;
}

/**
 * The report of an interrupted run. Stages that ended before the signal stand as they were; the stage
 * that was running did not finish (whatever it saw afterwards, such as a cancelled request, is an
 * artefact of the interrupt and must not be blamed on the server); later stages did not run.
 */
function interruptedReport(report: RunReport, interruption: Interruption, endedBefore: ReadonlySet<StageName>): RunReport {
  const message = describeInterruption(interruption);
  const stages: StageReport[] = report.stages.filter((stage) => endedBefore.has(stage.name));
  const running = report.stages.find((stage) => stage.name === interruption.stage);
  if (interruption.stage !== undefined && !endedBefore.has(interruption.stage)) {
    stages.push({
      name: interruption.stage,
      status: 'not-run',
      ms: running?.ms ?? 0,
      summary: message,
      evidence: {},
      notes: [],
      error: { observation: 'local:interrupted', message },
    });
  }
  return { ...report, result: 'Interrupted', error: message, stages };
}

/** One -v line per stage: the pool's and the network's time apart from this tool's own work. */
function describeStageTimes(stage: StageReport): string | undefined {
  if (stage.wallMs === undefined) return undefined;
  return `${stage.name}: pool and network ${stage.ms.toFixed(1)} ms, this tool ${(stage.clientMs ?? 0).toFixed(1)} ms (wall ${stage.wallMs.toFixed(1)} ms, code loading excluded)`;
}

/** The -v lines after the run: where the wall time went that Latency does not count. */
function describeRunTimes(result: PipelineResult): string[] {
  const lines: string[] = [];
  if (result.report.wallMs !== undefined) {
    lines.push(`Run wall time ${result.report.wallMs.toFixed(1)} ms; Latency counts only the pool's and the network's share (${result.report.latencyMs.toFixed(1)} ms)`);
  }
  const keyWaitMs = result.report.keyWaitMs;
  if (keyWaitMs !== undefined) {
    const made = `generated in ${result.keyGenerationMs ?? '?'} ms${result.keySource ? `, ${KEY_SOURCE_TEXT[result.keySource]}` : ''}`;
    lines.push(
      keyWaitMs >= 0.5 ? `The run waited ${keyWaitMs.toFixed(1)} ms for its RSA key pair (${made})` : `The RSA key pair was ready before it was needed (${made})`,
    );
  }
  return lines;
}

/** Where a run writes, and how the bundled CLI was compiled (absent when it runs from dist/ or the sources). */
type RunOutput = Pick<CliIo, 'env' | 'stdout' | 'stderr' | 'codeCache'>;

const CODE_CACHE_TEXT: Readonly<Record<CodeCacheState, string>> = {
  used: "from V8's code cache",
  refused: "afresh: V8 refused the code cache (made by another Node version?); it is rewritten if the directory allows",
  absent: 'afresh: no code cache beside the bundle yet',
};

/**
 * Runs the pipeline with the CLI's output: live stage table (stderr), --verbose log (stderr),
 * --trace files, then the summary (stdout) or one JSON object (stdout). Returns the exit code.
 */
export async function runWithOutput(
  options: PipelineOptions,
  pin: PinHolder,
  output: OutputOptions,
  io: RunOutput,
  dependencies: EarlyStart = {},
): Promise<{ code: ExitCode; result: PipelineResult }> {
  const { runPipeline, RunInterruptedError } = await import('../stages/pipeline.js');
  const redact: Redactor = createRedactor([pin.secretForRedaction()]);
  const errStyle = terminalStyle(io.stderr, io.env, { color: output.color });
  const writeErr = (text: string): void => {
    io.stderr.write(text);
  };
  const showTable = output.silent !== true && (!output.json || output.verbose);
  const display = showTable ? createStageDisplay({ write: writeErr, style: errStyle, redact }) : undefined;
  const verbose = output.verbose ? createVerboseLog({ write: writeErr, redact }) : undefined;
  if (io.codeCache) verbose?.step(`CLI compiled ${CODE_CACHE_TEXT[io.codeCache]}`);
  const trace: TraceWriter | undefined = output.traceDir !== undefined ? createTraceWriter(output.traceDir, { redact }) : undefined;
  if (trace?.notice) writeErr(redact(`${trace.notice}\n`));

  const abort = new AbortController();
  let currentStage: StageName | undefined;
  const endedBeforeInterrupt = new Set<StageName>();
  let interruption: Interruption | undefined;
  // One listener per signal, once: a second Ctrl-C finds none and Node's default ends the process at once.
  const stopHandlers = (Object.keys(STOP_SIGNALS) as StopSignal[]).map((signal) => {
    const handler = (): void => {
      interruption = { signal, stage: currentStage };
      abort.abort(new RunInterruptedError());
    };
    process.once(signal, handler);
    return () => process.off(signal, handler);
  });
  let result: PipelineResult;
  try {
    result = await runPipeline(
      options,
      pin,
      {
        onStageStart: (name) => {
          currentStage = name;
          if (interruption === undefined) display?.stageStarted(name);
        },
        onStageEnd: (stage) => {
          if (interruption !== undefined) return;
          endedBeforeInterrupt.add(stage.name);
          display?.stageFinished(stage);
          const times = verbose ? describeStageTimes(stage) : undefined;
          if (times) verbose?.step(times);
        },
        ...(verbose ? { onLog: (line) => renderLogLine(verbose, line) } : {}),
        ...(trace
          ? {
              onExchange: (exchange) =>
                trace.http({
                  method: exchange.request.method,
                  url: exchange.request.url,
                  requestHeaders: exchange.request.headers,
                  requestBody: exchange.request.body,
                  ...(exchange.response
                    ? { status: exchange.response.status, responseHeaders: exchange.response.headers, responseBody: exchange.response.body }
                    : {}),
                  ...(exchange.error ? { error: `${observationOf(exchange.error)}: ${exchange.error.message}` } : {}),
                }),
              onDhcpPacket: (event) => trace.dhcp(event.direction, event.bytes, `${event.address}:${event.port}`),
              onSipMessage: (event) =>
                trace.sip(event.direction, serializeSipMessage(event.message), event.message.kind === 'request' ? event.message.method : String(event.message.status), event.peer),
            }
          : {}),
        ...(verbose
          ? {
              onConnection: (info) =>
                verbose.step(
                  `Connection ${info.id} to ${info.host}:${info.port}${info.address !== info.host ? ` (${info.address}${info.resolvedBy ? `, ${info.resolvedBy}` : ''})` : ''} in ${info.connectMs} ms${
                    info.tlsProtocol ? `, ${info.tlsProtocol} ${info.tlsCipher ?? ''}${info.tlsResumed ? ', resumed' : ''}; ${describePeerCertificate(info.peerCertificate)}` : ''
                  }`,
                ),
            }
          : {}),
      },
      { ...dependencies, signal: abort.signal },
    );
  } finally {
    for (const remove of stopHandlers) remove();
  }

  const report = interruption ? interruptedReport(result.report, interruption, endedBeforeInterrupt) : result.report;
  display?.finish(report);
  if (output.json && !output.silent) {
    io.stdout.write(renderJson(report, redact, output.version ? { version: output.version } : {}));
  } else if (!output.silent) {
    const findings = renderFindings(report, errStyle, { fullCheck: verbose !== undefined });
    if (findings) writeErr(`\n${redact(findings)}`);
    io.stdout.write(redact(renderSummary(report)));
  }
  if (verbose) {
    for (const line of describeRunTimes(result)) verbose.step(line);
    verbose.step(`${result.connections.length} connection(s) opened; PIN sent ${pin.uses} time(s)`);
  }
  if (trace) writeErr(redact(`trace: ${trace.files.length} file(s) in ${trace.dir}\n`));

  if (interruption) {
    writeErr(`bootstrap-test: ${describeInterruption(interruption)}\n`);
    return { code: STOP_SIGNALS[interruption.signal], result: { ...result, report } };
  }
  if (result.internalError) {
    writeErr(redact(`bootstrap-test: internal error: ${result.internalError.message}${output.debug ? '' : ' (run with --debug for details)'}\n`));
    if (output.debug && result.internalError.stack) writeErr(redact(`${result.internalError.stack}\n`));
    return { code: EXIT.internal, result };
  }
  return { code: exitCodeForRun(report), result };
}

/** The server certificate in one line for -v: subject, SANs, issuer, NotAfter and days left, SHA-256. */
function describePeerCertificate(facts: ConnectionInfo['peerCertificate']): string {
  if (!facts) return 'server certificate not read (resumed session)';
  return `server certificate ${facts.subject} [${facts.sans || 'no SAN'}] issued by ${facts.issuer}, until ${facts.validTo} (${facts.daysLeft} days left), SHA-256 ${facts.fingerprint256}`;
}

/**
 * Exit code of a finished run: 0 success, 1 when a stage failed, 4 when this host could not do a step
 * (diagnosis severity 'unknown': nothing was learnt about the deployment).
 */
export function exitCodeForRun(report: RunReport): ExitCode {
  if (report.result === 'Success') return EXIT.ok;
  const failed = report.stages.find((stage) => stage.status === 'fail');
  if (failed?.diagnosis?.severity === 'unknown') return EXIT.local;
  return EXIT.failed;
}


/** What the caller settled before the pipeline: the RSA key (made while the PIN is read), where the pool runs. */
type EarlyStart = Pick<PipelineDependencies, 'keyPair' | 'poolOnThisThread'>;

/** One run whose result the caller renders (--nagios, --format prometheus): no table, no summary. */
async function runOneShot(
  options: PipelineOptions,
  pin: PinHolder,
  mode: Exclude<OneShotMode, { kind: 'none' }>,
  output: OutputOptions,
  io: RunOutput,
  early: EarlyStart,
): Promise<number> {
  const { code, result } = await runWithOutput(options, pin, { ...output, silent: true }, io, early);
  // Interrupted (130/143) or a bug (3): the run's own code, already explained on stderr.
  if (code === EXIT.interrupted || code === EXIT.terminated || (code === EXIT.internal && mode.kind === 'textfile')) return code;
  const target = mode.kind === 'textfile' ? await textfileForAccount(mode, options.phoneOrExt) : mode;
  return emitOneShot(target, { report: result.report, connections: result.connections }, io.stdout, new Date(), code);
}

/** Waits `ms`, or less when SIGINT/SIGTERM arrives; says which signal ended the wait. */
function pauseUnlessStopped(ms: number): Promise<keyof typeof STOP_SIGNALS | undefined> {
  return new Promise((resolve) => {
    const handlers = (Object.keys(STOP_SIGNALS) as StopSignal[]).map((signal) => {
      const handler = (): void => finish(signal);
      process.once(signal, handler);
      return () => process.off(signal, handler);
    });
    const timer = setTimeout(() => finish(undefined), ms);
    function finish(signal: StopSignal | undefined): void {
      clearTimeout(timer);
      for (const remove of handlers) remove();
      resolve(signal);
    }
  });
}

/**
 * `--count N --interval D`: N runs with one PinHolder, so a PIN the server rejects in any run is
 * never sent again; the loop stops at once instead. A line per run on stdout, the summary at the end.
 */
async function runRepeatedly(
  options: PipelineOptions,
  pin: PinHolder,
  repeat: RepeatMode,
  output: OutputOptions,
  io: RunOutput,
  early: EarlyStart,
): Promise<ExitCode> {
  const { renderRepeatSummary, renderRunLine, summariseRuns } = await import('../report/repeat.js');
  const reports: RunReport[] = [];
  let stopped: string | undefined;
  let code: ExitCode = EXIT.ok;
  for (let index = 1; index <= repeat.count; index += 1) {
    const startedAt = performance.now();
    // The key started with the process serves the first run; each later run makes its own.
    const ran = await runWithOutput(options, pin, { ...output, silent: !output.verbose }, io, index === 1 ? early : {});
    reports.push(ran.result.report);
    io.stdout.write(renderRunLine(index, repeat.count, ran.result.report));
    if (ran.code === EXIT.interrupted || ran.code === EXIT.terminated) {
      code = ran.code;
      stopped = 'interrupted';
      break;
    }
    if (ran.code !== EXIT.ok && code === EXIT.ok) code = ran.code;
    if (pin.rejected) {
      stopped = `the server rejected the PIN in run ${index}; it is not sent again (a rejected PIN counts toward the account's lockout)`;
      break;
    }
    if (index === repeat.count) break;
    const signal = await pauseUnlessStopped(Math.max(0, repeat.intervalMs - (performance.now() - startedAt)));
    if (signal !== undefined) {
      code = STOP_SIGNALS[signal];
      stopped = `interrupted (${signal})`;
      break;
    }
  }
  io.stdout.write(`\n${renderRepeatSummary(summariseRuns(reports), repeat.count, stopped)}`);
  return code;
}

/** The default command's action. Usage problems throw UsageError (exit 2) before anything is sent. */
export async function runBootstrapCommand(raw: BootstrapCliOptions, io: CliIo): Promise<ExitCode> {
  if (!raw.nagios) return runChecked(raw, io);
  // A Nagios plugin that cannot check (bad options, this host) says UNKNOWN on stdout and exits 3.
  try {
    return await runChecked(raw, io);
  } catch (error) {
    if (!(error instanceof BootstrapTestError)) throw error;
    const unknown = nagiosUnknown(error.message);
    io.stdout.write(unknown.text);
    return unknown.state;
  }
}

async function runChecked(raw: BootstrapCliOptions, io: CliIo): Promise<ExitCode> {
  const settings = bootstrapSettingsFromOptions(raw);
  const oneShot = oneShotModeFrom(raw, settings.timeoutMs);
  const repeat = repeatModeFrom(raw, oneShot);
  // The variant lists live with the inferences (SOAP layer); loaded only when a variant is asked for.
  if (settings.rootChainShape !== undefined) {
    const { ROOT_CHAIN_VARIANTS } = await import('../soap/services/inferred/root-chain.js');
    checkVariant('--root-chain-shape', settings.rootChainShape, ROOT_CHAIN_VARIANTS);
  }
  if (settings.resolveUserShape !== undefined) {
    const { RESOLVE_USER_SHAPES } = await import('../soap/services/inferred/resolve-user.js');
    checkVariant('--resolve-user-shape', settings.resolveUserShape, RESOLVE_USER_SHAPES);
  }
  const options = await pipelineOptionsFrom(settings);
  // The start-up (start.ts) began the pair with the process; a caller without one (tests, the API)
  // starts it here, once the command line is known good and before the PIN prompt.
  const keyPair = io.keyPair ?? startKeyGeneration();
  const obtained = await obtainPin({
    ...(raw.pin !== undefined ? { pin: raw.pin } : {}),
    ...(raw.pinFile !== undefined ? { pinFile: raw.pinFile } : {}),
    ...(raw.pinStdin ? { pinStdin: true } : {}),
    env: io.env,
    stdin: io.stdin,
    stderr: io.stderr,
  });
  if (obtained.source === '--pin') hidePinFromProcessTable(io.argv, obtained.pin);
  const pin = new PinHolder(obtained.pin);
  const version = packageVersion();
  const output: OutputOptions = {
    verbose: raw.verbose === true,
    json: raw.json === true,
    ...(raw.trace !== undefined ? { traceDir: raw.trace } : {}),
    color: raw.color,
    debug: raw.debug === true,
    version,
  };
  try {
    const early = { keyPair };
    if (repeat) return await runRepeatedly(options, pin, repeat, output, io, early);
    if (oneShot.kind !== 'none') return (await runOneShot(options, pin, oneShot, output, io, early)) as ExitCode;
    const { code } = await runWithOutput(options, pin, output, io, early);
    return code;
  } catch (error) {
    if (error instanceof UsageError || error instanceof LocalEnvironmentError) throw error;
    // Whatever escaped the pipeline is a bug; its message may quote request text, so redact it.
    const redact = createRedactor([obtained.pin]);
    const err = error instanceof Error ? error : new Error(String(error));
    io.stderr.write(redact(`bootstrap-test: internal error: ${err.message}${raw.debug ? '' : ' (run with --debug for details)'}\n`));
    if (raw.debug && err.stack) io.stderr.write(redact(`${err.stack}\n`));
    return EXIT.internal;
  }
}
