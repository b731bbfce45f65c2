// Writes fixtures/okvqa-mini: vqav2-mini's first 60 questions, their images, and annotations in
// OK-VQA's own shape (answer_confidence and raw_answer per answer, "other" answer type, OK-VQA's
// question_type field, a confidence per question). A format fixture: the synthetic scenes hold no
// outside knowledge. Run once: node scripts/make-okvqa-mini.mjs (it refuses to overwrite).
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const from = path.join(root, 'fixtures/vqav2-mini');
const to = path.join(root, 'fixtures/okvqa-mini');
if (existsSync(to)) {
  console.error(`${to} exists; remove it first to write it again`);
  process.exit(2);
}
const questions = JSON.parse(readFileSync(path.join(from, 'v2_OpenEnded_mscoco_val2014_questions.json'), 'utf8'));
const annotations = JSON.parse(readFileSync(path.join(from, 'v2_mscoco_val2014_annotations.json'), 'utf8'));
const keep = questions.questions.slice(0, 60);
const ids = new Set(keep.map((q) => q.question_id));
mkdirSync(path.join(to, 'val2014'), { recursive: true });
writeFileSync(
  path.join(to, 'OpenEnded_mscoco_val2014_questions.json'),
  JSON.stringify({
    ...questions,
    info: { description: 'okvqa-mini: vqav2-mini questions in the OK-VQA layout (a format fixture)' },
    questions: keep,
  }),
);
writeFileSync(
  path.join(to, 'mscoco_val2014_annotations.json'),
  JSON.stringify({
    info: { description: 'okvqa-mini annotations in the OK-VQA shape' },
    data_type: 'mscoco',
    data_subtype: 'val2014',
    license: {},
    annotations: annotations.annotations
      .filter((a) => ids.has(a.question_id))
      .map((a) => ({
        image_id: a.image_id,
        question_id: a.question_id,
        question_type: 'other',
        answer_type: 'other',
        confidence: 3,
        answers: a.answers.map((x) => ({
          answer_id: x.answer_id,
          raw_answer: x.answer,
          answer_confidence: x.answer_confidence,
          answer: x.answer.toLowerCase().replace(/\.$/, ''),
        })),
      })),
  }),
);
for (const q of keep) {
  const name = `COCO_val2014_${String(q.image_id).padStart(12, '0')}.png`;
  if (!existsSync(path.join(to, 'val2014', name))) copyFileSync(path.join(from, 'val2014', name), path.join(to, 'val2014', name));
}
console.log(`wrote ${to}: ${keep.length} questions`);
