/**
 * The project's error hierarchy. Every error accepts `{ cause }` and carries the context a user needs to fix the
 * problem. Code branches on the class, never on message text.
 *
 * Every class spells its `name` out as a string literal (`override readonly name: string = '<ClassName>'`): the
 * state machine's Retry/Catch clauses and Lambda's `errorType` match on that string, and a class name taken at run
 * time (`new.target.name`) does not survive minification. `test/infra/error-names.test.ts` checks every class.
 */

export class AepError extends Error {
  override readonly name: string = 'AepError';
}

/** Where in an input file something is wrong: the file, the 1-based row (record) and the field. */
export interface InputLocation {
  file: string;
  row?: number;
  field?: string;
}

/** Thrown when an input file (annotations, model outputs, CSV asset) is malformed. */
export class InputError extends AepError {
  override readonly name: string = 'InputError';
  readonly location: InputLocation;
  constructor(location: InputLocation, problem: string, options?: ErrorOptions) {
    const where = [location.file, location.row !== undefined ? `row ${location.row}` : undefined,
      location.field !== undefined ? `field "${location.field}"` : undefined].filter(Boolean).join(', ');
    super(`${where}: ${problem}`, options);
    this.location = location;
  }
}

/** Thrown when a benchmark asset cannot be obtained or does not match its pinned hash. */
export class AssetError extends AepError {
  override readonly name: string = 'AssetError';
}

/** Thrown when a command is called with options that cannot work together. */
export class UsageError extends AepError {
  override readonly name: string = 'UsageError';
}
