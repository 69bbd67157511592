#!/usr/bin/env -S node --
// The `--` stops Node 20 from reading our own `--env-file` flag as its own option.
// The published entry point: the CLI is compiled into dist/ by `npm run build`.
/* global process */
import { closeInheritedFds } from '../dist/cli/inherited-fds.js';
import { main } from '../dist/cli/main.js';

// Before anything is spawned: no descriptor of whoever started us reaches a sandbox.
closeInheritedFds();
process.exitCode = await main(process.argv);
