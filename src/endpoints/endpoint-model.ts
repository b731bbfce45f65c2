import path from 'node:path';
import { XfError } from '../lib/errors.js';
import { sha256Text } from '../lib/files.js';
import { processQuestion, type Protocol } from '../protocols/protocol.js';
import type { RunModel } from '../runs/run-model.js';
import type { RunRecord } from '../runs/run-record.js';
import { RUN_FILE } from '../runs/run-dir.js';
import { AdaptiveLimit } from './adaptive-limit.js';
import { ChatClient } from './chat-client.js';
import { endpointBaseUrl, parseHeaders } from './endpoint-spec.js';
import { evaluateEndpoint } from './evaluate-endpoint.js';

export interface EndpointRunOptions {
  /** `openai:URL`. */
  model: string;
  /** The model name sent (default: the one the server lists first at /models). */
  endpointModel?: string;
  /** The environment variable holding the API key. */
  apiKeyEnv?: string;
  /** `Name: value` request headers. */
  headers?: string[];
  concurrency?: number;
  requestTimeoutSeconds?: number;
  maxRetries?: number;
  /** The answer length asked for: the flag's, else the protocol's, else the server's default. */
  maxNewTokens?: number;
  /** The first retry's wait in ms (doubling after that): small in tests. */
  backoffMs?: number;
}

export const ENDPOINT_DEFAULTS = { concurrency: 4, requestTimeoutSeconds: 60, maxRetries: 5, backoffMs: 500 } as const;

/** The text sent with an image: the protocol's prompt around the processed question, or the processed question (the server's chat template wraps it). */
export function endpointPrompt(protocol: Protocol, question: string): string {
  const q = processQuestion(protocol, question);
  return protocol.prompt ? protocol.prompt.replace('{question}', () => q) : q;
}

/** The model a server lists first at GET /models, for a run that names none. */
async function listedModel(baseUrl: string, headers: Record<string, string>, timeoutMs: number): Promise<string> {
  const url = `${baseUrl}/models`;
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    const json = (await res.json()) as { data?: { id?: unknown }[] };
    const id = json?.data?.[0]?.id;
    if (res.ok && typeof id === 'string') return id;
    throw new Error(res.ok ? 'it lists no model' : `HTTP ${res.status}`);
  } catch (err) {
    throw new XfError('E_ENDPOINT', `cannot tell which model ${url} serves (${(err as Error).message})`, {
      suggestion: 'Name it with --endpoint-model, or check that the server is up.',
    });
  }
}

/** A served model behind an OpenAI-compatible endpoint, as a run's model (`--model openai:URL`). */
export async function endpointRunModel(opts: EndpointRunOptions, protocol: Protocol): Promise<RunModel> {
  const baseUrl = endpointBaseUrl(opts.model);
  let apiKey: string | undefined;
  if (opts.apiKeyEnv !== undefined) {
    apiKey = process.env[opts.apiKeyEnv];
    if (!apiKey)
      throw new XfError('E_FLAGS', `--api-key-env ${opts.apiKeyEnv}: that environment variable is empty or unset`, {
        suggestion: "Export the key first (run.json records only the variable's name).",
      });
  }
  const headers = parseHeaders(opts.headers ?? []);
  const auth = { ...headers, ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) };
  const concurrency = opts.concurrency ?? ENDPOINT_DEFAULTS.concurrency;
  const timeoutMs = Math.round(1000 * (opts.requestTimeoutSeconds ?? ENDPOINT_DEFAULTS.requestTimeoutSeconds));
  const maxRetries = opts.maxRetries ?? ENDPOINT_DEFAULTS.maxRetries;
  const maxTokens = opts.maxNewTokens ?? protocol.generation?.maxNewTokens;
  const model = opts.endpointModel ?? (await listedModel(baseUrl, auth, timeoutMs));
  const client = new ChatClient(
    { baseUrl, model, apiKey, headers, timeoutMs, maxRetries, maxTokens, backoffMs: opts.backoffMs ?? ENDPOINT_DEFAULTS.backoffMs },
    new AdaptiveLimit(concurrency),
  );
  // a continued run's record adds this session's requests and tokens to the earlier sessions'
  let before: NonNullable<RunRecord['endpoint']> | undefined;
  const describe = (): Pick<RunRecord, 'bundle' | 'endpoint'> => {
    const c = client.counts;
    const r = before?.requests;
    return {
      bundle: null,
      endpoint: {
        url: baseUrl,
        model,
        reportedModel: client.reportedModel ?? before?.reportedModel ?? null,
        settings: {
          temperature: 0,
          maxTokens: maxTokens ?? null,
          concurrency,
          timeoutMs,
          maxRetries,
          headers: Object.keys(headers),
          apiKeyEnv: opts.apiKeyEnv ?? null,
        },
        requests: {
          sent: c.sent + (r?.sent ?? 0),
          retried: c.retried + (r?.retried ?? 0),
          failed: c.failed + (r?.failed ?? 0),
          rateLimited: c.rateLimited + (r?.rateLimited ?? 0),
          lowestConcurrency: Math.min(client.limit.lowest, r?.lowestConcurrency ?? Infinity),
        },
        tokens: {
          prompt: c.promptTokens + (before?.tokens.prompt ?? 0),
          completion: c.completionTokens + (before?.tokens.completion ?? 0),
        },
      },
    };
  };
  const mismatch = (runDir: string, what: string) =>
    new XfError('E_RESUME_MISMATCH', `cannot continue this run: ${what}`, {
      file: path.join(runDir, RUN_FILE),
      field: 'endpoint',
      suggestion: 'Point it at the same endpoint and model as the first time, or use another --out for a new run.',
    });
  return {
    // what a resumed run must match: the endpoint, the model asked for, and the answer length asked for
    hash: sha256Text(JSON.stringify({ endpoint: baseUrl, model })),
    name: model,
    config: {
      ...(maxTokens !== undefined ? { generation: { numBeams: 1, maxNewTokens: maxTokens } } : {}),
      device: 'endpoint',
      concurrency,
      requestTimeoutMs: timeoutMs,
      maxRetries,
    },
    checkResume(previous, runDir) {
      const was = previous.endpoint;
      if (!was) throw mismatch(runDir, 'it was started with a model bundle, not an endpoint');
      if (was.url !== baseUrl || was.model !== model)
        throw mismatch(runDir, `it was started against ${was.model} at ${was.url}, not ${model} at ${baseUrl}`);
    },
    async open(previous, runDir) {
      before = previous?.endpoint;
      const reportedBefore = before?.reportedModel ?? null;
      return {
        provider: { requested: 'endpoint', used: 'endpoint' },
        describe,
        evaluate: (samples, writer, run) =>
          evaluateEndpoint(client, samples, writer, {
            ...run,
            prompt: (q) => endpointPrompt(protocol, q),
            onReportedModel(reported) {
              // the same name, another model behind it: the server says which one answers
              if (reportedBefore !== null && reported !== null && reported !== reportedBefore)
                throw mismatch(runDir, `the server now answers as ${reported}; the run was started with ${reportedBefore}`);
            },
          }),
        timings: () => ({ requestsSent: client.counts.sent }),
        dispose: async () => undefined,
      };
    },
  };
}
