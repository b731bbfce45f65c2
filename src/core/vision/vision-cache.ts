import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../lib/files.js';
import type { VisualTokens } from './vision-tower.js';

/** Entry layout: magic, three dims (u32 each), sha256 of the data, then the float32 data. */
const ENTRY_MAGIC = 0x78666264; // "xfbd": the layout with a hash (the earlier "xfbc" entries are misses)
const HEADER_BYTES = 16 + 32;

export interface VisionCacheStats {
  hits: number;
  misses: number;
  diskHits: number;
  evictions: number;
  bytes: number;
  entries: number;
}

/**
 * Visual tokens by (bundle hash, image content hash): an image is encoded once per bundle, however many
 * questions ask about it and whatever its file is called. Bounded in memory (least recently used
 * evicted first, by bytes); optionally persisted across runs in a folder, each entry written atomically
 * so a torn write is never read back.
 */
export class VisionCache {
  private readonly entries = new Map<string, VisualTokens>();
  private bytes = 0;
  readonly stats: VisionCacheStats = { hits: 0, misses: 0, diskHits: 0, evictions: 0, bytes: 0, entries: 0 };

  constructor(
    private readonly bundleHash: string,
    private readonly maxBytes: number,
    private readonly diskDir?: string,
  ) {
    if (diskDir && !existsSync(diskDir)) mkdirSync(diskDir, { recursive: true });
  }

  static async keyOf(bundleHash: string, imageFile: string): Promise<string> {
    const content = createHash('sha256')
      .update(await readFile(imageFile))
      .digest('hex');
    return createHash('sha256').update(`${bundleHash}:${content}`).digest('hex');
  }

  /** The cache key of an image file, or undefined when it cannot be read (its encoder then reports why). */
  async keyFor(imageFile: string): Promise<string | undefined> {
    try {
      return await VisionCache.keyOf(this.bundleHash, imageFile);
    } catch {
      return undefined;
    }
  }

  /** The tokens stored under `key` (memory first, then the disk cache), or undefined: a miss. */
  async lookup(key: string): Promise<VisualTokens | undefined> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key); // re-insert: most recently used last
      this.entries.set(key, hit);
      this.stats.hits++;
      return hit;
    }
    const fromDisk = await this.readDisk(key);
    if (fromDisk) {
      this.stats.diskHits++;
      this.put(key, fromDisk);
      return fromDisk;
    }
    this.stats.misses++;
    return undefined;
  }

  /** Keeps freshly computed tokens (and writes them to the disk cache, atomically). */
  async store(key: string, tokens: VisualTokens): Promise<void> {
    this.put(key, tokens);
    await this.writeDisk(key, tokens);
  }

  private put(key: string, tokens: VisualTokens): void {
    this.entries.set(key, tokens);
    this.bytes += tokens.data.byteLength;
    while (this.bytes > this.maxBytes && this.entries.size > 1) {
      const [oldest, value] = this.entries.entries().next().value as [string, VisualTokens];
      this.entries.delete(oldest);
      this.bytes -= value.data.byteLength;
      this.stats.evictions++;
    }
    this.stats.bytes = this.bytes;
    this.stats.entries = this.entries.size;
  }

  private diskPath(key: string): string {
    return path.join(this.diskDir!, key.slice(0, 2), `${key}.f32`);
  }

  private async readDisk(key: string): Promise<VisualTokens | undefined> {
    if (!this.diskDir) return undefined;
    try {
      const buf = await readFile(this.diskPath(key));
      const dims = [buf.readUInt32LE(4), buf.readUInt32LE(8), buf.readUInt32LE(12)] as const;
      const n = dims[0] * dims[1] * dims[2];
      // not ours, of another layout, truncated, or changed since written: a miss, computed again
      if (buf.readUInt32LE(0) !== ENTRY_MAGIC || buf.length !== HEADER_BYTES + 4 * n) return undefined;
      const body = buf.subarray(HEADER_BYTES);
      if (!createHash('sha256').update(body).digest().equals(buf.subarray(16, HEADER_BYTES))) return undefined;
      const data = new Float32Array(n);
      Buffer.from(data.buffer).set(body);
      return { data, dims };
    } catch {
      return undefined;
    }
  }

  /**
   * Many processes (the shards of a run, on one machine or over a network filesystem) may write one
   * entry at once: each writes a file of its own and renames it into place, so a reader sees one
   * whole entry or none, and the entry's hash of its data is checked on every read.
   */
  private async writeDisk(key: string, tokens: VisualTokens): Promise<void> {
    if (!this.diskDir) return;
    const file = this.diskPath(key);
    mkdirSync(path.dirname(file), { recursive: true });
    const body = Buffer.from(tokens.data.buffer, tokens.data.byteOffset, tokens.data.byteLength);
    const head = Buffer.alloc(HEADER_BYTES);
    head.writeUInt32LE(ENTRY_MAGIC, 0);
    tokens.dims.forEach((d, i) => head.writeUInt32LE(d, 4 + 4 * i));
    createHash('sha256').update(body).digest().copy(head, 16);
    await writeFileAtomic(file, Buffer.concat([head, body]));
  }
}
