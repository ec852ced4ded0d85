// Typed errors with the names of evote.errors (docs/spec.md section 1.3): a check never returns
// a boolean, it throws one of these, whose message says what is wrong and where.

export class EvoteError extends Error {
  constructor(message) {
    super(message);
    this.name = this.constructor.name;
  }
}
export class InvalidInput extends EvoteError {}
export class InvalidGroupElement extends InvalidInput {}
export class InvalidScalar extends InvalidInput {}
export class InvalidProof extends EvoteError {}
export class InvalidCredential extends InvalidInput {}
export class InvalidSignature extends EvoteError {}
export class InvalidBallot extends InvalidInput {}
export class ContextMismatch extends EvoteError {}
export class InvalidManifest extends InvalidInput {}
