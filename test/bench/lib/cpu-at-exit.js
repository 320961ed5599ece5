// Preloaded with `node --import` by the benchmarks: at exit, writes this process's CPU time to
// $BENCH_CPU_FILE as JSON: the main thread's own (Linux schedstat, ns resolution; it excludes the
// libuv pool, where key generation runs, and V8's helper threads) and the whole process's.
import { readFileSync, writeFileSync } from 'node:fs';

const target = process.env.BENCH_CPU_FILE;
process.on('exit', () => {
  if (!target) return;
  const mainNs = Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]);
  const all = process.cpuUsage();
  writeFileSync(target, JSON.stringify({ mainMs: mainNs / 1e6, processMs: (all.user + all.system) / 1000 }));
});
