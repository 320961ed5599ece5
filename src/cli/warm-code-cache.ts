// Build step (the end of npm run bundle): leaves V8's code cache beside the bundled CLI, made from
// one whole sign-in against the lab, so that it holds the client's code as a run compiles it. The
// lab runs from dist/, outside the bundle's script, so none of its code goes into the cache. The
// run's output goes wherever the caller sends this process's (npm run bundle: nowhere).

import { startLab } from '../lab/pool.js';
import { loadBundledCli } from './bundle-loader.js';

const lab = await startLab({});
try {
  const cli = loadBundledCli({ fresh: true });
  const pin = lab.sampleUser.pin;
  if (pin === undefined) throw new Error('the lab has no sample user with a PIN');
  process.env['BOOTSTRAP_TEST_PIN'] = pin;
  await cli.main(['node', 'bootstrap-test', ...lab.clientArguments(), '--listen-ms', '0']);
  delete process.env['BOOTSTRAP_TEST_PIN'];
  cli.saveCodeCache();
} finally {
  await lab.stop();
}
