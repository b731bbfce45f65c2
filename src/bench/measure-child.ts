/**
 * Runs the xfbench CLI in this process and, on exit, writes the process's peak RSS to a file:
 * `node dist/bench/measure-child.js STATS_FILE <xfbench args...>`.
 */
import { execute } from '@oclif/core';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../lib/package-root.js';

const [statsFile, ...args] = process.argv.slice(2);
process.on('exit', () => writeFileSync(statsFile!, JSON.stringify({ maxRSS: process.resourceUsage().maxRSS })));
await execute({ dir: pathToFileURL(path.join(packageRoot(), 'bin/run.js')).href, args });
