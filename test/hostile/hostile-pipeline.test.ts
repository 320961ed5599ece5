// Issue 9's proof for HTTP: the real pipeline with the command's output and exit code
// (run-pipeline-child.mjs, a child process running dist/: needs `npm run build`) runs against a lab
// pool behind a hostile front end (hostile-http-server.ts) that attacks one endpoint at a time. Every run must end as a classified failure of the right stage (or, for http:// ports in
// metadata, a success over https), inside its deadline, in bounded memory, and the PIN must never be
// in a byte the hostile server received outside a verified TLS connection.

import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCertificateAuthority, issueServerCertificate, privateKeyPem } from '../../src/lab/ca.js';
import { CA_CERT_FILE, CA_KEY_FILE } from '../../src/lab/pool-pki.js';
import { startLab, type Lab } from '../../src/lab/pool.js';
import { startKeyGeneration } from '../../src/pki/keys.js';
import { pinWireForms } from '../../src/soap/services/inferred/pin-credential.js';
import {
  deepNesting,
  ELSEWHERE_HOST,
  entityExpansion,
  externalEntity,
  EXTERNAL_ENTITY_PATH,
  GIB,
  gibibyteStream,
  hugeHeader,
  httpPortsInMetadata,
  invalidUtf8,
  neverEndingTrickle,
  quadraticTags,
  redirectToFile,
  redirectToOtherHost,
} from './attacks.js';
import { ENDPOINTS, startHostileServer, type Attack, type Endpoint, type HostileServer } from './hostile-http-server.js';

const CHILD = resolve(__dirname, 'run-pipeline-child.mjs');
const PEAK_MEMORY_PRELOAD = pathToFileURL(resolve(__dirname, 'peak-memory.mjs')).href;
const FQDN = 'pool01.hostile.test';

/**
 * The attacked stage's own deadline: short, so that the trickle is cut quickly. The stages before it
 * get the generous default-like limit, so that a busy machine does not end the run before the attack.
 */
const ATTACKED_STAGE_DEADLINE_MS = 5000;
const OTHER_STAGE_DEADLINE_MS = 20_000;
const RUN_TIMEOUT_MS = 60_000;
/**
 * What a stage may take beyond its deadline to report its failure: the pipeline's grace is 50 ms, the
 * rest is timers firing late on a loaded 2-core machine. A parse that ignored the deadline would not fit.
 */
const STAGE_DEADLINE_MARGIN_MS = 1500;
/**
 * How long the process may live on after its run ended. A run that fails early leaves the RSA key
 * generation it started (to overlap the network stages) running, and Node waits for it; that is one
 * key generation at most, which a loaded machine can stretch to seconds.
 */
const EXIT_LAG_LIMIT_MS = 10_000;
/** A child run's heap limit: a client that held a hostile answer whole would die of it. */
const MAX_OLD_SPACE_MB = 128;
/** Peak resident memory of one run; a CLI run against the lab peaks well under half of this. */
const PEAK_RSS_LIMIT_KIB = 256 * 1024;

/** The stage each endpoint belongs to. */
const STAGE_OF: Readonly<Record<Endpoint, string>> = {
  rootchain: 'rootchain',
  'webticket-mex': 'webticket',
  issuetoken: 'webticket',
  'certprov-mex': 'certprov-mex',
  resolveuser: 'resolveuser',
  getandpublishcert: 'certificate',
};

interface Expected {
  /** undefined: the run succeeds (exit 0). */
  id?: string;
  exit: number;
  /** The failing stage when it is not the endpoint's own (STAGE_OF). */
  stage?: string;
}

interface HostileCase {
  name: string;
  attack: (fqdn: string) => Attack;
  endpoints: readonly Endpoint[];
  expect: (endpoint: Endpoint) => Expected;
  /** Further checks on what the front end saw and on the report. */
  check?: (hostile: HostileServer, stages: readonly JsonStage[], endpoint: Endpoint) => void;
}

const fail = (id: string): Expected => ({ id, exit: 1 });

/**
 * The diagnosis of an answer the step cannot parse, per endpoint: the two metadata documents and the
 * ResolveUser answer have parse ids of their own, never "PIN auth disabled", "proof endpoint missing"
 * or "no such user".
 */
const UNREADABLE: Readonly<Record<Endpoint, string>> = {
  rootchain: 'chain-empty-or-unparsable',
  'webticket-mex': 'webticket-metadata-unreadable',
  issuetoken: 'webticket-rstr-incomplete',
  'certprov-mex': 'resolve-metadata-unreadable',
  resolveuser: 'resolve-response-unparsable',
  getandpublishcert: 'cert-response-unparsable',
};

