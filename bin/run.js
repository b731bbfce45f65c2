#!/usr/bin/env node
import { flush, handle, run } from '@oclif/core';

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
