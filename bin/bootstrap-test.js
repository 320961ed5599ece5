#!/usr/bin/env node
// Entry point of the installed command; the CLI itself is compiled to dist/ (npm run build).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv);
