import { availableParallelism } from 'node:os';

/**
 * The cores this process may use: the one source for every default that depends on them (image
 * workers, onnxruntime's threads, doctor). `availableParallelism` honours a CPU affinity mask (a Slurm
 * allocation, `taskset`), where `cpus().length` counts the whole machine.
 */
export function availableCores(): number {
  return availableParallelism();
}

/** Image workers when not told otherwise: the cores left after the runtime's thread, two at most. */
export function defaultImageWorkers(): number {
  return Math.min(2, Math.max(1, availableCores() - 1));
}
