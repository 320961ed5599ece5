// Preloaded (node --import) into a CLI run started by hostile-pipeline.test.ts: when the process
// exits, writes its peak resident set size and final heap use to the file the test names, so the test
// can bound the memory a hostile answer made the client use.
import { writeFileSync } from 'node:fs';

const target = process.env.HOSTILE_PEAK_MEMORY_FILE;
if (target) {
  process.on('exit', () => {
    const { heapUsed } = process.memoryUsage();
    writeFileSync(target, JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS, heapUsedBytes: heapUsed, uptimeMs: Math.round(process.uptime() * 1000) }));
  });
}
