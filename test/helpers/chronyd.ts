// chronyd as a test NTP server, and nothing else: -x so it never adjusts this machine's clock, no
// server/pool line so it never asks anyone for the time, no command port and no Unix command socket.
// With `localStratum` it serves its own clock as synchronised at that stratum; without it it has no
// reference and answers "unsynchronised" (leap 3, stratum 0).

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startInBackground, waitForOutput, type BackgroundProcess } from './background.js';

export interface ChronydSetup {
  /** The test's own temporary directory: configuration, pid and drift files go there. */
  runDir: string;
  /** Distinguishes several daemons in one run directory. */
  name: string;
  port: number;
  bindAddress: string;
  /** Client addresses or subnet allowed to ask (chrony's `allow`). */
  allow: string;
  localStratum?: number;
  /** Network namespace to start it in (one the test created); the host's namespace when absent. */
  namespace?: string;
}

/**
 * chronyd logs this once it runs as the user from -u, which it does only after opening its NTP
 * socket: from then on a request is answered (queued until its main loop starts).
 */
const READY_LINE = /Running with root privileges/;

function chronydConfig(setup: ChronydSetup): string {
  return [
    `port ${setup.port}`,
    `bindaddress ${setup.bindAddress}`,
    `allow ${setup.allow}`,
    'cmdport 0',
    // "/" disables the Unix command socket, which would otherwise live in the system's /run/chrony.
    'bindcmdaddress /',
    ...(setup.localStratum !== undefined ? [`local stratum ${setup.localStratum}`] : []),
    `pidfile ${join(setup.runDir, `${setup.name}.pid`)}`,
    `driftfile ${join(setup.runDir, `${setup.name}.drift`)}`,
    '',
  ].join('\n');
}

/** Starts chronyd in the foreground in its own process group; resolves once its NTP socket is open. */
export async function startChronyd(setup: ChronydSetup): Promise<BackgroundProcess> {
  const configFile = join(setup.runDir, `${setup.name}.conf`);
  await writeFile(configFile, chronydConfig(setup));
  // -u root: the run directory is this test's, so chronyd keeps the user that can write and remove
  // its pid and drift files there instead of switching to the packaged _chrony user.
  const command = ['-x', '-d', '-u', 'root', '-f', configFile];
  const chronyd = setup.namespace ? startInBackground('ip', ['netns', 'exec', setup.namespace, 'chronyd', ...command]) : startInBackground('chronyd', command);
  await waitForOutput('chronyd', chronyd, (output) => (READY_LINE.test(output) ? true : undefined));
  return chronyd;
}
