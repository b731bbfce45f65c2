// Runs one ONNX graph on onnxruntime-node (the runtime xfbench uses) for the Python export tests.
// usage: node ort_run.mjs request.json response.json
// request: {"graph": path, "inputs": {name: {"type": "float32"|"int64", "dims": [...], "data": [...]}}}
import { readFileSync, writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';

const [requestFile, responseFile] = process.argv.slice(2);
const request = JSON.parse(readFileSync(requestFile, 'utf8'));
const session = await ort.InferenceSession.create(request.graph, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
const feeds = {};
for (const [name, t] of Object.entries(request.inputs)) {
  const data = t.type === 'int64' ? BigInt64Array.from(t.data, (v) => BigInt(v)) : Float32Array.from(t.data);
  feeds[name] = new ort.Tensor(t.type, data, t.dims);
}
const out = await session.run(feeds);
const response = {};
for (const [name, t] of Object.entries(out)) response[name] = { dims: t.dims, data: Array.from(t.data, Number) };
writeFileSync(responseFile, JSON.stringify(response));
