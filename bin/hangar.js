#!/usr/bin/env node
// The published entry point: the CLI is compiled into dist/ by `npm run build`.
/* global process */
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv);
