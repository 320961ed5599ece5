// The lab pool in a child process for the benchmarks, so that the benchmark's own CPU figures are
// the client's alone. `startLabProcess()` forks this file; the child starts the lab, reports where it
// listens, and stops when told to.

import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const root = join(dirname(here), '..', '..', '..');

/** { lab: { fqdn, host, ports, sampleUser, clientArguments }, stop() } */
export async function startLabProcess() {
  const child = fork(here, ['--lab-child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const lab = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`the lab child exited with ${code}`)));
  });
  return {
    lab,
    stop: async () => {
      child.send('stop');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

if (process.argv[2] === '--lab-child') {
  const { startLab } = await import(join(root, 'dist', 'lab', 'pool.js'));
  const lab = await startLab({});
  process.send({ fqdn: lab.fqdn, host: lab.host, ports: lab.ports, sampleUser: lab.sampleUser, clientArguments: lab.clientArguments() });
  process.on('message', async () => {
    await lab.stop();
    process.exit(0);
  });
}
