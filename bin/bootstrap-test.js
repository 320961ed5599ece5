#!/usr/bin/env node
// Entry point of the installed command: the bundled start-up (src/cli/start.ts, built by npm run
// build). CommonJS, as bin/package.json says, because Node reaches the first line of a CommonJS
// program sooner than that of an ES module.
require('../dist/bundle/start.cjs');
