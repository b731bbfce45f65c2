/**
 * Run as its own process (`node webgpu-probe.js GRAPH`): opens GRAPH on the WebGPU provider and
 * prints {"ok": true} or {"ok": false, "reason": ...}. Dawn and the Vulkan loader write their
 * warnings straight to the process's stderr when no device is found; probing in a child keeps them
 * off the user's terminal, so a missing device reads as xfbench's one line.
 */
import * as ort from 'onnxruntime-node';

try {
  const session = await ort.InferenceSession.create(process.argv[2]!, { executionProviders: ['webgpu'], logSeverityLevel: 4 });
  await session.release();
  process.stdout.write(JSON.stringify({ ok: true }));
} catch (err) {
  process.stdout.write(JSON.stringify({ ok: false, reason: (err as Error).message.split('\n')[0] }));
}
