import { describe, expect, it } from 'vitest';
import { readChatRequest } from '../../src/serve/chat-request.js';

const image = { type: 'image_url', image_url: { url: `data:image/png;base64,${Buffer.from('png bytes').toString('base64')}` } };
const request = (content: unknown, extra: Record<string, unknown> = {}) => ({
  model: 'm',
  messages: [{ role: 'user', content }],
  ...extra,
});

describe('what serve reads of a chat-completions request', () => {
  it('takes the text, the image and the answer length of one user message', () => {
    const q = readChatRequest(
      request([image, { type: 'text', text: 'What colour?' }], { max_tokens: 7, temperature: 0, stream_options: null }),
    );
    expect(q).toEqual({ text: 'What colour?', image: Buffer.from('png bytes'), maxTokens: 7 });
    expect(
      readChatRequest({
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: [image, { type: 'text', text: 'x' }] },
        ],
      }).text,
    ).toBe('x');
  });

  it('says what is wrong with a request it cannot answer', () => {
    const bad: [unknown, RegExp][] = [
      [{}, /^messages: /],
      [request([{ type: 'text', text: 'no image' }]), /one image expected .* got 0/],
      [request([image, image]), /one image expected .* got 2/],
      [request([{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }]), /base64 data URL/],
      [request([image], { temperature: 0.7 }), /deterministically/],
      [request([image], { stream: true }), /whole responses/],
      [request([image], { n: 3 }), /one answer per request/],
    ];
    for (const [body, message] of bad) expect(() => readChatRequest(body), JSON.stringify(body)).toThrow(message);
  });
});
