import { AdaptiveLimit } from './adaptive-limit.js';

/** Where and how a run asks a served model (the key stays in memory only: never in run.json, logs or errors). */
export interface EndpointSettings {
  /** The OpenAI base URL, e.g. http://127.0.0.1:8000/v1. */
  baseUrl: string;
  /** The model name sent with each request. */
  model: string;
  apiKey?: string;
  headers: Record<string, string>;
  timeoutMs: number;
  maxRetries: number;
  /** The answer length asked for; without it, the server's default. */
  maxTokens?: number;
  /** The first retry waits up to this long (doubling after each failure, with full jitter). */
  backoffMs: number;
}

export interface ChatAnswer {
  text: string;
  /** The model the server says answered. */
  model: string | null;
  promptTokens: number;
  completionTokens: number;
}

export type EndpointErrorCode = 'E_ENDPOINT_HTTP' | 'E_ENDPOINT_TIMEOUT' | 'E_ENDPOINT_CONNECTION' | 'E_ENDPOINT_RESPONSE';

/** A request that did not give an answer: what went wrong, and whether trying again may help. */
export class EndpointFailure extends Error {
  constructor(
    readonly code: EndpointErrorCode,
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** The longest a Retry-After is honoured, and the longest a backoff grows. */
const MAX_WAIT_MS = 120_000;

/** Retry-After as delta-seconds or an HTTP date, in milliseconds from now. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - now;
  return Number.isFinite(ms) ? Math.min(MAX_WAIT_MS, Math.max(0, ms)) : undefined;
}

export interface RequestCounts {
  /** HTTP requests made, retries included. */
  sent: number;
  retried: number;
  /** Questions given up on after the last retry (they become error rows). */
  failed: number;
  rateLimited: number;
  promptTokens: number;
  completionTokens: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Chat completions against an OpenAI-compatible server, one question (text and image) per request:
 * temperature 0, the protocol's answer length, a timeout per request, and retries with exponential
 * backoff and full jitter on 429, 5xx, timeouts, dropped connections and unreadable answers,
 * honouring Retry-After. Concurrency is the adaptive limit's.
 */
export class ChatClient {
  readonly counts: RequestCounts = { sent: 0, retried: 0, failed: 0, rateLimited: 0, promptTokens: 0, completionTokens: 0 };
  /** The model name from the first answer. */
  reportedModel: string | null = null;

  constructor(
    private readonly settings: EndpointSettings,
    readonly limit: AdaptiveLimit,
    private readonly random: () => number = Math.random,
  ) {}

  async ask(prompt: string, imageDataUrl: string): Promise<ChatAnswer> {
    for (let attempt = 0; ; attempt++) {
      await this.limit.acquire();
      let failure: EndpointFailure;
      try {
        const answer = await this.once(prompt, imageDataUrl);
        this.limit.succeeded();
        this.reportedModel ??= answer.model;
        this.counts.promptTokens += answer.promptTokens;
        this.counts.completionTokens += answer.completionTokens;
        return answer;
      } catch (err) {
        failure =
          err instanceof EndpointFailure
            ? err
            : new EndpointFailure('E_ENDPOINT_CONNECTION', this.redact(String((err as Error).message ?? err)), true);
      } finally {
        this.limit.release();
      }
      if (failure.status === 429) {
        this.counts.rateLimited += 1;
        this.limit.overloaded();
      }
      if (!failure.retryable || attempt >= this.settings.maxRetries) {
        this.counts.failed += 1;
        const tries = attempt + 1;
        throw new EndpointFailure(failure.code, `${failure.message} (${tries} ${tries === 1 ? 'try' : 'tries'})`, false, failure.status);
      }
      this.counts.retried += 1;
      const backoff = this.random() * Math.min(MAX_WAIT_MS, this.settings.backoffMs * 2 ** attempt);
      await sleep(failure.retryAfterMs !== undefined ? failure.retryAfterMs + backoff / 10 : backoff);
    }
  }

  private async once(prompt: string, imageDataUrl: string): Promise<ChatAnswer> {
    const s = this.settings;
    this.counts.sent += 1;
    const url = `${s.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    const body = JSON.stringify({
      model: s.model,
      temperature: 0,
      ...(s.maxTokens !== undefined ? { max_tokens: s.maxTokens } : {}),
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: imageDataUrl } },
            { type: 'text', text: prompt },
          ],
        },
      ],
    });
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...s.headers, ...(s.apiKey ? { authorization: `Bearer ${s.apiKey}` } : {}) },
        body,
        signal: AbortSignal.timeout(s.timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      if (e.name === 'TimeoutError' || e.name === 'AbortError')
        throw new EndpointFailure('E_ENDPOINT_TIMEOUT', `no answer from ${url} within ${s.timeoutMs / 1000} s`, true);
      const why = e.cause?.code ?? e.cause?.message ?? e.message;
      throw new EndpointFailure('E_ENDPOINT_CONNECTION', this.redact(`the connection to ${url} failed (${why})`), true);
    }
    if (!res.ok) {
      const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
      const detail = this.redact(text.replace(/\s+/g, ' ').slice(0, 200));
      throw new EndpointFailure(
        'E_ENDPOINT_HTTP',
        `${url} answered HTTP ${res.status}${detail ? `: ${detail}` : ''}`,
        retryable,
        res.status,
        retryAfterMs(res.headers.get('retry-after')),
      );
    }
    return this.answerOf(text, url);
  }

  private answerOf(text: string, url: string): ChatAnswer {
    let json: {
      model?: unknown;
      choices?: { message?: { content?: unknown } }[];
      usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
    };
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      throw new EndpointFailure(
        'E_ENDPOINT_RESPONSE',
        `${url} answered with something that is not JSON: ${JSON.stringify(this.redact(text.slice(0, 80)))}`,
        true,
      );
    }
    const content = json?.choices?.[0]?.message?.content;
    if (typeof content !== 'string')
      throw new EndpointFailure('E_ENDPOINT_RESPONSE', `${url} answered without choices[0].message.content as text`, true);
    const count = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
    return {
      text: content,
      model: typeof json.model === 'string' ? json.model : null,
      promptTokens: count(json.usage?.prompt_tokens),
      completionTokens: count(json.usage?.completion_tokens),
    };
  }

  /** A message without the API key in it, whatever a server or the network layer echoed. */
  private redact(message: string): string {
    const key = this.settings.apiKey;
    return key ? message.split(key).join('***') : message;
  }
}
