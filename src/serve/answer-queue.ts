import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { VisionLanguageModel } from '../core/model.js';
import type { ImagePool } from '../core/vision/image-pool.js';
import type { VisionCache } from '../core/vision/vision-cache.js';
import type { Sample } from '../datasets/types.js';
import { answerBatch, type SampleAnswer } from '../pipeline/evaluate.js';
import { ImagePrefetcher } from '../pipeline/image-prefetch.js';
import type { StageTimings } from '../runs/run-model.js';
import type { ChatQuestion } from './chat-request.js';

export interface ServedAnswer {
  text: string;
  promptTokens: number;
  completionTokens: number;
}

/** A question the model cannot answer as asked (an undecodable image, a prompt too long): the client's fault, a 400. */
export class UnanswerableQuestion extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Waiting {
  question: ChatQuestion;
  resolve: (a: ServedAnswer) => void;
  reject: (err: Error) => void;
}

/**
 * Questions from concurrent requests, answered in batches through the same code as `xfbench run`
 * (answerBatch): while one batch runs, the next gathers, up to `batchSize` questions that ask for the
 * same answer length. Each distinct image goes to a temporary file for the duration of its batch:
 * the image workers and the vision cache work on files (and the cache then reuses an image that
 * several requests send).
 */
export class AnswerQueue {
  private readonly waiting: Waiting[] = [];
  private draining = false;
  private readonly imageDir = mkdtempSync(path.join(tmpdir(), 'xfbench-serve-'));
  readonly timings: StageTimings = { visionMs: 0, generateMs: 0, images: 0, questions: 0 };
  batches = 0;

  constructor(
    private readonly model: VisionLanguageModel,
    private readonly images: ImagePool,
    private readonly cache: VisionCache,
    private readonly batchSize: number,
  ) {}

  ask(question: ChatQuestion): Promise<ServedAnswer> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ question, resolve, reject });
      void this.drain();
    });
  }

  close(): void {
    rmSync(this.imageDir, { recursive: true, force: true });
  }

  private maxNewTokens(q: ChatQuestion): number {
    return q.maxTokens ?? this.model.generation.maxNewTokens;
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.waiting.length > 0) {
        const length = this.maxNewTokens(this.waiting[0]!.question);
        const batch: Waiting[] = [];
        for (let i = 0; i < this.waiting.length && batch.length < this.batchSize;) {
          if (this.maxNewTokens(this.waiting[i]!.question) === length) batch.push(...this.waiting.splice(i, 1));
          else i++;
        }
        await this.answer(batch, length);
      }
    } finally {
      this.draining = false;
    }
  }

  private async answer(batch: Waiting[], maxNewTokens: number): Promise<void> {
    const files: string[] = [];
    try {
      const samples: Sample[] = batch.map((w, i) => {
        const digest = createHash('sha256').update(w.question.image).digest('hex');
        const imagePath = path.join(this.imageDir, digest);
        if (!files.includes(imagePath)) {
          writeFileSync(imagePath, w.question.image);
          files.push(imagePath);
        }
        return {
          id: String(i),
          imageId: digest,
          imagePath,
          question: w.question.text,
          answers: [],
          categories: {},
          group: digest,
          extra: {},
        };
      });
      // answerBatch wants an image's questions together
      const order = [...samples].sort((a, b) => files.indexOf(a.imagePath) - files.indexOf(b.imagePath));
      const prefetcher = new ImagePrefetcher(this.images, this.model.vision.imageSpecs, order, order.length, this.cache);
      const { answers } = await answerBatch(this.model, order, prefetcher, {
        cache: this.cache,
        timings: this.timings,
        generation: { ...this.model.generation, maxNewTokens },
      });
      this.batches += 1;
      this.timings.questions += answers.length;
      for (const a of answers) this.settle(batch[Number(a.sample.id)]!, a);
    } catch (err) {
      for (const w of batch) w.reject(err as Error);
    } finally {
      for (const f of files) rmSync(f, { force: true });
    }
  }

  private settle(w: Waiting, a: SampleAnswer): void {
    if ('error' in a) {
      w.reject(new UnanswerableQuestion(a.error.code, a.error.message.replace(this.imageDir + path.sep, '')));
      return;
    }
    w.resolve({ text: a.text, promptTokens: this.model.prompts.ids(a.sample.question).length, completionTokens: a.tokens });
  }
}
