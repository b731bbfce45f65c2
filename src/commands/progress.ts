import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

const SILENT: Progress = { update: () => undefined, stop: () => undefined };

/**
 * A progress bar on stderr with rate and ETA, redrawn at most a few times a second (cli-progress
 * throttles); nothing at all when stderr is not a terminal, or with --quiet or --json.
 */
export function progressBar(enabled: boolean, unit = 'q'): Progress {
  if (!enabled || !process.stderr.isTTY) return SILENT;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `[{bar}] {value}/{total} · {rate} ${unit}/s · ETA {eta_formatted}`,
      fps: 5,
      etaBuffer: 200,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.legacy,
  );
  const started = performance.now();
  let running = false;
  return {
    update(done, total) {
      const rate = (done / Math.max((performance.now() - started) / 1000, 1e-3)).toFixed(1);
      if (!running) {
        bar.start(total, done, { rate });
        running = true;
      } else {
        bar.setTotal(total);
        bar.update(done, { rate });
      }
    },
    stop() {
      if (running) bar.stop();
    },
  };
}
