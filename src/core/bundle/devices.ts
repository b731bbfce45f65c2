/** The execution providers a run can ask for (kept free of onnxruntime so `--help` loads fast). */
export const DEVICE_REQUESTS = ['auto', 'cpu', 'cuda', 'webgpu'] as const;
export type DeviceRequest = (typeof DEVICE_REQUESTS)[number];
export type Provider = 'cpu' | 'cuda' | 'webgpu';

/** Whether a provider can keep a graph's outputs in device memory for the next graph (IO binding). */
export function keepsOutputsOnDevice(provider: Provider): boolean {
  // onnxruntime-node hands out WebGPU buffers as tensors that another session on the same device
  // reads in place; its CUDA provider has no such tensors in Node.
  return provider === 'webgpu';
}
