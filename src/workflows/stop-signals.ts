import { XfError } from '../lib/errors.js';

export type StoppedBy = 'max-errors' | 'signal' | null;

/**
 * Runs a long job that polls `shouldStop` between samples: SIGINT (Ctrl-C) and SIGTERM (a scheduler's
 * cancel, `kubectl delete`) ask it to stop cleanly, keeping what it wrote, instead of killing it.
 */
export async function untilStopSignal<T>(job: (shouldStop: () => boolean) => Promise<T>): Promise<T> {
  let stop = false;
  const onSignal = () => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await job(() => stop);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * What every long command does when its job stopped early, so all exit alike: too many failed samples
 * is bad input (one line, exit 2); a signal is an interruption (a line on stderr, and the caller exits
 * with EXIT.interrupted). Returns whether the caller must exit as interrupted.
 */
export function settleStop(stoppedBy: StoppedBy, where: { dir: string; errors: number; maxErrors?: number; kept: string }): boolean {
  if (stoppedBy === 'max-errors') {
    throw new XfError(
      'E_TOO_MANY_ERRORS',
      `stopped after ${where.errors} failed samples (--max-errors ${where.maxErrors ?? '?'}); what was done is kept`,
      {
        file: where.dir,
        suggestion: 'Fix the images and run the same command again to continue.',
      },
    );
  }
  if (stoppedBy === 'signal') {
    process.stderr.write(`xfbench: interrupted; ${where.kept}. Run the same command again to continue.\n`);
    return true;
  }
  return false;
}
