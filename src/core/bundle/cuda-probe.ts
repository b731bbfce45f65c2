/**
 * Run as its own process (`node cuda-probe.js GRAPH`): opens GRAPH on the CUDA provider and prints
 * {"ok": true} or {"ok": false, "reason": ...}. When the provider library does not load, onnxruntime's
 * exception says only "Failed to load shared library"; the loader's own words (which library is
 * missing) reach only its log, on this process's stderr, which the parent reads (cuda-chain.ts).
 */
import * as ort from 'onnxruntime-node';

ort.env.logLevel = 'error';
try {
  const session = await ort.InferenceSession.create(process.argv[2]!, { executionProviders: ['cuda'], logSeverityLevel: 3 });
  await session.release();
  process.stdout.write(JSON.stringify({ ok: true }));
} catch (err) {
  process.stdout.write(JSON.stringify({ ok: false, reason: (err as Error).message.split('\n')[0] }));
}
