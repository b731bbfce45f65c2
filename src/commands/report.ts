import { Args, Flags } from '@oclif/core';
import path from 'node:path';
import { XfCommand } from '../lib/base-command.js';
import { detailsFlag } from './shared-flags.js';

export interface ReportOutput {
  runs: string[];
  format: string;
  /** The file written, or null when the report went to stdout. */
  output: string | null;
  bytes: number;
  /** With --json and no --output: the report itself. */
  text?: string;
}

/** Writes pieces to a stream as it takes them (waiting when a pipe is full); returns the bytes written. */
async function writePieces(stream: NodeJS.WritableStream, pieces: AsyncIterable<string>): Promise<number> {
  let bytes = 0;
  for await (const piece of pieces) {
    bytes += Buffer.byteLength(piece);
    if (!stream.write(piece)) await new Promise((resolve) => stream.once('drain', resolve));
  }
  return bytes;
}

export default class Report extends XfCommand {
  static override summary = "Render run directories: tables, Markdown, CSV, a benchmark's official predictions file, or an HTML report.";
  static override description =
    'One run in any format. With --format html, one run or a baseline and candidates (report A B C): a self-contained page with charts ' +
    'and intervals, Δ with its interval and verdict against the baseline, provenance, and a gallery of samples with thumbnails and filters ' +
    '(A right / B wrong, category, text). The page needs no network: styles, script and images are inline.';
  static override examples = [
    '<%= config.bin %> report runs/my-run',
    '<%= config.bin %> report runs/my-run --format gqa-predictions --output testdev_balanced_predictions.json',
    '<%= config.bin %> report runs/my-run --format md >> "$GITHUB_STEP_SUMMARY"',
    '<%= config.bin %> report runs/clip runs/xformer --format html --output report.html',
  ];
  static override enableJsonFlag = true;
  // runs after the first are further arguments (html only)
  static override strict = false;
  static override args = {
    run: Args.string({ description: 'run directory (html: more may follow, the first is the baseline)', required: true }),
  };
  static override flags = {
    // besides these, each benchmark names its official predictions file (`xfbench list`), checked when the run is read
    'format': Flags.string({
      description:
        "what to write: table, md, csv, html, or the benchmark's official predictions file (gqa-predictions, vqa-results; see xfbench list)",
      default: 'table',
    }),
    'output': Flags.string({ description: 'write to this file instead of stdout (written atomically)' }),
    'details': detailsFlag,
    'gallery-limit': Flags.integer({
      description: 'html: samples embedded in the gallery at most (disagreements and wrong answers first)',
      min: 0,
      default: 240,
    }),
  };

  async run(): Promise<ReportOutput> {
    const { argv, flags } = await this.parse(Report);
    const [{ readRunHeader }, { writeFileAtomic, writePiecesAtomic }, { XfError }] = await Promise.all([
      import('../runs/read-run.js'),
      import('../lib/files.js'),
      import('../lib/errors.js'),
    ]);
    const dirs = (argv as string[]).map((d) => path.resolve(d));
    if (dirs.length > 1 && flags.format !== 'html') {
      throw new XfError('E_FLAGS', `--format ${flags.format} renders one run; several runs need --format html`, {
        suggestion: 'Pass one run, or --format html.',
      });
    }
    // the record alone for tables; the lines are streamed by what needs them (the gallery, compare, official files)
    const runs = await Promise.all(dirs.map((d) => readRunHeader(d)));
    const output = flags.output ? path.resolve(flags.output) : null;
    const formats = await import('../report/formats.js');
    if (!['table', 'md', 'csv', 'html'].includes(flags.format) && (output || !this.jsonEnabled())) {
      // a benchmark's official file: streamed from the run to the file (or stdout), never held whole
      const pieces = formats.officialPredictionPieces(runs[0]!, flags.format);
      const bytes = output ? await writePiecesAtomic(output, pieces) : await writePieces(process.stdout, pieces);
      return { runs: dirs, format: flags.format, output, bytes };
    }
    let text: string;
    if (flags.format === 'html') {
      const [{ compareWithBaseline }, { renderHtmlReport }] = await Promise.all([
        import('../compare/compare.js'),
        import('../report/html/page.js'),
      ]);
      const comparisons = runs.length > 1 ? await compareWithBaseline(runs[0]!, runs.slice(1)) : [];
      text = await renderHtmlReport(runs, comparisons, { galleryLimit: flags['gallery-limit'] });
    } else {
      text = await formats.renderRun(runs[0]!, flags.format, { details: flags.details });
    }
    if (output) await writeFileAtomic(output, text);
    else if (!this.jsonEnabled()) process.stdout.write(text);
    return { runs: dirs, format: flags.format, output, bytes: Buffer.byteLength(text), ...(output ? {} : { text }) };
  }
}
