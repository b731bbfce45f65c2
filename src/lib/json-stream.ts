import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { XfError } from './errors.js';

/** One member of a top-level JSON object (key is its name) or array (key is its index). */
export interface JsonEntry {
  key: string | number;
  value: unknown;
}

const CHUNK = 1 << 20;
const [QUOTE, BACKSLASH, COMMA, COLON] = [0x22, 0x5c, 0x2c, 0x3a];
const [OPEN_OBJECT, CLOSE_OBJECT, OPEN_ARRAY, CLOSE_ARRAY] = [0x7b, 0x7d, 0x5b, 0x5d];

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** Thrown inside the scanner when the buffer ends mid-entry: read more, then scan the entry again. */
const INCOMPLETE = Symbol('incomplete');

class Malformed extends Error {
  constructor(
    readonly offset: number,
    what: string,
  ) {
    super(what);
  }
}

/**
 * Scans one container's members out of a byte buffer. Structural bytes (quotes, brackets, commas)
 * are ASCII and never occur inside a multi-byte UTF-8 sequence, so scanning bytes is safe; each
 * member's text is then handed to JSON.parse on its own.
 */
class Scanner {
  buf: Buffer = Buffer.alloc(0);
  /** Absolute file offset of buf[0], for error messages. */
  base = 0;
  pos = 0;
  kind: 'object' | 'array' | undefined;
  index = 0;
  state: 'start' | 'first' | 'member' | 'after' | 'end' = 'start';

  private skipSpace(): void {
    while (this.pos < this.buf.length && isSpace(this.buf[this.pos]!)) this.pos++;
    if (this.pos >= this.buf.length) throw INCOMPLETE;
  }

  private fail(what: string, at = this.pos): never {
    throw new Malformed(this.base + at, what);
  }

