import path from 'node:path';
import { loadBundle } from '../core/bundle/manifest.js';
import type { DeviceRequest } from '../core/bundle/devices.js';
import { XfError } from '../lib/errors.js';
import { packageRoot } from '../lib/package-root.js';
import { RunSession } from '../pipeline/run-session.js';
import { DEFAULT_BUNDLE_DIR } from '../pipeline/settings.js';
import { AnswerQueue } from './answer-queue.js';
import { chatServer, listen } from './server.js';

export interface ServeBundleOptions {
  /** A bundle folder (default: the bundled tiny X-Former). */
  model?: string;
  host: string;
  port: number;
  apiKey?: string;
  device: DeviceRequest;
  threads?: number;
  /** Questions per LM call, from however many requests are waiting. */
  batchSize: number;
  numBeams?: number;
  maxNewTokens?: number;
  /** The user's text is the whole prompt, not a question for the bundle's prompt template. */
  rawPrompt: boolean;
}

export interface ServingBundle {
  /** The OpenAI base URL, e.g. http://127.0.0.1:8000/v1. */
  baseUrl: string;
  modelName: string;
  provider: string;
  queue: AnswerQueue;
  stop(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Opens the bundle and serves it (server.ts) until `stop`. */
export async function serveBundle(opts: ServeBundleOptions): Promise<ServingBundle> {
  if (!LOOPBACK.has(opts.host) && !opts.apiKey)
    throw new XfError('E_FLAGS', `--host ${opts.host} exposes the model beyond this machine, which needs an API key`, {
      suggestion: 'Put a key in an environment variable and name it with --api-key-env, or keep the default --host 127.0.0.1.',
    });
  const modelDir = opts.model ? path.resolve(opts.model) : path.join(packageRoot(), DEFAULT_BUNDLE_DIR);
  const bundle = await loadBundle(modelDir);
  const session = await RunSession.open(bundle, {
    device: opts.device,
    threads: opts.threads,
    generation: { numBeams: opts.numBeams, maxNewTokens: opts.maxNewTokens },
    prompting: opts.rawPrompt ? { template: '{question}' } : undefined,
    ablations: [],
    ablationScope: async function* () {},
    visionCache: true,
  });
  const queue = new AnswerQueue(session.model, session.images, session.cache, opts.batchSize);
  const modelName = bundle.manifest.name;
  const server = chatServer(queue, { modelName, host: opts.host, port: opts.port, apiKey: opts.apiKey });
  let address;
  try {
    address = await listen(server, opts.host, opts.port);
  } catch (err) {
    queue.close();
    await session.dispose();
    throw new XfError('E_LISTEN', `cannot listen on ${opts.host}:${opts.port} (${(err as Error).message})`, {
      suggestion: 'Choose another --port (0 picks a free one).',
    });
  }
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    baseUrl: `http://${host}:${address.port}/v1`,
    modelName,
    provider: session.model.provider.used,
    queue,
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections(); // keep-alive clients would hold close() open
      await closed;
      queue.close();
      await session.dispose();
    },
  };
}
