import path from 'node:path';
import { XfCommand } from '../lib/base-command.js';
import type { Diagnosis } from '../core/doctor.js';

export default class Doctor extends XfCommand {
  static override summary =
    'Check this machine: Node and onnxruntime versions, execution providers and why one is unavailable, the CUDA chain link by link, threads.';
  static override examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --json'];
  static override enableJsonFlag = true;

  async run(): Promise<Diagnosis> {
    await this.parse(Doctor);
    const [{ diagnose }, { loadBundle }, { packageRoot }, { DEFAULT_BUNDLE_DIR }] = await Promise.all([
      import('../core/doctor.js'),
      import('../core/bundle/manifest.js'),
      import('../lib/package-root.js'),
      import('../pipeline/settings.js'),
    ]);
    // a real graph is opened on each provider: the bundled model's first encoder, which is small
    const bundle = await loadBundle(path.join(packageRoot(), DEFAULT_BUNDLE_DIR), { verifyHashes: false });
    const d = await diagnose(bundle.file(bundle.manifest.encoders[0]!.graph));
    if (!this.jsonEnabled()) {
      this.log(`node ${d.node} on ${d.platform}; ${d.cpus.count} cpus (${d.cpus.model ?? 'unknown'}); ${d.memoryGb} GiB`);
      this.log(`onnxruntime-node ${d.onnxruntime}; --device auto uses ${d.deviceAuto}`);
      for (const p of d.providers)
        this.log(
          `  ${p.usable ? '✓' : '✗'} ${p.name.padEnd(9)} ${p.bundled ? 'bundled' : 'not bundled'}${p.reason ? `: ${p.reason}` : ''}`,
        );
      if (d.cudaChain.length > 0) {
        this.log('CUDA, link by link (what --device cuda needs):');
        for (const link of d.cudaChain) this.log(`  ${link.ok ? '✓' : '✗'} ${link.name}: ${link.detail}`);
      }
      this.log(
        `threads (without --threads): ${d.threads.intraOp} intra-op, ${d.threads.imageWorkers} image worker(s), on ${d.threads.logicalCpus} logical cpus`,
      );
    }
    return d;
  }
}
