// Preloaded with `node --import` by test/cli/client-path.test.ts: records every file the process
// loads, as a JSON list in $LOADED_FILES_FILE at exit: the CommonJS files (require.cache) and the
// ES modules (through a resolve hook, which runs on the loader's own thread and appends to a side
// file). The bundled CLI itself is compiled by vm.Script and shows in neither: it is one file.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const require = createRequire(import.meta.url);
const target = process.env.LOADED_FILES_FILE;
if (!target) throw new Error('list-loaded-files.mjs needs LOADED_FILES_FILE');
const esmList = `${target}.esm`;
writeFileSync(esmList, '', { mode: 0o600 });

const hook = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (resolved.url.startsWith('file:')) appendFileSync(${JSON.stringify(esmList)}, resolved.url + '\\n');
  return resolved;
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);

process.on('exit', () => {
  const esm = readFileSync(esmList, 'utf8').split('\n').filter(Boolean).map((url) => new URL(url).pathname);
  rmSync(esmList, { force: true });
  writeFileSync(target, JSON.stringify([...new Set([...Object.keys(require.cache), ...esm])]), { mode: 0o600 });
});
