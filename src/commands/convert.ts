import { Args, Flags } from '@oclif/core';
import { XfCommand } from '../lib/base-command.js';

interface ConvertSummary {
  bundle: string;
  name: string;
  seconds: number;
  bytes: number;
  versions: Record<string, string>;
}

export default class Convert extends XfCommand {
  static override summary = 'Turn a Hugging Face BLIP-2 checkpoint folder (save_pretrained layout) into a model bundle.';
  static override description =
    "Exports transformers' own modules with torch.onnx (vision encoder, Q-Former with projection, LM embeddings, LM decoder with a key/value cache) " +
    "and writes a bundle whose manifest carries the image processor's settings, the tokenizer.json as it is, LAVIS's zero-shot VQA prompt and its " +
    'generation settings (5 beams, at most 10 new tokens). The conversion runs in Python: the venv `bash scripts/install-converter-deps.sh` makes, ' +
    'or the interpreter named by --python or $XFBENCH_PYTHON. Nothing is downloaded: the checkpoint folder holds the weights.';
  static override examples = [
    '<%= config.bin %> convert ~/ckpt/blip2-opt-2.7b --out bundles/blip2-opt-2.7b',
    '<%= config.bin %> run gqa --data /data/gqa --model bundles/blip2-opt-2.7b',
  ];
  static override enableJsonFlag = true;
  static override args = {
    checkpoint: Args.string({
      description: 'checkpoint folder: config.json, *.safetensors, tokenizer.json, preprocessor_config.json',
      required: true,
    }),
  };
  static override flags = {
    'out': Flags.string({ description: 'bundle folder to create (must not exist, or be empty)', required: true }),
    'name': Flags.string({ description: "the bundle's name (default: the checkpoint folder's)" }),
    'dtype': Flags.string({
      description: 'fp16 halves the bundle (weights and compute in float16; answers within the tolerance docs/convert.md states)',
      options: ['fp32', 'fp16'],
      default: 'fp32',
    }),
    'external-data': Flags.string({
      description: 'weights in a .data file beside each graph: auto (graphs over 1.8 GB, which one ONNX file cannot hold), always, never',
      options: ['auto', 'always', 'never'],
      default: 'auto',
    }),
    'python': Flags.string({
      description: 'Python interpreter with torch, transformers and onnx (default: $XFBENCH_PYTHON, else .venv-convert)',
    }),
  };

  async run(): Promise<ConvertSummary> {
    const { args, flags } = await this.parse(Convert);
    const [{ convertCheckpoint }, { displayPath }] = await Promise.all([import('../convert/convert.js'), import('../lib/display-path.js')]);
    const human = !this.jsonEnabled();
    const outcome = await convertCheckpoint({
      checkpoint: args.checkpoint,
      out: flags.out,
      name: flags.name,
      python: flags.python,
      dtype: flags.dtype as 'fp32' | 'fp16',
      externalData: flags['external-data'] as 'auto' | 'always' | 'never',
      onProgress: human ? (m) => process.stderr.write(`xfbench convert: ${m}\n`) : undefined,
    });
    const summary: ConvertSummary = {
      bundle: outcome.bundle.dir,
      name: outcome.bundle.manifest.name,
      seconds: outcome.seconds,
      bytes: outcome.bytes,
      versions: { ...outcome.versions },
    };
    if (human) {
      this.log(
        `bundle ${summary.name} written to ${displayPath(outcome.bundle.dir)} (${(summary.bytes / 2 ** 20).toFixed(1)} MiB, ${summary.seconds} s; transformers ${outcome.versions.transformers}, torch ${outcome.versions.torch})`,
      );
    }
    return summary;
  }
}
