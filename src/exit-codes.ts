// Exit codes, documented in --help and the README. Monitoring wrappers match on these numbers.
export const EXIT = {
  /** Every stage passed (or the sub-command did its job). */
  ok: 0,
  /** A stage failed: the deployment (or the DHCP answer) is at fault. */
  failed: 1,
  /** The command line or an input file was wrong; nothing was sent. */
  usage: 2,
  /** A bug or an unexpected condition inside the tool. */
  internal: 3,
  /** This host could not run the test at all (no privilege for UDP 68, no usable interface). */
  local: 4,
  /** Stopped by Ctrl-C (SIGINT) before the run finished: 128 + 2, as a shell reports it. */
  interrupted: 130,
  /** Stopped by SIGTERM before the run finished: 128 + 15. */
  terminated: 143,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
