import { Args, Flags } from '@oclif/core';
import path from 'node:path';
import { XfCommand } from '../lib/base-command.js';
import { detailsFlag } from './shared-flags.js';

export default class Report extends XfCommand {
  static override summary = 'Render a run directory: tables, Markdown, CSV, or the official GQA predictions file.';
  static override examples = [
    '<%= config.bin %> report runs/my-run',
    '<%= config.bin %> report runs/my-run --format gqa-predictions --output testdev_balanced_predictions.json',
    '<%= config.bin %> report runs/my-run --format md >> "$GITHUB_STEP_SUMMARY"',
    '<%= config.bin %> report runs/my-run --format html --output report.html',
  ];
  static override args = { run: Args.string({ description: 'run directory', required: true }) };
  static override flags = {
    format: Flags.string({ description: 'what to write', options: ['table', 'md', 'csv', 'html', 'gqa-predictions'], default: 'table' }),
    output: Flags.string({ description: 'write to this file instead of stdout (written atomically)' }),
    details: detailsFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Report);
    const [{ readRun }, render, { writeFileAtomic }] = await Promise.all([
      import('../runs/read-run.js'), import('../report/formats.js'), import('../lib/files.js'),
    ]);
    const run = await readRun(path.resolve(args.run));
    const text = render.renderRun(run, flags.format as 'table' | 'md' | 'csv' | 'html' | 'gqa-predictions', { details: flags.details });
    if (flags.output) await writeFileAtomic(path.resolve(flags.output), text);
    else process.stdout.write(text);
  }
}
