import { existsSync, statSync } from 'node:fs';
import { XfError } from '../../lib/errors.js';
import type { AnswerFile } from '../types.js';

/**
 * Gathers one answer per question id while a reader walks an answer file: a second answer for the
 * same question is refused in every format (which one a scorer keeps would otherwise be arbitrary).
 */
export class AnswerCollector {
  readonly byId = new Map<string, string>();

  constructor(private readonly file: string) {}

  put(id: string, answer: string, where: string, file = this.file): void {
    if (this.byId.has(id)) throw new XfError('E_DUPLICATE_PREDICTION', `question "${id}" has two predictions`, { file, field: where });
    this.byId.set(id, answer);
  }

  /** The answers read, refusing a file that held none. */
  finish(format: string, sha256: string): AnswerFile {
    if (this.byId.size === 0) throw new XfError('E_EMPTY_PREDICTIONS', 'the predictions file holds no predictions', { file: this.file });
    return { format, sha256, byId: this.byId };
  }
}

export function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

/** The first record of a JSON list or a JSON-lines file, or undefined when the text is neither. */
export function firstRecord(text: string): Record<string, unknown> | undefined {
  const t = text.trimStart();
  try {
    if (t.startsWith('[')) return (JSON.parse(t) as unknown[])[0] as Record<string, unknown> | undefined;
    return JSON.parse(t.split('\n')[0]!) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