  /** Index just past the string starting at `at` (an opening quote). */
  private stringEnd(at: number): number {
    for (let i = at + 1; i < this.buf.length; i++) {
      const b = this.buf[i]!;
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) return i + 1;
    }
    throw INCOMPLETE;
  }

  /** Index just past the value starting at `at`. */
  private valueEnd(at: number, eof: boolean): number {
    const first = this.buf[at]!;
    if (first === QUOTE) return this.stringEnd(at);
    if (first === OPEN_OBJECT || first === OPEN_ARRAY) {
      let depth = 0;
      for (let i = at; i < this.buf.length; i++) {
        const b = this.buf[i]!;
        if (b === QUOTE) i = this.stringEnd(i) - 1;
        else if (b === OPEN_OBJECT || b === OPEN_ARRAY) depth++;
        else if ((b === CLOSE_OBJECT || b === CLOSE_ARRAY) && --depth === 0) return i + 1;
      }
      throw INCOMPLETE;
    }
    // a number, true, false or null: runs to the next separator
    for (let i = at; i < this.buf.length; i++) {
      const b = this.buf[i]!;
      if (b === COMMA || b === CLOSE_OBJECT || b === CLOSE_ARRAY || isSpace(b)) return i;
    }
    if (eof) return this.buf.length;
    throw INCOMPLETE;
  }

  private parse(from: number, to: number): unknown {
    try {
      return JSON.parse(this.buf.toString('utf8', from, to));
    } catch (err) {
      return this.fail(`malformed value (${(err as Error).message})`, from);
    }
  }

  /** The next member, or undefined at the end of the container. Throws INCOMPLETE when more bytes are needed. */
  next(eof: boolean): JsonEntry | undefined {
    for (;;) {
      const entryStart = this.pos;
      try {
        if (this.state === 'start') {
          this.skipSpace();
          const b = this.buf[this.pos]!;
          if (b !== OPEN_OBJECT && b !== OPEN_ARRAY) this.fail('expected a JSON object or array');
          this.kind = b === OPEN_OBJECT ? 'object' : 'array';
          this.pos++;
          this.state = 'first';
          continue;
        }
        if (this.state === 'end') {
          while (this.pos < this.buf.length && isSpace(this.buf[this.pos]!)) this.pos++;
          if (this.pos < this.buf.length) this.fail('unexpected text after the end');
          if (!eof) throw INCOMPLETE;
          return undefined;
        }
        if (this.state === 'after') {
          this.skipSpace();
          const b = this.buf[this.pos++]!;
          if (b === COMMA) this.state = 'member';
          else if (b === (this.kind === 'object' ? CLOSE_OBJECT : CLOSE_ARRAY)) this.state = 'end';
          else this.fail(`expected "," or "${this.kind === 'object' ? '}' : ']'}"`, this.pos - 1);
          continue;
        }
        this.skipSpace();
        const close = this.kind === 'object' ? CLOSE_OBJECT : CLOSE_ARRAY;
        if (this.buf[this.pos] === close) {
          if (this.state === 'member') this.fail('trailing comma');
          this.pos++;
          this.state = 'end';
          continue;
        }
        let key: string | number = this.index;
        if (this.kind === 'object') {
          if (this.buf[this.pos] !== QUOTE) this.fail('expected a quoted member name');
          const keyEnd = this.stringEnd(this.pos);
          key = this.parse(this.pos, keyEnd) as string;
          this.pos = keyEnd;
          this.skipSpace();
          if (this.buf[this.pos] !== COLON) this.fail('expected ":"');
          this.pos++;
          this.skipSpace();
        }
        const valueStart = this.pos;
        const valueEnd = this.valueEnd(valueStart, eof);
        const value = this.parse(valueStart, valueEnd);
        this.pos = valueEnd;
        this.index++;
        this.state = 'after';
        return { key, value };
      } catch (err) {
        if (err !== INCOMPLETE) throw err;
        this.pos = entryStart;
        if (eof) this.fail('unexpected end of file', this.buf.length);
        throw INCOMPLETE;
      }
    }
  }

  /** Drops what has been consumed and appends a new chunk. */
  append(chunk: Buffer): void {
    this.base += this.pos;
    this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
    this.pos = 0;
  }
}

/**
 * The members of the top-level JSON object or array in `file`, read a chunk at a time: memory holds
 * one chunk and one member, never the whole text (a 1M-question GQA file is about 1 GB, more than one
 * V8 string may hold). `onDone` receives the sha256 of the file's bytes once it has been read through.
 */
export async function* streamJsonMembers(
  file: string,
  opts: { onDone?: (sha256: string) => void; chunkSize?: number } = {},
): AsyncGenerator<JsonEntry> {
  const size = opts.chunkSize ?? CHUNK;
  const handle = await open(file, 'r');
  const hash = createHash('sha256');
  const scanner = new Scanner();
  const chunk = Buffer.allocUnsafe(size);
  let eof = false;
  try {
    for (;;) {
      // read until the pending member has at least doubled, so a huge member is rescanned O(log n) times
      const want = Math.max(size, scanner.buf.length - scanner.pos);
      let got = 0;
      while (!eof && got < want) {
        const { bytesRead } = await handle.read(chunk, 0, size, null);
        if (bytesRead === 0) eof = true;
        else {
          const bytes = Buffer.from(chunk.subarray(0, bytesRead));
          hash.update(bytes);
          scanner.append(bytes);
          got += bytesRead;
        }
      }
      for (;;) {
        let entry: JsonEntry | undefined;
        try {
          entry = scanner.next(eof);
        } catch (err) {
          if (err === INCOMPLETE) break;
          if (err instanceof Malformed) throw new XfError('E_BAD_JSON', `malformed JSON at byte ${err.offset}: ${err.message}`, { file });
          throw err;
        }
        if (entry === undefined) {
          opts.onDone?.(hash.digest('hex'));
          return;
        }
        yield entry;
      }
    }
  } finally {
    await handle.close();
  }
}
