// Stands in for node:child_process in the bundled command (package.json "bundle" aliases it here).
// commander requires the module when it loads, which costs every start some 9 ms of CPU, for its
// executable subcommands (`program.command(name, description)` run as separate programs); this
// CLI's commands are all actions in the same process.
export function spawn(): never {
  throw new Error('bootstrap-test has no executable subcommands: node:child_process is left out of the bundle');
}
