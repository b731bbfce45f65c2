import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { XfError } from '../lib/errors.js';
import { parseJson, readBytes, sha256Text, validate } from '../lib/files.js';
import { fillTemplate, locateImage } from './image-paths.js';
import { readGvtAnswers } from './answers/gvtbench-records.js';
import { ContentIds } from './sample-ids.js';
import type { DatasetAdapter, OpenedDataset, Sample } from './types.js';

/** The four files of the GVTBench release; each is a list of records. */
export const GVT_FILES = ['coco_oc.json', 'vcr_oc.json', 'coco_mci.json', 'vcr_mci.json'] as const;
const GVT_LAYOUT = 'DIR/{coco,vcr}_{oc,mci}.json, DIR/images/ (COCO_val2014_<id:012>.jpg for COCO, vcr1images/… for VCR; --image-template)';
const GVT_SOURCE = 'https://github.com/TencentARC/GVT (GVTBench), COCO val2014 and VCR images';
export const DEFAULT_COCO_TEMPLATE = 'COCO_val2014_{id:012}.jpg';

const recordSchema = z.object({
  image_id: z.union([z.number().int().nonnegative(), z.string().min(1)]),
  text_in: z.string(),
  text_out: z.string(),
  n_obj_exist: z.number().int().nonnegative(),
});

export interface GvtOptions {
  /** Maps a numeric COCO id to a file name (`{id:012}` pads to 12 digits). */
  imageTemplate?: string;
  imagesOptional?: boolean;
  /** Only these tasks' files (counting `oc`, identification `mci`); default both. */
  tasks?: ReadonlyArray<'oc' | 'mci'>;
}

/** Opens whichever of the four GVTBench files the folder holds; images live under `<dir>/images/`. */
export async function openGvtbench(dir: string, opts: GvtOptions = {}): Promise<OpenedDataset> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new XfError('E_DATA_DIR', 'dataset folder not found', {
      file: dir,
      suggestion: `Pass --data DIR holding ${GVT_FILES.join(', ')}.`,
    });
  }
  const wanted = GVT_FILES.filter((f) => !opts.tasks || opts.tasks.some((t) => f.endsWith(`_${t}.json`)));
  const present = wanted.filter((f) => existsSync(path.join(dir, f)));
  if (present.length === 0) throw new XfError('E_DATA_DIR', `none of ${wanted.join(', ')} found`, { file: dir });
  const imageRoot = path.join(dir, 'images');
  if (!existsSync(imageRoot) && !opts.imagesOptional) throw new XfError('E_IMAGES_DIR', 'images folder not found', { file: imageRoot });
  const template = opts.imageTemplate ?? DEFAULT_COCO_TEMPLATE;
  const samples: Sample[] = [];
  const hashes: string[] = [];
  for (const name of present) {
    const file = path.join(dir, name);
    const bytes = await readBytes(file, 'GVTBench file');
    hashes.push(`${name}:${sha256Text(bytes)}`);
    const records = validate(z.array(z.unknown()), parseJson(bytes.toString('utf8'), file), file);
    const subset = name.replace('.json', '');
    const [source, task] = subset.split('_') as ['coco' | 'vcr', 'oc' | 'mci'];
    const ids = new ContentIds();
    records.forEach((raw, i) => {
      const r = validate(recordSchema, raw, file, `[${i}]`);
      const relative = typeof r.image_id === 'number' ? fillTemplate(template, r.image_id) : r.image_id;
      const imagePath = locateImage(imageRoot, relative);
      if (!imagePath) {
        throw new XfError('E_IMAGE_OUTSIDE', `image "${relative}" would lie outside the images folder`, {
          file,
          field: `[${i}].image_id`,
          suggestion: typeof r.image_id === 'number' ? 'Set --image-template to the COCO file names you have.' : undefined,
        });
      }
      samples.push({
        id: ids.next([subset, String(r.image_id), r.text_in]),
        imageId: String(r.image_id),
        imagePath,
        question: r.text_in,
        answers: [r.text_out],
        categories: { subset, task, source },
        group: `${source}:${r.image_id}`,
        extra: { nObjExist: r.n_obj_exist },
      });
    });
  }
  if (samples.length === 0) throw new XfError('E_EMPTY_DATASET', 'the GVTBench files hold no records', { file: dir });
  const tasks = new Set(samples.map((s) => s.categories['task']));
  return {
    adapter: opts.tasks?.length === 1 ? `gvtbench-${opts.tasks[0]}` : 'gvtbench',
    dir,
    hash: sha256Text(hashes.join('\n')),
    samples,
    metrics: [
      ...(tasks.has('oc') ? ['gvtbench.oc.accuracy', 'gvtbench.oc.mae', 'gvtbench.oc.rmse'] : []),
      ...(tasks.has('mci') ? ['gvtbench.mci.accuracy'] : []),
    ],
    normalisePrediction: (text) => text.trim(),
  };
}

export const gvtbenchAdapter: DatasetAdapter = {
  id: 'gvtbench',
  description: 'GVTBench fine-grained perception: object counting (coco_oc, vcr_oc) and multi-class identification (coco_mci, vcr_mci)',
  defaultDir: 'fixtures/gvtbench-mini',
  layout: GVT_LAYOUT,
  takesImageTemplate: true,
  readAnswers: readGvtAnswers,
  source: GVT_SOURCE,
  open: (dir, opts) => openGvtbench(dir, { ...opts }),
};

export const gvtbenchOcAdapter: DatasetAdapter = {
  id: 'gvtbench-oc',
  description: 'GVTBench object counting only (coco_oc.json, vcr_oc.json)',
  defaultDir: 'fixtures/gvtbench-mini',
  layout: GVT_LAYOUT,
  takesImageTemplate: true,
  readAnswers: readGvtAnswers,
  source: GVT_SOURCE,
  open: (dir, opts) => openGvtbench(dir, { ...opts, tasks: ['oc'] }),
};

export const gvtbenchMciAdapter: DatasetAdapter = {
  id: 'gvtbench-mci',
  description: 'GVTBench multi-class identification only (coco_mci.json, vcr_mci.json)',
  defaultDir: 'fixtures/gvtbench-mini',
  layout: GVT_LAYOUT,
  takesImageTemplate: true,
  readAnswers: readGvtAnswers,
  source: GVT_SOURCE,
  open: (dir, opts) => openGvtbench(dir, { ...opts, tasks: ['mci'] }),
};
