import { readFile } from 'node:fs/promises';
import { XfError } from '../lib/errors.js';

export const ENDPOINT_PREFIX = 'openai:';

/** Whether `--model` names a served model rather than a bundle or checkpoint folder. */
export function isEndpoint(model: string | undefined): model is string {
  return model?.startsWith(ENDPOINT_PREFIX) ?? false;
}

/**
 * The base URL of `--model openai:URL`, checked: http or https, no credentials in it (a key goes in an
 * environment variable, so that it is never written to run.json), no trailing slash.
 */
export function endpointBaseUrl(model: string): string {
  const text = model.slice(ENDPOINT_PREFIX.length);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new XfError('E_FLAGS', `--model ${model}: not a URL after "${ENDPOINT_PREFIX}"`, {
      suggestion: "Give the server's OpenAI base URL, e.g. --model openai:http://127.0.0.1:8000/v1.",
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new XfError('E_FLAGS', `--model: the endpoint URL must be http or https, not ${url.protocol}`);
  if (url.username || url.password)
    throw new XfError('E_FLAGS', '--model: the endpoint URL holds credentials', {
      suggestion: 'Put the key in an environment variable and name it with --api-key-env; run.json never records it.',
    });
  return url.toString().replace(/\/+$/, '');
}

/** `--header 'Name: value'` flags as a header map. */
export function parseHeaders(flags: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const flag of flags) {
    const colon = flag.indexOf(':');
    const name = colon > 0 ? flag.slice(0, colon).trim() : '';
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name))
      throw new XfError('E_FLAGS', `--header ${JSON.stringify(flag.split(':')[0])}: expected "Name: value"`);
    headers[name.toLowerCase()] = flag.slice(colon + 1).trim();
  }
  return headers;
}

const SIGNATURES: [string, (b: Buffer) => boolean][] = [
  ['image/png', (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))],
  ['image/jpeg', (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff],
  ['image/gif', (b) => b.subarray(0, 4).toString('latin1') === 'GIF8'],
  ['image/webp', (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP'],
  ['image/bmp', (b) => b.subarray(0, 2).toString('latin1') === 'BM'],
  ['image/tiff', (b) => ['II*\0', 'MM\0*'].includes(b.subarray(0, 4).toString('latin1'))],
];

/** An image file as a base64 data URL, its type from its first bytes; E_IMAGE when it is none of the common formats or cannot be read. */
export async function imageDataUrl(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new XfError('E_IMAGE', `cannot read image (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { file });
  }
  const type = SIGNATURES.find(([, matches]) => matches(bytes))?.[0];
  if (!type) throw new XfError('E_IMAGE', 'not a PNG, JPEG, GIF, WebP, BMP or TIFF image', { file });
  return `data:${type};base64,${bytes.toString('base64')}`;
}
