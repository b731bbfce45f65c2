/**
 * The run loop's settings and their defaults, defined once: the CLI flags, the run record and the
 * loop itself read them from here. None changes an answer; they trade memory and speed.
 */

/** Questions per LM call: enough to amortise each call's fixed cost on CPU. */
export const DEFAULT_BATCH_SIZE = 16;

/** Images decoded and preprocessed ahead while the runtime works on the current ones. */
export const DEFAULT_PREFETCH = 2;

/**
 * Samples held at once: the stream is evaluated window by window, each window grouped by image. Large
 * enough that an image's questions rarely span windows (the vision cache catches those that do), small
 * enough that memory stays flat however long the dataset is.
 */
export const DEFAULT_WINDOW = 16_384;

/** Visual tokens kept in memory by the vision cache, in bytes. */
export const DEFAULT_VISION_CACHE_BYTES = 256 * 1024 * 1024;

/** The bundle evaluated when no --model is given, relative to the package root. */
export const DEFAULT_BUNDLE_DIR = 'fixtures/models/xf-tiny-xformer';
