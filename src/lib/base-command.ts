import { Command } from '@oclif/core';
import { setFlagsFromString } from 'node:v8';
import { EXIT, XfError } from './errors.js';

/**
 * Shared error handling: an XfError (bad input) is one line on stderr and exit status 2; anything else
 * is a bug, reported in one line with a hint to rerun with XFBENCH_DEBUG=1 for the stack.
 */
export abstract class XfCommand extends Command {
  /**
   * V8 lets its heap grow to up to four times what survives a collection when a program allocates
   * fast, as score, compare and report do over a million questions (hyparquet-writer's encoding more
   * so): score at 1M peaked at 610 MB of which under 160 MB was live. A growth factor of 1.5 keeps
   * peak memory near the live set (305 MB there) for some more collection work (npm run bench).
   */
  override async init(): Promise<void> {
    setFlagsFromString('--heap-growing-percent=50');
    await super.init();
  }

  protected override async catch(err: Error & { code?: string; oclif?: { exit?: number } }): Promise<unknown> {
    if (err.code === 'EEXIT') throw err; // this.exit(n): a deliberate status, such as a failed gate
    if (err instanceof XfError) {
      process.stderr.write(`xfbench: error ${err.oneLine()}\n`);
      process.exitCode = EXIT.badInput;
      return this.exit(EXIT.badInput);
    }
    // oclif's own flag and argument errors are bad input too
    if (err.oclif?.exit !== undefined && err.oclif.exit !== 0) {
      const text = err.message
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('See more help'))
        .join(' ');
      process.stderr.write(`xfbench: error E_USAGE: ${text.replace(/^The following errors? occurred: ?/, '')} (see --help)\n`);
      return this.exit(EXIT.badInput);
    }
    if (process.env['XFBENCH_DEBUG']) throw err;
    process.stderr.write(`xfbench: internal error: ${err.message.split('\n')[0]} (set XFBENCH_DEBUG=1 for details)\n`);
    return this.exit(EXIT.failure);
  }
}
