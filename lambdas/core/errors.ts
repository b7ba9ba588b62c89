/**
 * The project's error hierarchy. Every error sets `name`, accepts `{ cause }`, and carries the context a user
 * needs to fix the problem. Code branches on the class, never on message text.
 */

export class AepError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Where in an input file something is wrong: the file, the 1-based row (record) and the field. */
export interface InputLocation {
  file: string;
  row?: number;
  field?: string;
}

/** Thrown when an input file (annotations, model outputs, CSV asset) is malformed. */
export class InputError extends AepError {
  readonly location: InputLocation;
  constructor(location: InputLocation, problem: string, options?: ErrorOptions) {
    const where = [location.file, location.row !== undefined ? `row ${location.row}` : undefined,
      location.field !== undefined ? `field "${location.field}"` : undefined].filter(Boolean).join(', ');
    super(`${where}: ${problem}`, options);
    this.location = location;
  }
}

/** Thrown when a benchmark asset cannot be obtained or does not match its pinned hash. */
export class AssetError extends AepError {}

/** Thrown when a command is called with options that cannot work together. */
export class UsageError extends AepError {}
