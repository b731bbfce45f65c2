import { ImagePool } from '../../src/core/vision/image-pool.js';
import type { PreparedImage, VisionLanguageModel, VisualTokens } from '../../src/core/model.js';

// One worker for a test file's direct model calls: the same worker a run decodes its images with.
// Idle workers do not keep the process alive, so it needs no closing.
let pool: ImagePool | undefined;

export function prepareImage(model: VisionLanguageModel, file: string): Promise<PreparedImage> {
  pool ??= ImagePool.open(1);
  return pool.prepare(file, model.vision.imageSpecs);
}

export async function encodeImage(model: VisionLanguageModel, file: string): Promise<VisualTokens> {
  return model.encodePrepared(await prepareImage(model, file));
}
