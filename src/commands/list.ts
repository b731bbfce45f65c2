import { Args } from '@oclif/core';
import { XfCommand } from '../lib/base-command.js';

export interface ListEntry {
  id: string;
  description: string;
  higherIsBetter?: boolean;
  defaultData?: string;
  layout?: string;
  source?: string;
  /** `report --format` for the benchmark's official predictions file, where xfbench writes one. */
  predictionsFormat?: string;
}

export default class List extends XfCommand {
  static override summary = 'List the datasets and metrics xfbench knows.';
  static override examples = ['<%= config.bin %> list', '<%= config.bin %> list metrics --json'];
  static override enableJsonFlag = true;
  static override args = { what: Args.string({ description: 'what to list', options: ['datasets', 'metrics', 'all'], default: 'all' }) };

  async run(): Promise<{ datasets?: ListEntry[]; metrics?: ListEntry[] }> {
    const { args } = await this.parse(List);
    const [{ datasetRegistry }, { metricRegistry }] = await Promise.all([
      import('../datasets/registry.js'),
      import('../metrics/registry.js'),
    ]);
    const out: { datasets?: ListEntry[]; metrics?: ListEntry[] } = {};
    if (args.what !== 'metrics') {
      const reg = datasetRegistry();
      out.datasets = await Promise.all(
        reg.ids().map(async (id) => {
          const a = await reg.get(id);
          return {
            id,
            description: a.description,
            defaultData: a.defaultDir,
            layout: a.layout,
            source: a.source,
            predictionsFormat: a.exportPredictions?.format,
          };
        }),
      );
    }
    if (args.what !== 'datasets') {
      const reg = metricRegistry();
      out.metrics = await Promise.all(
        reg.ids().map(async (id) => {
          const m = await reg.get(id);
          return { id, description: m.description, higherIsBetter: m.higherIsBetter };
        }),
      );
    }
    if (!this.jsonEnabled()) {
      for (const [title, entries] of [
        ['datasets', out.datasets],
        ['metrics', out.metrics],
      ] as const) {
        if (!entries) continue;
        this.log(`${title}:`);
        for (const e of entries) {
          this.log(`  ${e.id.padEnd(24)} ${e.description}${e.higherIsBetter === false ? ' [lower is better]' : ''}`);
          if (e.layout) this.log(`  ${''.padEnd(24)} layout: ${e.layout}\n  ${''.padEnd(24)} from: ${e.source}`);
          if (e.predictionsFormat) this.log(`  ${''.padEnd(24)} official predictions file: report --format ${e.predictionsFormat}`);
        }
      }
    }
    return out;
  }
}
