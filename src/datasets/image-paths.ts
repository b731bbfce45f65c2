import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';

const EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp'];

/**
 * Fills a file-name template such as `COCO_val2014_{id:012}.jpg`: `{id}` is the id as is, `{id:0N}`
 * zero-pads a numeric id to N digits.
 */
export function fillTemplate(template: string, id: string | number): string {
  return template.replace(/\{id(?::0(\d+))?\}/g, (_m, width: string | undefined) =>
    width ? String(id).padStart(Number(width), '0') : String(id),
  );
}

/**
 * Resolves a relative image path under `root`, refusing anything that would leave it: `..`, absolute
 * paths and symlinks pointing outside. A file missing under the given extension is looked for under
 * the other common ones (a mini set may ship PNG where the release has JPEG).
 */
export function resolveInside(root: string, relative: string): string | undefined {
  if (path.isAbsolute(relative) || relative.split(/[\\/]/).includes('..')) return undefined;
  const rootReal = realpathSync(root);
  const candidates = [relative];
  const ext = path.extname(relative);
  if (EXTENSIONS.includes(ext.toLowerCase())) for (const e of EXTENSIONS) candidates.push(relative.slice(0, -ext.length) + e);
  for (const c of candidates) {
    const full = path.join(rootReal, c);
    if (!existsSync(full)) continue;
    const real = realpathSync(full);
    if (real !== rootReal && !real.startsWith(rootReal + path.sep)) return undefined;
    return real;
  }
  return undefined;
}

/**
 * Where a dataset's image should be. Undefined means refuse the dataset: the id is absolute, climbs out
 * with `..`, or names a file that leads outside the folder (a symlink). A file that is simply missing
 * gets its expected path, so that sample alone fails (recorded as an error) and the run goes on.
 */
export function locateImage(root: string, relative: string): string | undefined {
  if (path.isAbsolute(relative) || relative.split(/[\\/]/).includes('..')) return undefined;
  // no images folder at all (scoring another harness's answers needs none): the path it would have
  if (!existsSync(root)) return path.join(root, relative);
  const found = resolveInside(root, relative);
  if (found) return found;
  return existsSync(path.join(root, relative)) ? undefined : path.join(root, relative);
}
