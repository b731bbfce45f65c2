import path from 'node:path';
import { writeFileAtomic } from '../lib/files.js';
import { suiteHtml, suiteMarkdown } from '../report/suite-summary.js';
import { executeSuite, type SuiteOptions, type SuiteOutcome } from '../suites/run-suite.js';

/** `xfbench suite run`: every member run, then the suite's records beside suite.json (summary.md, summary.html). */
export async function runSuiteWithSummaries(opts: SuiteOptions): Promise<SuiteOutcome> {
  const outcome = await executeSuite(opts);
  await writeFileAtomic(path.join(outcome.dir, 'summary.md'), suiteMarkdown(outcome.record));
  await writeFileAtomic(path.join(outcome.dir, 'summary.html'), suiteHtml(outcome.record));
  return outcome;
}
