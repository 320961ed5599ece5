// The child process of hostile-pipeline.test.ts: the real pipeline with the command's own output and
// exit code (runWithOutput, from dist/: needs `npm run build`), configured from a JSON argument so a
// test can give the attacked stage a short deadline of its own (the command line has only --timeout).
// The PIN comes from BOOTSTRAP_TEST_PIN, as for the command.
import { runWithOutput } from '../../dist/cli/bootstrap-run.js';
import { informSettings } from '../../dist/dhcp/inform-settings.js';
import { parseResolveRule } from '../../dist/net/resolve.js';
import { PinHolder } from '../../dist/stages/pin-holder.js';
import { DEFAULT_TRANSPORT_SETTINGS } from '../../dist/net/transport.js';

const spec = JSON.parse(process.argv[2] ?? '{}');
const options = {
  phoneOrExt: spec.phoneOrExt,
  targetUri: spec.targetUri,
  targetFqdn: spec.targetFqdn,
  registrarPort: 5061,
  extraTrustAnchors: [],
  resolve: spec.resolve.map((rule) => parseResolveRule(rule)),
  dhcp: informSettings(),
  timeoutMs: spec.timeoutMs,
  stageTimeoutsMs: spec.stageTimeoutsMs,
  csrHash: 'sha1',
  maxResponseBytes: DEFAULT_TRANSPORT_SETTINGS.maxResponseBytes,
  // The front end attacks the cmdlet's HTTP stages; the sign-in after the certificate has its own tests.
  stopAfter: 'certificate',
};
try {
  const { code } = await runWithOutput(
    options,
    new PinHolder(process.env.BOOTSTRAP_TEST_PIN ?? ''),
    { verbose: false, json: true, color: false, debug: false },
    { env: process.env, stdout: process.stdout, stderr: process.stderr },
  );
  process.exitCode = code;
  // When the run itself ended, in process uptime: what the process does after it is the exit lag.
  process.stderr.write(`hostile-child: run ended at ${Math.round(process.uptime() * 1000)} ms\n`);
} catch (error) {
  // What the command does with anything that escapes the pipeline (exit 3), without the stack.
  process.stderr.write(`bootstrap-test: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 3;
}
