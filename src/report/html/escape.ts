/** Escapes text for HTML element content and attribute values; every dataset string goes through it. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** A number for display; an unbounded interval end (too few images to rule anything out) shows as ±∞. */
export function num(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || Number.isNaN(v)) return 'n/a';
  return Number.isFinite(v) ? v.toFixed(digits) : v > 0 ? '∞' : '−∞';
}
