import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { z } from 'zod';
import { XfError } from './errors.js';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function sha256Text(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

function readError(err: unknown, path: string, what: string): XfError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new XfError('E_MISSING_FILE', `${what} not found`, { file: path });
  if (code === 'EISDIR') return new XfError('E_NOT_A_FILE', `${what} is a directory, expected a file`, { file: path });
  return new XfError('E_READ', `cannot read ${what} (${code ?? 'unknown error'})`, { file: path });
}

/** The path, once it is known to be a readable regular file (for readers that stream it). */
export async function checkedFile(path: string, what: string): Promise<string> {
  try {
    const handle = await open(path, 'r');
    const isFile = (await handle.stat()).isFile();
    await handle.close();
    if (!isFile) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    return path;
  } catch (err) {
    throw readError(err, path, what);
  }
}

/** Reads a file, turning "not there" and "not readable" into one clear XfError. */
export async function readBytes(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw readError(err, path, what);
  }
}

export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new XfError('E_BAD_JSON', `malformed JSON (${(err as Error).message})`, { file });
  }
}

/** Validates with a zod schema; the first issue becomes the error, with its field path. */
export function validate<T>(schema: z.ZodType<T>, value: unknown, file: string, fieldPrefix = ''): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = [fieldPrefix, ...issue.path.map(String)].filter((s) => s !== '').join('.');
  throw new XfError('E_SCHEMA', issue.message, { file, field: field || undefined });
}

export async function readJson<T>(path: string, schema: z.ZodType<T>, what: string): Promise<{ value: T; bytes: Buffer }> {
  const bytes = await readBytes(path, what);
  return { value: validate(schema, parseJson(bytes.toString('utf8'), path), path), bytes };
}

/** Writes a file atomically: temp file, fsync, rename. A reader sees the old file or the new one. */
export async function writeFileAtomic(file: string, text: string | Buffer): Promise<void> {
  await writePiecesAtomic(file, [text]);
}

/** The same for a file made in pieces (never held whole); returns its size in bytes. */
export async function writePiecesAtomic(file: string, pieces: AsyncIterable<string | Buffer> | Iterable<string | Buffer>): Promise<number> {
  // pid and random bytes: writers on several hosts (a shared folder) never share a temp name
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fh = await open(tmp, 'w');
  let bytes = 0;
  try {
    for await (const piece of pieces) {
      await fh.writeFile(piece);
      bytes += Buffer.byteLength(piece);
    }
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, file);
  return bytes;
}
