import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { BUNDLES, FIXTURES, GQA_MINI, editManifest, tempDir } from '../helpers/paths.js';

/**
 * The bad-input catalogue: every case must exit with status 2 and print exactly one line on stderr
 * that names the offending file (or flag) and the problem, with no stack trace.
 */
const work = tempDir('xfbench-catalogue-');
const Q = 'testdev_balanced_questions.json';
let goodRun: string;

function gqaCopy(name: string, edit?: (records: Record<string, any>, dir: string) => void, raw?: string): string {
  const dir = path.join(work, name);
  cpSync(GQA_MINI, dir, { recursive: true });
  const file = path.join(dir, Q);
  if (raw !== undefined) writeFileSync(file, raw);
  else if (edit) {
    const records = JSON.parse(readFileSync(file, 'utf8'));
    edit(records, dir);
    writeFileSync(file, JSON.stringify(records));
  }
  return dir;
}

function bundleCopy(name: string, damage: (dir: string) => void): string {
  const dir = path.join(work, name);
  cpSync(BUNDLES.xformer, dir, { recursive: true });
  damage(dir);
  return dir;
}

function file(name: string, body: string): string {
  const p = path.join(work, name);
  writeFileSync(p, body);
  return p;
}

const first = (r: Record<string, any>) => r[Object.keys(r)[0]!];
const out = () => path.join(work, `out-${Math.random().toString(36).slice(2)}`);

beforeAll(() => {
  goodRun = path.join(work, 'good-run');
  expect(runCli(['run', 'gqa', '--limit', '5', '--out', goodRun, '--device', 'cpu']).status).toBe(0);
});

type Case = [string, () => string[], RegExp];

