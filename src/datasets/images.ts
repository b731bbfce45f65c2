import { readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { XfError } from '../lib/errors.js';
import { locateImage } from './image-paths.js';

const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.bmp'];

/**
 * Maps image ids to files inside one images folder. Ids are resolved against a listing of the folder
 * (read once), so an id such as `../x` or an absolute path can never reach a file outside it.
 */
export class ImageFolder {
  private constructor(
    readonly dir: string,
    private readonly byStem: Map<string, string>,
  ) {}

  /** Resolved ids: GQA asks ~30 questions per image, and resolving touches the file system. */
  private readonly resolved = new Map<string, string | undefined>();

  static async open(dir: string, datasetFile: string, opts: { optional?: boolean } = {}): Promise<ImageFolder> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      if (opts.optional) return new ImageFolder(dir, new Map());
      throw new XfError('E_IMAGES_DIR', 'images folder not found', {
        file: dir,
        suggestion: `Expected the images beside ${path.basename(datasetFile)}.`,
      });
    }
    const byStem = new Map<string, string>();
    for (const name of names.sort()) {
      const ext = path.extname(name).toLowerCase();
      if (!IMAGE_EXTENSIONS.includes(ext)) continue;
      const stem = name.slice(0, -ext.length);
      if (!byStem.has(stem)) byStem.set(stem, name);
    }
    return new ImageFolder(await realpath(dir), byStem);
  }

  /**
   * The file for an id; for an id with no file, the path it would have (its sample then fails alone);
   * undefined for an id that is a path, or whose file leads out of the folder (a symlink).
   */
  find(imageId: string): string | undefined {
    if (this.resolved.has(imageId)) return this.resolved.get(imageId);
    const found =
      imageId.includes('/') || imageId.includes('\\') || imageId === '..' || imageId === '.'
        ? undefined
        : locateImage(this.dir, this.byStem.get(imageId) ?? `${imageId}.jpg`);
    this.resolved.set(imageId, found);
    return found;
  }
}
