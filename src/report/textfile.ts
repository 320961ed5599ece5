// node_exporter textfile collector output: the exposition is written beside the target as
// `NAME.prom.<pid>` and renamed over `NAME.prom`, so the collector never reads half a file.

import { rename, rm, writeFile } from 'node:fs/promises';

/** Writes `text` to `path` atomically (same directory, then rename). */
export async function writeTextfileAtomically(path: string, text: string, pid: number = process.pid): Promise<void> {
  const temporary = `${path}.${pid}`;
  try {
    await writeFile(temporary, text, { mode: 0o644 });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