const cases: Case[] = [
  [
    'malformed questions JSON',
    () => ['run', 'gqa', '--data', gqaCopy('c1', undefined, '{"1": {'), '--out', out()],
    /E_BAD_JSON .*testdev_balanced_questions\.json: malformed JSON/,
  ],
  [
    'a record missing a field',
    () => [
      'run',
      'gqa',
      '--data',
      gqaCopy('c2', (r) => {
        delete first(r).question;
      }),
      '--out',
      out(),
    ],
    /E_SCHEMA .*testdev_balanced_questions\.json \(\d+\.question\)/,
  ],
  [
    'a field of the wrong type',
    () => [
      'run',
      'gqa',
      '--data',
      gqaCopy('c3', (r) => {
        first(r).types = 'query';
      }),
      '--out',
      out(),
    ],
    /E_SCHEMA .*\(\d+\.types\)/,
  ],
  ['an empty dataset', () => ['run', 'gqa', '--data', gqaCopy('c4', undefined, '{}'), '--out', out()], /E_EMPTY_DATASET .*no questions/],
  ['an unknown dataset id', () => ['run', 'gqa-testdev'], /E_UNKNOWN_DATASET: unknown dataset "gqa-testdev"\. Did you mean: gqa/],
  [
    'an image id with ../',
    () => [
      'run',
      'gqa',
      '--data',
      gqaCopy('c6', (r) => {
        first(r).imageId = '../../x';
      }),
      '--out',
      out(),
    ],
    /E_IMAGE_OUTSIDE .*\(\d+\.imageId\)/,
  ],
  [
    'an absolute image path',
    () => [
      'run',
      'gqa',
      '--data',
      gqaCopy('c7', (r) => {
        first(r).imageId = '/etc/hostname';
      }),
      '--out',
      out(),
    ],
    /E_IMAGE_OUTSIDE .*\(\d+\.imageId\)/,
  ],
  [
    'a symlink out of the images folder',
    () => [
      'run',
      'gqa',
      '--data',
      gqaCopy('c8', (r, d) => {
        symlinkSync('/etc/hostname', path.join(d, 'images', 'evil.png'));
        first(r).imageId = 'evil';
      }),
      '--out',
      out(),
    ],
    /E_IMAGE_OUTSIDE .*\(\d+\.imageId\)/,
  ],
  [
    'a missing images folder',
    () => ['run', 'gqa', '--data', gqaCopy('c9', (_r, d) => rmSync(path.join(d, 'images'), { recursive: true })), '--out', out()],
    /E_IMAGES_DIR .*images: images folder not found/,
  ],
  [
    'a data folder that does not exist',
    () => ['run', 'gqa', '--data', path.join(work, 'nope'), '--out', out()],
    /E_DATA_DIR .*nope: dataset folder not found/,
  ],
  ['a bundle folder that does not exist', () => ['run', 'gqa', '--model', path.join(work, 'no-bundle')], /E_BUNDLE_NOT_FOUND .*no-bundle/],
  [
    'a bundle missing a graph',
    () => ['run', 'gqa', '--model', bundleCopy('b1', (d) => rmSync(path.join(d, 'fusion.onnx'))), '--out', out()],
    /E_BUNDLE_FILE_MISSING .*fusion\.onnx: bundle file "fusion\.onnx" is missing/,
  ],
  [
    'a bundle missing its tokenizer',
    () => ['run', 'gqa', '--model', bundleCopy('b2', (d) => rmSync(path.join(d, 'tokenizer.json'))), '--out', out()],
    /E_BUNDLE_FILE_MISSING .*tokenizer\.json/,
  ],
  [
    'a manifest of an unknown version',
    () => [
      'run',
      'gqa',
      '--model',
      bundleCopy('b3', (d) =>
        editManifest(d, (m) => {
          m.formatVersion = 7;
        }),
      ),
      '--out',
      out(),
    ],
    /E_MANIFEST_VERSION .*xfbench\.json \(formatVersion\): unsupported bundle format version 7/,
  ],
  [
    'a malformed manifest',
    () => ['run', 'gqa', '--model', bundleCopy('b4', (d) => writeFileSync(path.join(d, 'xfbench.json'), '{')), '--out', out()],
    /E_BAD_JSON .*xfbench\.json/,
  ],
  [
    'graph input names that differ from the manifest',
    () => [
      'run',
      'gqa',
      '--model',
      bundleCopy('b5', (d) =>
        editManifest(d, (m) => {
          m.lm.inputs.positionIds = 'positions';
        }),
      ),
      '--out',
      out(),
    ],
    /E_GRAPH_IO .*lm_decoder\.onnx: graph has no input "positions"/,
  ],
  [
    'a sha256 mismatch',
    () => ['run', 'gqa', '--model', bundleCopy('b6', (d) => appendFileSync(path.join(d, 'lm_embed.onnx'), '\0')), '--out', out()],
    /E_SHA256_MISMATCH .*lm_embed\.onnx/,
  ],
  [
    'a graph file that is not ONNX',
    () => [
      'run',
      'gqa',
      '--model',
      bundleCopy('b7', (d) => {
        writeFileSync(path.join(d, 'fusion.onnx'), 'garbage');
        editManifest(d, (m) => {
          m.files['fusion.onnx'] = require('node:crypto').createHash('sha256').update('garbage').digest('hex');
        });
      }),
      '--out',
      out(),
    ],
    /E_GRAPH .*fusion\.onnx: cannot load ONNX graph/,
  ],
  [
    'a manifest whose visual-token count the fusion graph does not give',
    () => [
      'run',
      'gqa',
      '--limit',
      '2',
      '--device',
      'cpu',
      '--model',
      bundleCopy('b8', (d) =>
        editManifest(d, (m) => {
          m.fusion.numTokens = 16;
        }),
      ),
      '--out',
      out(),
    ],
    /E_GRAPH_IO .*fusion\.onnx: fusion output has shape \[\d+, 65, 128\], the manifest says \[\d+, 16, 128\]/,
  ],
  [
    '--image-template for a format whose files name their images',
    () => ['run', 'gqa', '--image-template', '{id}.jpg', '--out', out()],
    /E_FLAGS: --image-template does not apply to gqa/,
  ],
  [
    '--cache-dir with --no-vision-cache',
    () => ['run', 'gqa', '--cache-dir', path.join(work, 'cache'), '--no-vision-cache', '--out', out()],
    /E_FLAGS: --cache-dir keeps visual tokens on disk/,
  ],
  [
    'a suite file naming two benchmarks alike',
    () => [
      'suite',
      'run',
      file('s1.json', JSON.stringify({ name: 's', benchmarks: [{ dataset: 'gqa' }, { dataset: 'gqa' }] })),
      '--out',
      out(),
    ],
    /E_SCHEMA .*s1\.json \(benchmarks\[1\]\.name\): two benchmarks are named "gqa"/,
  ],
  [
    'a non-image file with an image extension (with --max-errors 0)',
    () => [
      'run',
      'gqa',
      '--limit',
      '20',
      '--device',
      'cpu',
      '--max-errors',
      '0',
      '--data',
      gqaCopy('c10', (r, d) => {
        writeFileSync(path.join(d, 'images', `${first(r).imageId}.png`), 'not a png');
      }),
      '--out',
      out(),
    ],
    /E_TOO_MANY_ERRORS .*stopped after \d+ failed samples/,
  ],
  [
    'an output folder that cannot be created',
    () => ['run', 'gqa', '--limit', '2', '--out', path.join(file('a-file', 'x'), 'run')],
    /E_OUT_DIR .*a-file\/run: cannot create the run folder \(ENOTDIR\)/,
  ],
  [
    'resuming with other settings',
    () => ['run', 'gqa', '--limit', '6', '--out', goodRun],
    /E_RESUME_MISMATCH .*fingerprint\.settings.*the settings \(--limit: 5 then, 6 now\)/,
  ],
  [
    'resuming with another number of beams',
    () => ['run', 'gqa', '--limit', '5', '--num-beams', '3', '--out', goodRun],
    /E_RESUME_MISMATCH .*fingerprint\.settings.*the settings \(--num-beams \/ --max-new-tokens: \{"numBeams":1,"maxNewTokens":8\} then, \{"numBeams":3,"maxNewTokens":8\} now\) differ/,
  ],
  [
    'resuming with another answer length',
    () => ['run', 'gqa', '--limit', '5', '--max-new-tokens', '4', '--out', goodRun],
    /E_RESUME_MISMATCH .*fingerprint\.settings/,
  ],
  ['no beams', () => ['run', 'gqa', '--num-beams', '0'], /E_USAGE: .*--num-beams/],
  [
    'resuming with another bundle',
    () => ['run', 'gqa', '--limit', '5', '--model', BUNDLES.clip, '--out', goodRun],
    /E_RESUME_MISMATCH .*fingerprint\.bundle.*model bundle differ/,
  ],
  ['an unknown flag', () => ['run', 'gqa', '--modle', 'x'], /E_USAGE: Nonexistent flag: --modle/],
  ['a flag value out of range', () => ['run', 'gqa', '--limit', '0'], /E_USAGE: .*--limit/],
  ['conflicting flags: --baseline without --gate', () => ['run', 'gqa', '--baseline', goodRun], /E_USAGE: .*--gate/],
  [
    'conflicting flags: junit without a gate',
    () => ['compare', goodRun, goodRun, '--format', 'junit'],
    /E_FLAGS: --format junit reports gate checks and needs --gate/,
  ],
  [
    'conflicting flags: --choices on a non-GQA set',
    () => ['run', 'pope', '--choices', file('ch.json', '{}'), '--out', out()],
    /E_FLAGS: --choices applies to gqa only/,
  ],
  [
    'a malformed GQA choices file',
    () => ['run', 'gqa', '--limit', '2', '--choices', file('bad-choices.json', '{"1": {"valid": 3}}'), '--out', out()],
    /E_SCHEMA .*bad-choices\.json \(1\.valid\)/,
  ],
  [
    'a gate file with an unknown metric',
    () => ['compare', goodRun, goodRun, '--gate', file('g1.json', JSON.stringify({ rules: [{ metric: 'gqa.acc', maxDrop: 1 }] }))],
    /E_GATE_UNKNOWN_METRIC .*g1\.json \(rules\[0\]\.metric\).*Did you mean: gqa\.accuracy/,
  ],
  [
    'a gate pattern that matches nothing',
    () => [
      'compare',
      goodRun,
      goodRun,
      '--gate',
      file('g2.json', JSON.stringify({ rules: [{ metric: 'gqa.accuracy', category: 'semantic/colour', maxDrop: 1 }] })),
    ],
    /E_GATE_NO_MATCH .*g2\.json \(rules\[0\]\.category\)/,
  ],
  [
    'a gate file with an unknown field',
    () => [
      'compare',
      goodRun,
      goodRun,
      '--gate',
      file('g3.json', JSON.stringify({ rules: [{ metric: 'gqa.accuracy', maxDrop: 1, maxdrop: 2 }] })),
    ],
    /E_SCHEMA .*g3\.json \(rules\.0\)/,
  ],
  ['a malformed gate file', () => ['compare', goodRun, goodRun, '--gate', file('g4.json', 'rules:')], /E_BAD_JSON .*g4\.json/],
  [
    'a gate file from before max-drop rules were tests (requireSignificant)',
    () => [
      'compare',
      goodRun,
      goodRun,
      '--gate',
      file('g5.json', JSON.stringify({ requireSignificant: true, rules: [{ metric: 'gqa.accuracy', maxDrop: 1 }] })),
    ],
    /E_GATE_OBSOLETE .*g5\.json \(requireSignificant\).*"mode": "observed"/,
  ],
  [
    'compare of runs from different datasets',
    () => {
      const other = path.join(work, 'other-run');
      runCli(['run', 'pope', '--limit', '5', '--out', other, '--device', 'cpu']);
      return ['compare', goodRun, other];
    },
    /E_DATASET_MISMATCH .*different datasets \(gqa .* vs pope/,
  ],
  [
    'compare of an unfinished run',
    () => {
      const stopped = path.join(work, 'stopped-run');
      runCli([
        'run',
        'gqa',
        '--limit',
        '20',
        '--device',
        'cpu',
        '--max-errors',
        '0',
        '--out',
        stopped,
        '--data',
        gqaCopy('c11', (r, d) => {
          writeFileSync(path.join(d, 'images', `${first(r).imageId}.png`), 'x');
        }),
      ]);
      return ['compare', goodRun, stopped];
    },
    /E_RUN_INCOMPLETE .*run\.json: the run is not complete \(status: stopped\)/,
  ],
  ['compare of a folder that is not a run', () => ['compare', goodRun, work], /E_MISSING_FILE .*run\.json: run\.json not found/],
  [
    'score: a predictions file that does not exist',
    () => ['score', 'gqa', '--predictions', path.join(work, 'none.json')],
    /E_MISSING_FILE .*none\.json: predictions file not found/,
  ],
  [
    'score: predictions for unknown questions',
    () => ['score', 'gqa', '--predictions', file('p1.json', JSON.stringify([{ questionId: 'zz', prediction: 'yes' }]))],
    /E_PREDICTION_UNKNOWN_ID .*p1\.json/,
  ],
  [
    'score: duplicate predictions',
    () => ['score', 'gqa', '--predictions', file('p2.jsonl', '{"id":"20000000","prediction":"a"}\n{"id":"20000000","prediction":"b"}\n')],
    /E_DUPLICATE_PREDICTION .*p2\.jsonl \(line 2\)/,
  ],
  [
    'score: a CSV without the needed columns',
    () => ['score', 'gqa', '--predictions', file('p3.csv', 'qid,answer\n1,yes\n')],
    /E_SCHEMA .*p3\.csv \(row 2\): CSV needs the columns/,
  ],
  [
    'report: GQA predictions from a non-GQA run',
    () => {
      const pope = path.join(work, 'pope-run');
      runCli(['run', 'pope', '--limit', '3', '--out', pope, '--device', 'cpu']);
      return ['report', pope, '--format', 'gqa-predictions'];
    },
    /E_FORMAT .*gqa-predictions needs a gqa run, this one is pope/,
  ],
  [
    'report: VQA results from a GQA run',
    () => ['report', goodRun, '--format', 'vqa-results'],
    /E_FORMAT .*vqa-results needs a okvqa or vqav2 run, this one is gqa/,
  ],
  [
    'report: a format no benchmark writes',
    () => ['report', goodRun, '--format', 'mme-answers'],
    /E_FORMAT: unknown report format mme-answers.*gqa-predictions, vqa-results/,
  ],
  [
    '--all-questions on a dataset that scores every question',
    () => ['run', 'pope', '--limit', '3', '--all-questions', '--out', out()],
    /E_FLAGS: --all-questions applies to gqa only \(pope scores every question anyway\)/,
  ],
  [
    'score: a POPE answer file with a question answered twice',
    () => {
      const answers = path.join(work, 'pope-answers');
      mkdirSync(answers, { recursive: true });
      writeFileSync(path.join(answers, 'answers_random.jsonl'), '{"question_id": 1, "text": "yes"}\n{"question_id": 1, "text": "no"}\n');
      return ['score', 'pope', '--predictions', answers];
    },
    /E_DUPLICATE_PREDICTION .*answers_random\.jsonl \(line 2\): question "random\/1" has two predictions/,
  ],
  [
    'GVTBench: a VCR image path escaping the images folder',
    () => {
      const dir = path.join(work, 'gvt');
      cpSync(path.join(FIXTURES, 'gvtbench-mini'), dir, { recursive: true });
      writeFileSync(
        path.join(dir, 'vcr_mci.json'),
        JSON.stringify([{ image_id: 'vcr1images/../../../x.png', text_in: 'q', text_out: 'Yes.', n_obj_exist: 2 }]),
      );
      return ['run', 'gvtbench', '--data', dir, '--out', out()];
    },
    /E_IMAGE_OUTSIDE .*vcr_mci\.json \(\[0\]\.image_id\)/,
  ],
  [
    'MMVP: a correct answer that is not an option',
    () => {
      const dir = path.join(work, 'mmvp');
      cpSync(path.join(FIXTURES, 'mmvp-mini'), dir, { recursive: true });
      writeFileSync(path.join(dir, 'Questions.csv'), 'Index,Question,Options,Correct Answer\n1,Q?,(a) x (b) y,(c)\n');
      return ['run', 'mmvp', '--data', dir, '--out', out()];
    },
    /E_SCHEMA .*Questions\.csv \(row 2\.Correct Answer\)/,
  ],
  [
    'an endpoint URL with a key in it',
    () => ['run', 'gqa', '--model', 'openai:https://me:sk-secret@api.example.com/v1', '--out', out()],
    /E_FLAGS: --model: the endpoint URL holds credentials/,
  ],
  [
    'an endpoint flag without an endpoint',
    () => ['run', 'gqa', '--concurrency', '8', '--out', out()],
    /E_FLAGS: --concurrency applies only to a served model \(--model openai:URL\)/,
  ],
  [
    'a bundle flag with an endpoint',
    () => ['run', 'gqa', '--model', 'openai:http://127.0.0.1:9/v1', '--num-beams', '3', '--out', out()],
    /E_FLAGS: --num-beams applies only to a model bundle/,
  ],
  [
    'an endpoint that is not there, without --endpoint-model',
    () => ['run', 'gqa', '--model', 'openai:http://127.0.0.1:9/v1', '--request-timeout', '2', '--out', out()],
    /E_ENDPOINT: cannot tell which model http:\/\/127\.0\.0\.1:9\/v1\/models serves/,
  ],
  [
    'an API key variable that is unset',
    () => ['run', 'gqa', '--model', 'openai:http://127.0.0.1:9/v1', '--api-key-env', 'XFBENCH_NO_SUCH_KEY', '--out', out()],
    /E_FLAGS: --api-key-env XFBENCH_NO_SUCH_KEY: that environment variable is empty or unset/,
  ],
  [
    'serve on every address without a key',
    () => ['serve', '--host', '0.0.0.0', '--port', '0'],
    /E_FLAGS: --host 0\.0\.0\.0 exposes the model beyond this machine, which needs an API key/,
  ],
];

describe('bad-input catalogue', () => {
  it('has at least 30 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });
  it.each(cases)('%s: exit 2, one line naming the file and problem, no stack', (_name, args, pattern) => {
    mkdirSync(work, { recursive: true });
    const r = runCli(args());
    expect(r.status, r.stderr).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^xfbench: error E_[A-Z_]+/);
    expect(lines[0]).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at |Error: /);
  });
});
