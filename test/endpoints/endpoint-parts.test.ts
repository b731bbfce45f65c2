import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AdaptiveLimit } from '../../src/endpoints/adaptive-limit.js';
import { retryAfterMs } from '../../src/endpoints/chat-client.js';
import { endpointPrompt } from '../../src/endpoints/endpoint-model.js';
import { endpointBaseUrl, imageDataUrl, parseHeaders } from '../../src/endpoints/endpoint-spec.js';
import { loadProtocol } from '../../src/protocols/protocol.js';
import { GQA_MINI, tempDir } from '../helpers/paths.js';

describe('the adaptive concurrency limit', () => {
  it('halves on overload, never below one, and grows back by one after as many successes as the limit', async () => {
    const limit = new AdaptiveLimit(8);
    limit.overloaded();
    expect(limit.limit).toBe(4);
    limit.overloaded();
    limit.overloaded();
    limit.overloaded();
    expect(limit.limit).toBe(1);
    expect(limit.lowest).toBe(1);
    limit.succeeded();
    expect(limit.limit).toBe(2);
    limit.succeeded();
    expect(limit.limit).toBe(2);
    limit.succeeded();
    expect(limit.limit).toBe(3);
    for (let i = 0; i < 100; i++) limit.succeeded();
    expect(limit.limit).toBe(8); // never above what was asked for
  });

  it('holds requests beyond the limit until one is released', async () => {
    const limit = new AdaptiveLimit(2);
    const order: string[] = [];
    await limit.acquire();
    await limit.acquire();
    const third = limit.acquire().then(() => order.push('third'));
    await Promise.resolve();
    expect(order).toEqual([]);
    limit.release();
    await third;
    expect(order).toEqual(['third']);
  });

  it('lets no waiting request start while more are in flight than a lowered limit', async () => {
    const limit = new AdaptiveLimit(2);
    await limit.acquire();
    await limit.acquire();
    let started = false;
    const waiting = limit.acquire().then(() => (started = true));
    limit.overloaded(); // limit 1, two in flight
    limit.release(); // one in flight: at the limit, the waiting one still waits
    await new Promise((r) => setTimeout(r, 5));
    expect(started).toBe(false);
    limit.release();
    await waiting;
    expect(started).toBe(true);
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates, caps long waits and ignores nonsense', () => {
    const now = Date.parse('2026-12-03T12:00:00Z');
    expect(retryAfterMs('2', now)).toBe(2000);
    expect(retryAfterMs('Thu, 03 Dec 2026 12:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs('86400', now)).toBe(120_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});

describe('--model openai:URL and its flags', () => {
  it('takes an http(s) base URL and refuses credentials in it', () => {
    expect(endpointBaseUrl('openai:http://127.0.0.1:8000/v1/')).toBe('http://127.0.0.1:8000/v1');
    expect(() => endpointBaseUrl('openai:https://user:sk-secret@api.example.com/v1')).toThrow(/holds credentials/);
    expect(() => endpointBaseUrl('openai:ftp://example.com')).toThrow(/http or https/);
    expect(() => endpointBaseUrl('openai:not a url')).toThrow(/not a URL/);
  });

  it('reads headers as "Name: value"', () => {
    expect(parseHeaders(['X-Team: vision', 'Authorization-Extra:  a:b '])).toEqual({ 'x-team': 'vision', 'authorization-extra': 'a:b' });
    expect(() => parseHeaders(['no colon'])).toThrow(/expected "Name: value"/);
  });

  it("sends the protocol's prompt around its processed question, or the question as the dataset has it", async () => {
    expect(endpointPrompt(await loadProtocol('official'), 'Is the cat (left) black?')).toBe('Is the cat (left) black?');
    expect(endpointPrompt(await loadProtocol('lavis'), 'Is the cat (left) black?')).toBe('Question: is the cat left black? Short answer:');
  });

  it('sends an image as a data URL of its own type, and refuses a file that is no image', async () => {
    const url = await imageDataUrl(path.join(GQA_MINI, 'images/n00000.png'));
    expect(url.startsWith('data:image/png;base64,iVBORw0KGgo')).toBe(true);
    const bad = path.join(tempDir(), 'notes.png');
    writeFileSync(bad, 'hello');
    await expect(imageDataUrl(bad)).rejects.toMatchObject({ code: 'E_IMAGE', message: expect.stringMatching(/not a PNG, JPEG/) });
    await expect(imageDataUrl(path.join(tempDir(), 'gone.png'))).rejects.toMatchObject({
      code: 'E_IMAGE',
      message: expect.stringMatching(/ENOENT/),
    });
  });
});
