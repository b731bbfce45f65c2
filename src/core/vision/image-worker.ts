/**
 * Worker thread of the image pool: decodes an image and preprocesses it for every encoder, off the
 * main thread (which drives onnxruntime). The same functions as on the main thread, so the tensors
 * are identical.
 */
import { parentPort } from 'node:worker_threads';
import { XfError } from '../../lib/errors.js';
import { preprocessForEncoders } from './image.js';
import type { ImageJob, ImageJobResult } from './image-pool.js';

parentPort!.postMessage({ ready: true }); // sharp and the preprocessing code are loaded

parentPort!.on('message', (job: ImageJob) => {
  void (async () => {
    let result: ImageJobResult;
    try {
      const t = performance.now();
      const pixels = await preprocessForEncoders(job.file, job.specs);
      result = { id: job.id, pixels, ms: performance.now() - t };
      parentPort!.postMessage(
        result,
        pixels.map((p) => p.buffer as ArrayBuffer),
      );
      return;
    } catch (err) {
      result =
        err instanceof XfError
          ? { id: job.id, error: { code: err.code, message: err.message, file: err.file } }
          : { id: job.id, error: { message: (err as Error).message ?? String(err) } };
    }
    parentPort!.postMessage(result);
  })();
});
