import { describe, expect, it } from 'vitest';
import { outOfMemory } from '../../src/core/bundle/runtime-meter.js';

/**
 * onnxruntime's own messages for a failed allocation (its CUDA provider's CUDA_CALL and CUBLAS_CALL
 * checks, and its BFC arena), as they reach session.run's caller. Without a GPU the CUDA ones cannot be
 * provoked here; the strings are the runtime's, and the mapping must turn them into one clear line.
 */
describe('a graph that runs out of memory', () => {
  it.each([
    [
      "Non-zero status code returned while running MatMul node. Name:'/lm/MatMul' Status Message: CUDA failure 2: out of memory ; GPU=0 ; hostname=n1 ; file=/onnxruntime_src/onnxruntime/core/providers/cuda/cuda_allocator.cc ; line=49 ; expr=cudaMalloc((void**)&p, size);",
      'cuda',
      /^the GPU ran out of memory while running a graph$/,
    ],
    [
      'Non-zero status code returned while running Gemm node. Status Message: CUBLAS failure 3: CUBLAS_STATUS_ALLOC_FAILED ; GPU=0 ; hostname=n1',
      'cuda',
      /^the GPU ran out of memory/,
    ],
    [
      'Non-zero status code returned while running Conv node. Status Message: /onnxruntime_src/onnxruntime/core/framework/bfc_arena.cc:376 void* onnxruntime::BFCArena::AllocateRawInternal(size_t, bool, onnxruntime::Stream*, bool, onnxruntime::WaitNotificationFn) Failed to allocate memory for requested buffer of size 4294967296',
      'cuda',
      /^the GPU ran out of memory while running a graph \(a buffer of 4096 MiB\)$/,
    ],
    [
      'Non-zero status code returned while running MatMul node. Status Message: bfc_arena.cc:376 Failed to allocate memory for requested buffer of size 1048576',
      'cpu',
      /^the machine ran out of memory while running a graph \(a buffer of 1 MiB\)$/,
    ],
  ] as const)('%s', (message, provider, expected) => {
    const err = outOfMemory(new Error(message), provider);
    expect(err?.code).toBe('E_OUT_OF_MEMORY');
    expect(err?.message).toMatch(expected);
    expect(err?.suggestion).toMatch(/--batch-size/);
  });

  it('leaves every other runtime error as it is', () => {
    expect(
      outOfMemory(new Error('Non-zero status code returned while running Reshape node. Status Message: shape mismatch')),
    ).toBeUndefined();
  });
});
