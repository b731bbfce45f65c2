import { Args, Flags } from '@oclif/core';
import { DEVICE_REQUESTS } from '../core/bundle/devices.js';

/** Flags that `run` and `score` share: where the data is, where the run goes, how it is scored. */
export const datasetArg = { dataset: Args.string({ description: 'dataset id (e.g. gqa)', required: true }) };

/** `run` and `suite run`: the runtime's threads (the default is defined beside the sessions, core/bundle/sessions.ts). */
export const threadsFlag = Flags.integer({
  description: 'onnxruntime intra-op threads (default: the cores the image workers leave; `xfbench doctor` shows it)',
  min: 1,
});

/** `run` and `suite run`: the execution provider; one that cannot load is an error, never a silent CPU run. */
export const deviceFlag = Flags.string({
  description: 'execution provider (auto: CUDA if it loads, else CPU; webgpu: a Vulkan device through WebGPU, never chosen by auto)',
  options: [...DEVICE_REQUESTS],
  default: 'auto',
});

/** Every command that prints per-category tables takes it. */
export const detailsFlag = Flags.boolean({
  description: 'print every category, not only the families a metric shows by default (GQA: detailed type, steps, length)',
  default: false,
});

export const datasetFlags = {
  'data': Flags.string({ description: "dataset folder in the official layout (default: the dataset's bundled mini set)" }),
  'out': Flags.string({ description: 'run folder to create (default: runs/<time>-<dataset>-<name>)' }),
  'image-template': Flags.string({ description: 'file name for numeric image ids, e.g. COCO_val2014_{id:012}.jpg' }),
  'choices': Flags.string({ description: 'GQA choices file, for validity and plausibility' }),
  'all-questions': Flags.boolean({ description: 'also score unbalanced GQA questions (the official scorer does not)', default: false }),
  'details': detailsFlag,
};

/** `compare` and `run --baseline --gate`: how the gate treats small categories and lost items. */
export const gateFlags = {
  'min-images': Flags.integer({ description: 'images a category needs for a verdict or a gate decision (default 10)', min: 1 }),
  'allow-few': Flags.boolean({
    description: 'a gate rule on a category with fewer images than --min-images is skipped (and listed) instead of failing',
    default: false,
  }),
  'allow-missing': Flags.boolean({
    description: "with --intersect, pass a candidate that lacks some of the baseline's items (by default the gate fails it)",
    default: false,
  }),
};

/** `run`, `score` and `suite run`: the evaluation protocol (protocols/*.json, docs/protocols.md). */
export const protocolFlag = Flags.string({
  description:
    "evaluation protocol: official (each dataset's own scorer; the default), lavis (LAVIS's BLIP-2 zero-shot evaluation), or a protocol file",
});

/** `run` and `suite run` against a served model (`--model openai:URL`): how to reach it and how hard to press it. */
export const endpointFlags = {
  'endpoint-model': Flags.string({
    description: 'with --model openai:URL: the model name to request (default: the first the server lists at /models)',
  }),
  'api-key-env': Flags.string({
    description: 'with --model openai:URL: environment variable holding the API key (run.json records the name only)',
  }),
  'header': Flags.string({
    description: "with --model openai:URL: an extra request header, 'Name: value' (repeatable; run.json records names only)",
    multiple: true,
  }),
  'concurrency': Flags.integer({
    description: 'with --model openai:URL: requests in flight at most (halved on HTTP 429, grown back on success)',
    min: 1,
    max: 1024,
  }),
  'request-timeout': Flags.integer({ description: 'with --model openai:URL: seconds a request may take before it is tried again', min: 1 }),
  'max-retries': Flags.integer({
    description:
      'with --model openai:URL: retries of a request on 429, 5xx, timeouts and dropped connections before the question is an error row',
    min: 0,
    max: 100,
  }),
  'retry-backoff': Flags.integer({
    description: 'with --model openai:URL: milliseconds the first retry waits at most (doubling, with jitter; Retry-After wins)',
    min: 0,
  }),
};

/** The endpoint flags as run options. */
export function endpointOptions(flags: {
  'endpoint-model'?: string;
  'api-key-env'?: string;
  'header'?: string[];
  'concurrency'?: number;
  'request-timeout'?: number;
  'max-retries'?: number;
  'retry-backoff'?: number;
}) {
  return {
    endpointModel: flags['endpoint-model'],
    apiKeyEnv: flags['api-key-env'],
    headers: flags.header,
    concurrency: flags.concurrency,
    requestTimeoutSeconds: flags['request-timeout'],
    maxRetries: flags['max-retries'],
    backoffMs: flags['retry-backoff'],
  };
}
