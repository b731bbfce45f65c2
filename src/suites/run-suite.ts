import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { XfError } from '../lib/errors.js';
import { packageVersion } from '../lib/package-root.js';
import type { MetricValue } from '../metrics/types.js';
import { executeRun, type RunOptions, type RunOutcome } from '../pipeline/execute-run.js';
import { defaultRunDir } from '../runs/run-dir.js';
import { loadSuiteSpec, writeSuiteRecord, type SuiteRecord } from './suite-file.js';

/** What a suite passes on to each member's run, and where the suite folder goes. */
export interface SuiteOptions extends Pick<
  RunOptions,
  | 'model'
  | 'out'
  | 'device'
  | 'threads'
  | 'maxErrors'
  | 'onProgress'
  | 'shouldStop'
  | 'protocol'
  | 'endpointModel'
  | 'apiKeyEnv'
  | 'headers'
  | 'concurrency'
  | 'requestTimeoutSeconds'
  | 'maxRetries'
  | 'backoffMs'
> {
  suiteFile: string;
  onMember?: (name: string, index: number, count: number) => void;
}

export interface SuiteOutcome {
  dir: string;
  record: SuiteRecord;
  /** Why the suite stopped before its last member finished, if it did. */
  stoppedBy: RunOutcome['stoppedBy'];
  /** Failed samples over the members run. */
  errors: number;
}

/** The figure a member is summarised by: its first metric's overall value. */
function headline(outcome: RunOutcome): MetricValue | null {
  const first = outcome.metrics[0]?.metric;
  return outcome.metrics.find((v) => v.metric === first && v.category === 'overall') ?? null;
}

/**
 * `xfbench suite run`: every benchmark of a suite file with one bundle, each into its own run folder
 * inside the suite folder, then suite.json with each member's headline figure. Run again, it continues:
 * finished members are kept, an interrupted one resumes (each member is an ordinary run folder).
 */
export async function executeSuite(opts: SuiteOptions): Promise<SuiteOutcome> {
  const file = path.resolve(opts.suiteFile);
  const { spec, members } = await loadSuiteSpec(file);
  const outcomes: RunOutcome[] = [];
  let dir: string | undefined = opts.out ? path.resolve(opts.out) : undefined;
  for (const [i, m] of members.entries()) {
    opts.onMember?.(m.name, i, members.length);
    if (!dir) dir = path.resolve(defaultRunDir(process.cwd(), 'suite', spec.name));
    await mkdir(dir, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
      throw new XfError('E_OUT_DIR', `cannot create the suite folder (${err.code})`, { file: dir });
    });
    const outcome = await executeRun({
      dataset: m.dataset,
      model: opts.model,
      data: m.data,
      out: path.join(dir, m.name),
      limit: m.limit,
      allQuestions: m.allQuestions,
      choices: m.choices,
      imageTemplate: m.imageTemplate,
      device: opts.device,
      threads: opts.threads,
      maxErrors: opts.maxErrors,
      protocol: opts.protocol,
      endpointModel: opts.endpointModel,
      apiKeyEnv: opts.apiKeyEnv,
      headers: opts.headers,
      concurrency: opts.concurrency,
      requestTimeoutSeconds: opts.requestTimeoutSeconds,
      maxRetries: opts.maxRetries,
      backoffMs: opts.backoffMs,
      onProgress: opts.onProgress,
      shouldStop: opts.shouldStop,
    });
    outcomes.push(outcome);
    if (outcome.stoppedBy) break;
  }
  const first = outcomes[0]!.record;
  const record: SuiteRecord = {
    kind: 'suite',
    name: spec.name,
    xfbenchVersion: packageVersion(),
    createdAt: new Date().toISOString(),
    bundle: first.endpoint
      ? { name: first.endpoint.model, sha256: first.fingerprint!.bundle, endpoint: first.endpoint.url }
      : { name: first.bundle!.name, sha256: first.bundle!.sha256 },
    members: outcomes.map((o, i) => ({
      name: members[i]!.name,
      dataset: members[i]!.dataset,
      run: members[i]!.name,
      questions: o.record.dataset.evaluated,
      headline: headline(o),
    })),
  };
  await writeSuiteRecord(dir!, record);
  return {
    dir: dir!,
    record,
    stoppedBy: outcomes.find((o) => o.stoppedBy)?.stoppedBy ?? null,
    errors: outcomes.reduce((a, o) => a + o.errors, 0),
  };
}
