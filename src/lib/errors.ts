/** The one error type users see: a code, the file and field at fault, and what to do about it. */
export interface XfErrorDetails {
  file?: string;
  field?: string;
  suggestion?: string;
}

export class XfError extends Error {
  readonly code: string;
  readonly file?: string;
  readonly field?: string;
  readonly suggestion?: string;

  constructor(code: string, message: string, details: XfErrorDetails = {}) {
    super(message);
    this.name = 'XfError';
    this.code = code;
    this.file = details.file;
    this.field = details.field;
    this.suggestion = details.suggestion;
  }

  /** One line for the terminal: `E_CODE file (field): message. suggestion` */
  oneLine(): string {
    const where = [this.file, this.field ? `(${this.field})` : undefined].filter(Boolean).join(' ');
    // messages are written without a closing period; the line adds one before the suggestion
    const hint = this.suggestion ? `${/[.!?]$/.test(this.message) ? '' : '.'} ${this.suggestion}` : '';
    return `${this.code}${where ? ` ${where}` : ''}: ${this.message}${hint}`.replace(/\s*\n\s*/g, ' ');
  }
}

/** Exit statuses of the CLI. */
/** Exit statuses; `interrupted` is the shell's 128 + SIGINT, for a run stopped by a signal with its work kept. */
export const EXIT = { ok: 0, failure: 1, badInput: 2, gateFailed: 3, interrupted: 130 } as const;
