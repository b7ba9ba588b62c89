/**
 * Errors of the judge core. They extend the project base (`AepError`), so callers branch on the class.
 */
import { AepError } from '../errors.ts';

/** What a judge input problem is about: the row (0-based position among the judged rows) and/or the item. */
export interface JudgeInputContext {
  /** 0-based position of the row among the rows being judged, when the problem is row-specific. */
  row?: number;
  /** The placeholder, role or setting the problem is about. */
  item?: string;
}

/**
 * Thrown when a judge input cannot be turned into a request the way the official pipeline would: a template with a
 * missing or repeated placeholder, a prompt that is not ChatML, or a role line the official converter rejects.
 */
export class JudgeInputError extends AepError {
  override readonly name: string = 'JudgeInputError';
  readonly context: JudgeInputContext;
  constructor(problem: string, context: JudgeInputContext = {}, options?: ErrorOptions) {
    const where = context.row !== undefined ? `row ${context.row}: ` : '';
    super(`${where}${problem}`, options);
    this.context = context;
  }
}
