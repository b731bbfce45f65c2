#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';
import { flush, handle, run } from '@oclif/core';

// V8 lets its heap grow to up to four times what survives a collection when a program allocates fast,
// as score, compare and report do over a million questions (and hyparquet-writer's encoding more so):
// score at 1M peaked at 610 MB of which under 160 MB was live. A growth factor of 1.5 keeps peak
// memory near the live set (about 300 MB there) for a little more collection work (npm run bench).
setFlagsFromString('--heap-growing-percent=50');

/** Resolves once everything written to `stream` so far has been handed to the OS (a pipe, a file, a terminal). */
function drained(stream) {
  return new Promise((resolve) => stream.write('', resolve));
}

try {
  await run(process.argv.slice(2), import.meta.url);
  await flush();
} catch (error) {
  // A deliberate status (a failed gate exits 3, bad input 2): process.exit drops output still queued
  // for a pipe, so a JSON document piped to jq or a PR comment arrived cut at 64 KiB exactly when the
  // gate failed. Let stdout and stderr drain first, then exit with the status.
  if (error?.code === 'EEXIT' && typeof error.oclif?.exit === 'number') {
    await Promise.all([drained(process.stdout), drained(process.stderr)]);
    process.exit(error.oclif.exit);
  }
  await handle(error);
}