/** A redirect is never followed; the CertProv metadata redirected is metadata the pool does not serve. */
const REDIRECTED: Readonly<Record<Endpoint, string>> = {
  rootchain: 'http-redirect-not-followed',
  'webticket-mex': 'http-redirect-not-followed',
  issuetoken: 'http-redirect-not-followed',
  'certprov-mex': 'resolve-mex-unavailable',
  resolveuser: 'http-redirect-not-followed',
  getandpublishcert: 'http-redirect-not-followed',
};

const CASES: readonly HostileCase[] = [
  { name: 'entity expansion', attack: () => entityExpansion, endpoints: ENDPOINTS, expect: (endpoint) => fail(UNREADABLE[endpoint]) },
  {
    name: 'external entities',
    attack: () => externalEntity,
    endpoints: ENDPOINTS,
    expect: (endpoint) => fail(UNREADABLE[endpoint]),
    // The entity's URL names the front end itself: had the client resolved it, the request would be here.
    check: (hostile) => expect(hostile.connections.flatMap((connection) => connection.requests).map((request) => request.path)).not.toContain(EXTERNAL_ENTITY_PATH),
  },
  { name: '10k-deep nesting', attack: () => deepNesting, endpoints: ENDPOINTS, expect: (endpoint) => fail(UNREADABLE[endpoint]) },
  { name: 'the <a<a<a… pattern at 4 MiB', attack: () => quadraticTags, endpoints: ENDPOINTS, expect: (endpoint) => fail(UNREADABLE[endpoint]) },
  {
    name: 'a 1 GiB stream',
    attack: () => gibibyteStream,
    endpoints: ENDPOINTS,
    // Each step names what an endless answer means for it: for the metadata, a document it cannot read.
    expect: (endpoint) => fail(UNREADABLE[endpoint]),
    // Cut at the 4 MiB response cap: what was written beyond it sat in socket buffers, not in the client.
    check: (hostile) => expect(hostile.streamedBytes()).toBeLessThan(GIB / 32),
  },
  {
    name: 'a never-ending trickle',
    attack: () => neverEndingTrickle,
    endpoints: ENDPOINTS,
    // The CertProv metadata is read during webticket (its WebTicketProof port is the ticket's AppliesTo),
    // so a stall there ends that stage; a broken answer would be certprov-mex's to report.
    expect: (endpoint) => ({ ...fail('http-answer-too-slow'), ...(endpoint === 'certprov-mex' ? { stage: 'webticket' } : {}) }),
  },
  { name: 'a 100 KiB header', attack: () => hugeHeader, endpoints: ENDPOINTS, expect: () => fail('http-response-malformed') },
  { name: 'a redirect to file://', attack: () => redirectToFile, endpoints: ENDPOINTS, expect: (endpoint) => fail(REDIRECTED[endpoint]) },
  { name: 'a redirect to another host', attack: () => redirectToOtherHost, endpoints: ENDPOINTS, expect: (endpoint) => fail(REDIRECTED[endpoint]) },
  { name: 'invalid UTF-8', attack: () => invalidUtf8, endpoints: ENDPOINTS, expect: (endpoint) => fail(UNREADABLE[endpoint]) },
  {
    name: 'http:// port addresses in metadata',
    attack: httpPortsInMetadata,
    endpoints: ['webticket-mex', 'certprov-mex'],
    expect: () => ({ exit: 0 }),
    // The http:// addresses were published (and seen), and moved to https on the metadata's origin.
    check: (hostile, stages, endpoint) => {
      const notes = stages.find((stage) => stage.name === STAGE_OF[endpoint])?.notes ?? [];
      expect(notes.some((note) => note.includes(`http://${FQDN}:${hostile.ports.http}/`) && note.includes(`https://${FQDN}/`))).toBe(true);
    },
  },
];

interface JsonStage {
  name: string;
  status: string;
  ms: number;
  summary: string;
  notes: string[];
  diagnosis?: { id: string } | null;
}

interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
  peak: { maxRssKiB: number; heapUsedBytes: number; uptimeMs: number } | undefined;
  /** Process uptime when the run ended (the child says so on stderr). */
  runEndedAtMs: number | undefined;
}

let lab: Lab;
let scratch: string;
let frontEndTls: { cert: string; key: string };

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'bt-hostile-'));
  // The lab keeps its CA in scratch, so the hostile front end can present a certificate from it.
  lab = await startLab({ fqdn: FQDN, dhcp: false, caDir: join(scratch, 'ca') });
  const ca = loadCertificateAuthority(
    await readFile(join(scratch, 'ca', CA_CERT_FILE), 'utf8'),
    await readFile(join(scratch, 'ca', CA_KEY_FILE), 'utf8'),
    'test',
  );
  const key = await startKeyGeneration();
  const now = Date.now();
  const cert = issueServerCertificate(ca, {
    publicKey: key.publicKey,
    dnsNames: [FQDN],
    notBefore: new Date(now - 86_400_000),
    notAfter: new Date(now + 86_400_000),
  }).pem;
  frontEndTls = { cert, key: privateKeyPem(key.privateKey) };
});

