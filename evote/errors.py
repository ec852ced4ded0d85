"""The exceptions evote raises.

Every error evote raises on bad input or a failed check is an :class:`EvoteError`, and also a
subclass of the builtin exception it resembles, so that callers may catch either. Messages say
what is wrong and where (the field, the question, the trustee, the position on the board).
A check that fails raises; no check in evote returns a boolean to be ignored.
"""

from __future__ import annotations

from collections.abc import Iterable


def not_one_of(value: object, allowed: Iterable[object]) -> str:
    """``'x' is not one of 'a', 'b'``: the words of an enumeration error, allowed values listed."""
    return f"{value!r} is not one of {', '.join(repr(str(item)) for item in allowed)}"


class EvoteError(Exception):
    """Base class of every error evote raises on purpose."""


class InvalidInput(EvoteError, ValueError):
    """An input from outside (a value, a file, an argument) is malformed."""


class InvalidGroupElement(InvalidInput):
    """A value is not the canonical encoding of an element of the election's group."""


class InvalidScalar(InvalidInput):
    """A value is not a canonical scalar in [0, order) of the election's group."""


class InvalidProof(EvoteError, ValueError):
    """A zero-knowledge proof does not verify."""


class InvalidSignature(EvoteError, ValueError):
    """A signature does not verify."""


class InvalidManifest(InvalidInput):
    """An election manifest breaks a rule (duplicate ids, min > max, negative cost, ...)."""


class InvalidBallot(InvalidInput):
    """A ballot (plaintext or encrypted) does not follow the manifest."""


class InvalidCredential(InvalidInput):
    """A voter credential is mistyped, malformed or degenerate."""


class UnknownCredential(EvoteError, LookupError):
    """A ballot is signed by a credential that is not on the election's list."""


class DuplicateBallot(EvoteError, ValueError):
    """A ballot, or a part of one, was already cast."""


class ContextMismatch(EvoteError, ValueError):
    """An object belongs to another election, question, option or phase."""


class ElectionNotOpen(EvoteError, RuntimeError):
    """The operation needs an election in another phase (not open yet, or closed)."""


class CeremonyError(EvoteError, ValueError):
    """A step of the key ceremony failed; the message names the trustee and the fault."""


class InvalidShare(CeremonyError):
    """A trustee's secret share does not match its sender's commitments."""


class InsufficientShares(EvoteError, ValueError):
    """Fewer valid decryption shares than the threshold."""


class TallyOutOfRange(EvoteError, ArithmeticError):
    """A decrypted count is beyond the bound that the election allows."""


class InvalidKeyFile(InvalidInput):
    """A trustee key file is corrupt, tampered with, or opened with a wrong passphrase."""


class InvalidRecord(InvalidInput):
    """The published election record was read and is wrong (a file, hash, format, field...)."""


class UnreadableRecord(InvalidRecord):
    """Nothing of the record could be judged: no such path, permission denied, not a directory
    or an archive, no ``record.json``. Reading again may succeed; it says nothing is forged."""


class UnsafeDependency(EvoteError, RuntimeError):
    """A library evote relies on fails a safety self-test (e.g. a vulnerable libsodium)."""


class StorageUnavailable(EvoteError, OSError):
    """The bulletin board's storage refused a write (disk full, database down)."""


class BoardIntegrityError(EvoteError, RuntimeError):
    """The bulletin board's hash chain or a checkpoint does not verify."""


class BallotNotFound(EvoteError, LookupError):
    """No ballot on the board has this (well-formed) tracking code."""


class UnknownElection(EvoteError, LookupError):
    """The bulletin board holds no election with this id."""


class InvalidResult(EvoteError, ValueError):
    """A published election result does not follow from the decrypted counts."""


class SchemaVersionMismatch(EvoteError, RuntimeError):
    """The board database's schema is not this evote's: older (run ``evote db upgrade``),
    newer (upgrade evote), or made before evote versioned it and not recognised."""
