import { Args, Flags } from '@oclif/core';
import { XfCommand } from '../lib/base-command.js';
import type { DeviceRequest } from '../core/bundle/devices.js';
import { deviceFlag, threadsFlag } from './shared-flags.js';

/** What `serve --json` prints once it has stopped (the address is on stderr as soon as it listens). */
export interface ServeSummary {
  url: string;
  model: string;
  provider: string;
  questions: number;
  batches: number;
}

export default class Serve extends XfCommand {
  static override summary = 'Serve a model bundle as an OpenAI-compatible chat-completions endpoint, batching concurrent requests.';
  static override description =
    'POST /v1/chat/completions with one user message holding the question and the image as a base64 data URL; GET /v1/models; GET /health. ' +
    "The user's text is the question, put into the bundle's prompt template as a chat server applies its chat template (--raw-prompt: the text is the whole prompt). " +
    'Requests that arrive together are answered in one batch, through the same code as xfbench run. Binds to 127.0.0.1; another address needs --api-key-env. ' +
    'Runs until SIGINT or SIGTERM.';
  static override examples = [
    '<%= config.bin %> serve fixtures/models/xf-tiny-xformer --port 8000',
    '<%= config.bin %> run gqa --model openai:http://127.0.0.1:8000/v1 --out runs/served   # in another shell',
    'XFBENCH_KEY=... <%= config.bin %> serve bundles/blip2-opt --device cuda --host 0.0.0.0 --api-key-env XFBENCH_KEY',
  ];
  static override enableJsonFlag = true;
  static override args = {
    bundle: Args.string({ description: 'model bundle folder holding xfbench.json (default: the bundled xf-tiny-xformer)' }),
  };
  static override flags = {
    'port': Flags.integer({ description: 'TCP port (0: a free one, printed at start)', default: 8000, min: 0, max: 65535 }),
    'host': Flags.string({ description: 'address to bind; anything but loopback needs --api-key-env', default: '127.0.0.1' }),
    'api-key-env': Flags.string({ description: 'environment variable holding the key clients must send (Authorization: Bearer KEY)' }),
    'device': deviceFlag,
    'threads': threadsFlag,
    'batch-size': Flags.integer({ description: 'questions per LM call, from the requests waiting', default: 16, min: 1, max: 512 }),
    'num-beams': Flags.integer({ description: "beam search with N beams, 1 for greedy (default: the bundle's)", min: 1, max: 64 }),
    'max-new-tokens': Flags.integer({ description: "longest answer when a request names none (default: the bundle's)", min: 1, max: 512 }),
    'raw-prompt': Flags.boolean({
      description: "use the user's text as the whole prompt (for clients that send a protocol's prompt, e.g. run --protocol lavis)",
      default: false,
    }),
  };

  async run(): Promise<ServeSummary> {
    const { args, flags } = await this.parse(Serve);
    const [{ serveBundle }, { XfError }] = await Promise.all([import('../serve/serve-bundle.js'), import('../lib/errors.js')]);
    let apiKey: string | undefined;
    if (flags['api-key-env']) {
      apiKey = process.env[flags['api-key-env']];
      if (!apiKey)
        throw new XfError('E_FLAGS', `--api-key-env ${flags['api-key-env']}: that environment variable is empty or unset`, {
          suggestion: 'Export the key first, or leave --api-key-env out on 127.0.0.1.',
        });
    }
    const serving = await serveBundle({
      model: args.bundle,
      host: flags.host,
      port: flags.port,
      apiKey,
      device: flags.device as DeviceRequest,
      threads: flags.threads,
      batchSize: flags['batch-size'],
      numBeams: flags['num-beams'],
      maxNewTokens: flags['max-new-tokens'],
      rawPrompt: flags['raw-prompt'],
    });
    // one line a script can wait for and read the URL from
    process.stderr.write(`xfbench serve: ${serving.modelName} on ${serving.provider} at ${serving.baseUrl}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await serving.stop();
    const t = serving.queue.timings;
    process.stderr.write(`xfbench serve: stopped after ${t.questions} questions in ${serving.queue.batches} batches\n`);
    return {
      url: serving.baseUrl,
      model: serving.modelName,
      provider: serving.provider,
      questions: t.questions,
      batches: serving.queue.batches,
    };
  }
}
