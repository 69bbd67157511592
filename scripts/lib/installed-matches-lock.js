// Exits 0 when node_modules holds every package package-lock.json pins, at its version
// (npm's own record of the install, node_modules/.package-lock.json, is compared), so
// scripts/setup runs `npm ci` only when something is missing or changed. Optional
// packages are skipped: those for other platforms are never installed.
/* global process */
import { readFileSync } from 'node:fs';

const read = (file) => {
  try {
    return JSON.parse(readFileSync(file, 'utf8')).packages ?? {};
  } catch {
    return undefined;
  }
};
const locked = read('package-lock.json');
const installed = read('node_modules/.package-lock.json');
const stale =
  !locked ||
  !installed ||
  Object.entries(locked).some(
    ([path, pkg]) => path !== '' && !pkg.optional && installed[path]?.version !== pkg.version,
  );
process.exitCode = stale ? 1 : 0;
