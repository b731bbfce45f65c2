import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BadChatRequest, readChatRequest } from './chat-request.js';
import { UnanswerableQuestion, type AnswerQueue } from './answer-queue.js';

/** A request body larger than this is refused (a 4K PNG as base64 is about 30 MB). */
const MAX_BODY_BYTES = 64 * 2 ** 20;

export interface ServeOptions {
  /** The model name served (the bundle's), reported in every response and by /v1/models. */
  modelName: string;
  host: string;
  port: number;
  /** Requests must carry `Authorization: Bearer <key>` when set. */
  apiKey?: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'invalid_request_error', `the request body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'invalid_request_error', 'the request body is not JSON');
  }
}

function authorised(req: IncomingMessage, key: string | undefined): boolean {
  if (key === undefined) return true;
  const given = Buffer.from(req.headers.authorization ?? '');
  const expected = Buffer.from(`Bearer ${key}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * An OpenAI-compatible chat-completions server over one bundle: POST /v1/chat/completions (one user
 * message with text and a base64 image), GET /v1/models and GET /health. Answers go through the
 * answer queue, which batches concurrent requests.
 */
export function chatServer(queue: AnswerQueue, opts: ServeOptions): Server {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const route = `${req.method} ${(req.url ?? '').split('?')[0]}`;
    if (route === 'GET /health') return send(res, 200, { status: 'ok' });
    if (!authorised(req, opts.apiKey))
      throw new HttpError(401, 'authentication_error', 'a valid API key is required (Authorization: Bearer ...)');
    if (route === 'GET /v1/models')
      return send(res, 200, { object: 'list', data: [{ id: opts.modelName, object: 'model', created: 0, owned_by: 'xfbench' }] });
    if (route !== 'POST /v1/chat/completions') throw new HttpError(404, 'not_found_error', `no route ${route}`);
    let question;
    try {
      question = readChatRequest(await readBody(req));
    } catch (err) {
      if (err instanceof BadChatRequest) throw new HttpError(400, 'invalid_request_error', err.message);
      throw err;
    }
    const answer = await queue.ask(question);
    send(res, 200, {
      id: `chatcmpl-${randomUUID()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: opts.modelName,
      choices: [{ index: 0, message: { role: 'assistant', content: answer.text }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: answer.promptTokens,
        completion_tokens: answer.completionTokens,
        total_tokens: answer.promptTokens + answer.completionTokens,
      },
    });
  };
  return createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const e =
        err instanceof HttpError
          ? err
          : err instanceof UnanswerableQuestion
            ? new HttpError(400, 'invalid_request_error', `${err.code}: ${err.message}`)
            : new HttpError(500, 'server_error', (err as Error).message ?? String(err));
      if (!res.headersSent) send(res, e.status, { error: { message: e.message, type: e.type } });
      else res.destroy();
    });
  });
}

/** Starts listening; resolves with the address actually bound (port 0 picks a free one). */
export function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
