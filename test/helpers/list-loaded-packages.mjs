// Preloaded with `node --import` by test/cli/client-path.test.ts: when the process exits, writes the
// CommonJS files it loaded (every npm package here is CommonJS: undici, node-forge, xml-crypto,
// @xmldom/xmldom, commander) as a JSON list to $LOADED_PACKAGES_FILE.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const target = process.env.LOADED_PACKAGES_FILE;
if (!target) throw new Error('list-loaded-packages.mjs needs LOADED_PACKAGES_FILE');
process.on('exit', () => {
  writeFileSync(target, JSON.stringify(Object.keys(require.cache).filter((file) => file.includes('/node_modules/'))), { mode: 0o600 });
});
