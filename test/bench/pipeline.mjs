// The bootstrap pipeline against the lab pool on loopback. Prints:
// - full pipeline wall time (median of RUNS runs, plus p90), and per stage;
// - client-side CPU per run vs time spent waiting (the rest of the wall time);
// - connections opened per run;
// - RSA 2048 key generation on its own.
// The cold one-off run (CLI start, whole run vs a floor replay) is oneshot.mjs.
//
// Method for client vs server: the lab runs in a child process (lib/lab-process.js), so this
// process's CPU time (process.cpuUsage: user + system, all threads) during a run is the client's own
// work: building and parsing XML, TLS, signing the proof, the CSR, verification. Wall time minus that
// is time spent waiting on the server and the network. Key generation is excluded from the runs (one
// key is made beforehand and handed in, as the pipeline otherwise overlaps it with the network stages)
// and timed separately. Numbers only; nothing here asserts on time.

import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { startLabProcess } from './lib/lab-process.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const dist = (path) => join(root, 'dist', path);

const RUNS = Number(process.env.BENCH_RUNS ?? 25);
// Steady state is what a scheduled checker sees; the first (cold, JIT-less) run is printed on its own.
const WARMUP = 10;
const KEYGENS = 8;

/** WARMUP + RUNS pipeline runs with `options`: wall and client CPU per run, per-stage times, HTTP connections. */
async function measure(options, keyPair, pin) {
  const [{ runPipeline }, { PinHolder }] = await Promise.all([import(dist('stages/pipeline.js')), import(dist('stages/pin-holder.js'))]);
  const walls = [];
  const cpus = [];
  const connections = [];
  const stageTimes = new Map();
  let firstRun;
  for (let i = 0; i < WARMUP + RUNS; i += 1) {
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const result = await runPipeline(options, new PinHolder(pin), {}, { keyPair });
    const wall = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    if (result.report.result !== 'Success') {
      const failed = result.report.stages.find((stage) => stage.status === 'fail');
      throw new Error(`run ${i} failed at ${failed?.name}: ${failed?.error?.message}`);
    }
    if (i === 0) firstRun = { wall, cpu: (cpu.user + cpu.system) / 1000 };
    if (i < WARMUP) continue;
    walls.push(wall);
    cpus.push((cpu.user + cpu.system) / 1000);
    connections.push(result.connections.length);
    for (const stage of result.report.stages) {
      if (!stageTimes.has(stage.name)) stageTimes.set(stage.name, []);
      stageTimes.get(stage.name).push(stage.ms);
    }
  }
  return { walls, cpus, connections, stageTimes, firstRun, wall: median(walls), cpu: median(cpus) };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const percentile = (values, p) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))];
const ms = (value) => `${value.toFixed(1)} ms`;

await main();

async function main() {
  const [{ startKeyGeneration }, { labPipelineOptions }] = await Promise.all([import(dist('pki/keys.js')), import(dist('cli/demo.js'))]);

  const { lab, stop } = await startLabProcess();
  try {
    const options = await labPipelineOptions(lab);
    // Stop listening for other DHCP servers as soon as the lab answered: the window is a setting, not work.
    options.dhcp.listenMs = 0;

    const keyTimes = [];
    for (let i = 0; i < KEYGENS; i += 1) keyTimes.push((await startKeyGeneration()).generatedInMs);
    const keyPair = startKeyGeneration();
    await keyPair;

    // The cmdlet's run (--stop-after certificate) keeps its own targets; the sign-in stages are measured on top.
    const cmdlet = await measure({ ...options, stopAfter: 'certificate' }, keyPair, lab.sampleUser.pin);
    const whole = await measure(options, keyPair, lab.sampleUser.pin);
    const wall = cmdlet.wall;
    const cpu = cmdlet.cpu;
    console.log(`pipeline against the lab on loopback, ${RUNS} runs after ${WARMUP} warm-up (lab in a child process)`);
    console.log(`  cmdlet run (--stop-after certificate)`);
    console.log(`  wall time        median ${ms(wall)}, p90 ${ms(percentile(cmdlet.walls, 0.9))}, min ${ms(Math.min(...cmdlet.walls))}`);
    for (const [name, values] of cmdlet.stageTimes) console.log(`    ${name.padEnd(14)} median ${ms(median(values))}`);
    console.log(`  client CPU       median ${ms(cpu)} per run (${((cpu / wall) * 100).toFixed(0)}% of wall), excluding key generation   target < 25 ms: ${cpu < 25 ? 'met' : 'MISSED'}`);
    console.log(`  first run        wall ${ms(cmdlet.firstRun.wall)}, client CPU ${ms(cmdlet.firstRun.cpu)} (cold: module loading and JIT included)`);
    console.log(`  waiting          median ${ms(median(cmdlet.walls.map((w, i) => w - cmdlet.cpus[i])))} per run (server, network, DHCP)`);
    console.log(`  connections      max ${Math.max(...cmdlet.connections)} per run (median ${median(cmdlet.connections)})   target <= 2: ${Math.max(...cmdlet.connections) <= 2 ? 'met' : 'MISSED'}`);
    console.log(`  whole sign-in (time, dns, registrar-tls, register added)`);
    console.log(`  wall time        median ${ms(whole.wall)}, p90 ${ms(percentile(whole.walls, 0.9))}; the added stages: median ${ms(whole.wall - wall)} more`);
    for (const name of ['time', 'dns', 'registrar-tls', 'register']) console.log(`    ${name.padEnd(14)} median ${ms(median(whole.stageTimes.get(name) ?? [NaN]))}`);
    console.log(`  client CPU       median ${ms(whole.cpu)} per run; the added stages: median ${ms(whole.cpu - cpu)} more (TLS 1.0 probe, TLS-DSK handshake, SIP signatures)`);
    console.log(`  SIP connections  one for the registrar-tls probe, one for the whole REGISTER exchange and sign-out (by construction: one SipTlsConnection per stage)`);
    console.log(`  RSA 2048 keygen  median ${ms(median(keyTimes))} of ${KEYGENS} (started with the run, overlapped with the network stages)`);
  } finally {
    await stop();
  }
}
