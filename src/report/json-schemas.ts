import { z } from 'zod';
import { manifestSchema } from '../core/bundle/manifest.js';
import { compareManyOutputSchema, compareOutputSchema } from '../compare/schema.js';
import { gateSchema } from '../compare/gate.js';
import { protocolSchema } from '../protocols/protocol.js';
import { predictionLineSchema } from '../runs/prediction-line.js';
import { runRecordSchema } from '../runs/run-record.js';
import { suiteSpecSchema } from '../suites/suite-file.js';

const ID = 'https://xfbench.dev/schemas';

/** The JSON Schema documents kept in schemas/, made from the zod schemas the code reads and writes with (a test checks they match). */
export function publishedSchemas(): Record<string, unknown> {
  return {
    // what the converter and the model zoo write, and what xfbench reads: both Python sides check their manifests against it
    'bundle-manifest.schema.json': {
      $id: `${ID}/bundle-manifest.schema.json`,
      title: 'xfbench model bundle manifest (xfbench.json)',
      ...z.toJSONSchema(manifestSchema, { io: 'input' }),
    },
    'compare.schema.json': {
      $id: `${ID}/compare.schema.json`,
      title: 'xfbench compare --json output',
      ...z.toJSONSchema(z.union([compareOutputSchema, compareManyOutputSchema])),
    },
    'gate.schema.json': { $id: `${ID}/gate.schema.json`, title: 'xfbench gate file', ...z.toJSONSchema(gateSchema, { io: 'input' }) },
    'protocol.schema.json': {
      $id: `${ID}/protocol.schema.json`,
      title: 'xfbench evaluation protocol',
      ...z.toJSONSchema(protocolSchema, { io: 'input' }),
    },
    'run.schema.json': { $id: `${ID}/run.schema.json`, title: 'xfbench run.json', ...z.toJSONSchema(runRecordSchema) },
    'suite.schema.json': {
      $id: `${ID}/suite.schema.json`,
      title: 'xfbench suite file',
      ...z.toJSONSchema(suiteSpecSchema, { io: 'input' }),
    },
    'prediction-line.schema.json': {
      $id: `${ID}/prediction-line.schema.json`,
      title: 'one line of xfbench predictions.jsonl',
      ...z.toJSONSchema(predictionLineSchema),
    },
  };
}