afterAll(async () => {
  await lab?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** A hostile front end of its own for one run, so runs can overlap. */
function startFrontEnd(attack?: { endpoint: Endpoint; run: Attack }): Promise<HostileServer> {
  return startHostileServer({
    lab: { fqdn: FQDN, httpPort: lab.ports.http, httpsPort: lab.ports.https, caPem: lab.caCertificatesPem },
    tls: frontEndTls,
    ...(attack ? { attack } : {}),
  });
}

/** The run, pointed at the hostile front end for every name and port it may use (as --resolve would). */
function runSpec(hostile: HostileServer, attackedStage: string | undefined): string {
  const stageTimeoutsMs = Object.fromEntries(
    Object.values(STAGE_OF).map((stage) => [stage, stage === attackedStage ? ATTACKED_STAGE_DEADLINE_MS : OTHER_STAGE_DEADLINE_MS]),
  );
  return JSON.stringify({
    phoneOrExt: lab.sampleUser.phoneOrExt,
    targetUri: `https://${FQDN}/CertProv/CertProvisioningService.svc`,
    targetFqdn: FQDN,
    resolve: [
      `${FQDN}:80=127.0.0.1:${hostile.ports.http}`,
      `${FQDN}:443=127.0.0.1:${hostile.ports.https}`,
      // The lab's metadata names its own https port; that goes through the front end as well.
      `${FQDN}:${lab.ports.https}=127.0.0.1:${hostile.ports.https}`,
      // Whatever a redirect names on the other host would reach the front end too, and be seen there.
      `${ELSEWHERE_HOST}=127.0.0.1`,
    ],
    timeoutMs: RUN_TIMEOUT_MS,
    stageTimeoutsMs,
  });
}

/** Child runs at once: enough to overlap the idle waits (trickle), few enough for a 2-core machine. */
const PARALLEL_RUNS = 3;
let running = 0;
const waiting: Array<() => void> = [];
async function inTurn<T>(body: () => Promise<T>): Promise<T> {
  if (running >= PARALLEL_RUNS) await new Promise<void>((resolvePromise) => waiting.push(resolvePromise));
  running += 1;
  try {
    return await body();
  } finally {
    running -= 1;
    waiting.shift()?.();
  }
}

async function runChild(hostile: HostileServer, attackedStage: string | undefined): Promise<ChildRun> {
  const peakFile = join(scratch, `peak-${process.hrtime.bigint()}.json`);
  const started = performance.now();
  const ran = await new Promise<Omit<ChildRun, 'elapsedMs' | 'peak' | 'runEndedAtMs'>>((resolvePromise, reject) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${MAX_OLD_SPACE_MB}`, '--import', PEAK_MEMORY_PRELOAD, CHILD, runSpec(hostile, attackedStage)], {
      env: { ...process.env, BOOTSTRAP_TEST_PIN: lab.sampleUser.pin, HOSTILE_PEAK_MEMORY_FILE: peakFile, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
  const elapsedMs = performance.now() - started;
  let peak: ChildRun['peak'];
  try {
    peak = JSON.parse(await readFile(peakFile, 'utf8')) as ChildRun['peak'];
  } catch {
    peak = undefined;
  }
  const ended = /hostile-child: run ended at (\d+) ms/.exec(ran.stderr)?.[1];
  return { ...ran, elapsedMs, peak, runEndedAtMs: ended === undefined ? undefined : Number(ended) };
}

/** Every form the PIN can take on the wire (as typed, base64). */
function pinForms(): string[] {
  const pin = lab.sampleUser.pin ?? '';
  return [...new Set([...pinWireForms({ pin, encoding: 'plain' }), ...pinWireForms({ pin, encoding: 'base64' })])];
}

function holdsPin(bytes: Buffer): boolean {
  const text = bytes.toString('latin1');
  return pinForms().some((form) => text.includes(form));
}

/** The PIN reached the hostile server only inside TLS connections whose handshake the client completed. */
function expectPinOnlyOverVerifiedTls(hostile: HostileServer): void {
  for (const connection of hostile.connections) {
    expect(holdsPin(Buffer.concat(connection.raw)), `${connection.listener} connection received the PIN outside TLS`).toBe(false);
    if (!connection.tlsEstablished) expect(holdsPin(Buffer.concat(connection.decrypted))).toBe(false);
  }
}

/** One run of the command through a front end that attacks `endpoint` (or nothing). */
async function runThrough(attack?: { endpoint: Endpoint; run: Attack; stage?: string }): Promise<{ ran: ChildRun; hostile: HostileServer }> {
  return inTurn(async () => {
    const hostile = await startFrontEnd(attack);
    try {
      return { ran: await runChild(hostile, attack ? (attack.stage ?? STAGE_OF[attack.endpoint]) : undefined), hostile };
    } finally {
      await hostile.close();
    }
  });
}

/** Generous: a test may wait for its turn behind every other run of the file. */
const TEST_TIMEOUT_MS = 15 * 60_000;

describe('the real pipeline against a hostile HTTP/HTTPS server', () => {
  it('passes every stage through the front end when nothing is attacked (the front end is transparent)', async () => {
    expect(lab.sampleUser.pin?.length).toBeGreaterThan(0);
    const { ran, hostile } = await runThrough();
    expect(ran.code, ran.stderr).toBe(0);
    const report = JSON.parse(ran.stdout) as { summary: { result: string }; stages: JsonStage[] };
    expect(report.summary.result).toBe('Success');
    // Both listeners were used, and the PIN went to the front end inside verified TLS only.
    expect(hostile.connections.some((connection) => connection.listener === 'http')).toBe(true);
    expect(hostile.connections.some((connection) => connection.tlsEstablished && holdsPin(Buffer.concat(connection.decrypted)))).toBe(true);
    expectPinOnlyOverVerifiedTls(hostile);
  }, TEST_TIMEOUT_MS);

  for (const hostileCase of CASES) {
    describe.concurrent(hostileCase.name, () => {
      for (const endpoint of hostileCase.endpoints) {
        const expected = hostileCase.expect(endpoint);
        const stage = expected.stage ?? STAGE_OF[endpoint];
        it(`at ${endpoint}: ${expected.id ? `${stage} fails with ${expected.id}` : 'the run succeeds over https'}, exit ${expected.exit}`, async () => {
          const { ran, hostile } = await runThrough({ endpoint, run: hostileCase.attack(FQDN), stage });
          const report = JSON.parse(ran.stdout) as { summary: { result: string; failedStage: string | null; latencyMs: number }; stages: JsonStage[] };
          const failed = report.stages.find((entry) => entry.status === 'fail');
          // eslint-disable-next-line no-console
          console.log(
            JSON.stringify({
              case: hostileCase.name,
              endpoint,
              exit: ran.code,
              stage: failed?.name,
              id: failed?.diagnosis?.id,
              summary: failed?.summary?.slice(0, 160),
              elapsedMs: Math.round(ran.elapsedMs),
              stageMs: failed?.ms,
              latencyMs: report.summary.latencyMs,
              maxRssMiB: ran.peak ? Math.round(ran.peak.maxRssKiB / 1024) : undefined,
              exitLagMs: ran.peak && ran.runEndedAtMs !== undefined ? ran.peak.uptimeMs - ran.runEndedAtMs : undefined,
              attacked: hostile.attacked(),
              streamedMiB: Math.round(hostile.streamedBytes() / 1048576),
            }),
          );

          // The attack was served: the run reached the endpoint.
          expect(hostile.attacked()).toBeGreaterThan(0);
          expect(ran.stderr).not.toContain('internal error');
          expect(ran.code).toBe(expected.exit);
          if (expected.id) {
            expect(report.summary.failedStage).toBe(stage);
            expect(failed?.name).toBe(stage);
            expect(failed?.diagnosis?.id).toBe(expected.id);
            // The failing stage ended by its own deadline, CPU-bound parsing included.
            expect(failed!.ms).toBeLessThanOrEqual(ATTACKED_STAGE_DEADLINE_MS + STAGE_DEADLINE_MARGIN_MS);
          } else {
            expect(report.summary.result).toBe('Success');
          }
          // The run ended within its deadline, and the process did not linger after it.
          expect(report.summary.latencyMs).toBeLessThanOrEqual(RUN_TIMEOUT_MS);
          expect(ran.peak, 'the child wrote its peak memory').toBeDefined();
          expect(ran.runEndedAtMs, 'the child said when its run ended').toBeDefined();
          expect(ran.peak!.uptimeMs - ran.runEndedAtMs!).toBeLessThan(EXIT_LAG_LIMIT_MS);
          expect(ran.peak!.maxRssKiB).toBeLessThan(PEAK_RSS_LIMIT_KIB);
          // No report echoes a hostile answer at length.
          expect(ran.stdout.length).toBeLessThan(30_000);
          // A redirect is reported, never followed: nothing asked the other host for anything.
          expect(hostile.connections.flatMap((connection) => connection.requests).filter((request) => request.host.startsWith(ELSEWHERE_HOST))).toEqual([]);
          expectPinOnlyOverVerifiedTls(hostile);
          hostileCase.check?.(hostile, report.stages, endpoint);
        }, TEST_TIMEOUT_MS);
      }
    });
  }
});
