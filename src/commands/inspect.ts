import { Args } from '@oclif/core';
import path from 'node:path';
import { XfCommand } from '../lib/base-command.js';
import type { BundleDescription } from '../core/bundle/describe.js';

export default class Inspect extends XfCommand {
  static override summary =
    'Show what a model bundle holds: graphs with their inputs, outputs and shapes, preprocessing, prompt, generation.';
  static override examples = ['<%= config.bin %> inspect fixtures/models/xf-tiny-xformer', '<%= config.bin %> inspect ckpt/ --json'];
  static override enableJsonFlag = true;
  static override args = { bundle: Args.string({ description: 'model bundle folder holding xfbench.json', required: true }) };

  async run(): Promise<BundleDescription> {
    const { args } = await this.parse(Inspect);
    const [{ describeBundle }, { loadBundle }] = await Promise.all([
      import('../core/bundle/describe.js'),
      import('../core/bundle/manifest.js'),
    ]);
    const d = await describeBundle(await loadBundle(path.resolve(args.bundle)));
    if (!this.jsonEnabled()) {
      const shape = (s: (number | string)[]) => `[${s.join(', ')}]`;
      this.log(
        `${d.name} (${d.fusionKind}, format ${d.formatVersion}, sha256 ${d.sha256.slice(0, 16)}…)${d.description ? `: ${d.description}` : ''}`,
      );
      this.log(
        `visual tokens: ${d.visualTokens}; LM: hidden ${d.lm.hiddenSize}, ${d.lm.layers} layers × ${d.lm.heads} heads × ${d.lm.headDim}, ${d.lm.maxPositions} positions`,
      );
      for (const g of d.graphs) {
        this.log(`${g.role}: ${g.file} (${(g.bytes / 1e6).toFixed(2)} MB)`);
        for (const v of g.inputs) this.log(`    in  ${v.name} ${v.type} ${shape(v.shape)}`);
        for (const v of g.outputs) this.log(`    out ${v.name} ${v.type} ${shape(v.shape)}`);
      }
      for (const p of d.preprocessing)
        this.log(
          `preprocessing ${p.encoder}: ${p.size.join('×')} ${p.resize}, crop ${p.crop}, rescale ${p.rescale}, mean ${p.mean.join('/')}, std ${p.std.join('/')}`,
        );
      this.log(`tokenizer: ${d.tokenizer.file} (eos ${d.tokenizer.eosToken}, pad ${d.tokenizer.padToken})`);
      this.log(`prompt: ${JSON.stringify(d.prompt.template)}`);
      const g = d.generation;
      const search = g.numBeams > 1 ? `beam search, ${g.numBeams} beams, length penalty ${g.lengthPenalty}` : 'greedy';
      const ends = g.endTokenIds ? `, ends at token ids ${JSON.stringify(g.endTokenIds)}` : '';
      this.log(
        `generation: ${search}, ${g.minNewTokens}–${g.maxNewTokens} new tokens${ends}${g.stop.length ? `, stop ${JSON.stringify(g.stop)}` : ''}`,
      );
    }
    return d;
  }
}
