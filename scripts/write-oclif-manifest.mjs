// Writes oclif.manifest.json: every command's id, summary, flags and args, which oclif reads instead of
// importing the command modules when it shows help or picks a command (xfbench --help starts faster).
// Run after tsc (npm run build / prepare does both); test/lib/oclif-manifest.test.ts fails when it is stale.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Plugin } from '@oclif/core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function buildManifest() {
  const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, respectNoCacheDefault: true });
  await plugin.load();
  return plugin.manifest;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const manifest = await buildManifest();
  writeFileSync(path.join(root, 'oclif.manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`oclif.manifest.json: ${Object.keys(manifest.commands).length} commands`);
}
