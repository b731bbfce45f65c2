import { z } from 'zod';

/**
 * The part of OpenAI's chat-completions request that `xfbench serve` reads: one user turn holding
 * text and one image as a base64 data URL. Fields it does not read (stream options, tools, …) are
 * allowed and ignored, as OpenAI-compatible servers do.
 */
const contentPart = z.union([
  z.object({ type: z.literal('text'), text: z.string() }).passthrough(),
  z.object({ type: z.literal('image_url'), image_url: z.object({ url: z.string() }).passthrough() }).passthrough(),
]);

export const chatRequestSchema = z
  .object({
    model: z.string().optional(),
    messages: z.array(z.object({ role: z.string(), content: z.union([z.string(), z.array(contentPart)]) }).passthrough()).min(1),
    max_tokens: z.number().int().positive().optional(),
    max_completion_tokens: z.number().int().positive().optional(),
    temperature: z.number().min(0).optional(),
    n: z.number().int().positive().optional(),
    stream: z.boolean().optional(),
  })
  .passthrough();

export interface ChatQuestion {
  /** The user's text: the question, or with --raw-prompt the whole prompt. */
  text: string;
  image: Buffer;
  /** The longest answer asked for, when the request names one. */
  maxTokens?: number;
}

/** A request `serve` answers with 400, and why. */
export class BadChatRequest extends Error {}

const DATA_URL = /^data:image\/[a-z0-9.+-]+;base64,/i;

/** The question a request asks, or BadChatRequest naming what is wrong with it. */
export function readChatRequest(body: unknown): ChatQuestion {
  const parsed = chatRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BadChatRequest(`${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  const req = parsed.data;
  if (req.stream) throw new BadChatRequest('stream: serve answers whole responses only; send stream false');
  if ((req.n ?? 1) !== 1) throw new BadChatRequest('n: serve gives one answer per request');
  if ((req.temperature ?? 0) !== 0)
    throw new BadChatRequest('temperature: serve decodes deterministically (greedy or beam search); send 0');
  const user = req.messages.filter((m) => m.role === 'user');
  if (user.length !== 1) throw new BadChatRequest(`messages: one user message expected, got ${user.length}`);
  const content = user[0]!.content;
  const parts = typeof content === 'string' ? [{ type: 'text' as const, text: content }] : content;
  const texts = parts.flatMap((p) => (p.type === 'text' ? [p.text] : []));
  const images = parts.flatMap((p) => (p.type === 'image_url' ? [p.image_url.url] : []));
  if (images.length !== 1) throw new BadChatRequest(`messages: one image expected in the user message, got ${images.length}`);
  const url = images[0]!;
  // serve fetches nothing: an http(s) URL would make it a downloader
  if (!DATA_URL.test(url)) throw new BadChatRequest('image_url.url: a base64 data URL (data:image/...;base64,...) expected');
  const image = Buffer.from(url.slice(url.indexOf(',') + 1), 'base64');
  if (image.length === 0) throw new BadChatRequest('image_url.url: the data URL holds no bytes');
  return { text: texts.join('\n'), image, maxTokens: req.max_completion_tokens ?? req.max_tokens };
}
