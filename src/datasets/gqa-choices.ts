import { z } from 'zod';
import { readJson } from '../lib/files.js';

const choicesSchema = z.record(z.string(), z.object({ valid: z.array(z.string()), plausible: z.array(z.string()) }).passthrough());

/** GQA's choices file ({questionId: {valid: [...], plausible: [...]}}), for validity and plausibility. */
export async function loadGqaChoices(file: string): Promise<Map<string, { valid: string[]; plausible: string[] }>> {
  const { value } = await readJson(file, choicesSchema, 'GQA choices file');
  return new Map(Object.entries(value).map(([id, c]) => [id, { valid: c.valid, plausible: c.plausible }]));
}
