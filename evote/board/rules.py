"""The board's acceptance rules, pure: one judge for the board and for the verifier.

docs/spec.md section 10.5 (cast) and section 10.3 (life cycle) state the rules; this module is
their only implementation. It reads no database: whoever judges first gathers the facts (what
the board holds about this ballot's hash, its ciphertext marks and its credential, and the
election's head) into a :class:`CastFacts`, then asks :func:`judge_cast`. Three callers:

* the board on SQLite (:mod:`evote.board.store`): one check query under ``BEGIN IMMEDIATE``
  returns the facts, the judge decides, the store inserts or raises the refusal;
* the board on PostgreSQL: one function call on the server returns the same facts, read
  without a lock; the judge decides, and a second call appends under the election's row lock
  only if the head has not moved since (else it returns the facts as they are now, and the
  judge decides again);
* the verifier's step 11.8 (:mod:`evote.verify.facts`): the facts of every ballot entry are
  computed from the entries before it, and every entry must be one the judge accepts.

A verdict is one of three: accept (append the entry), retry (the same ballot is already its
credential's last: the board returns that entry, appends nothing), or a refusal, the typed
error the board raises (:class:`~evote.errors.ElectionNotOpen`,
:class:`~evote.errors.DuplicateBallot`). The rules apply in this order, as the board applies
them: same ballot hash (retry or replay); phase; two ciphertexts of the ballot with one mark;
a mark already on the board; the revote policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from evote.board.chain import EntryKind
from evote.errors import DuplicateBallot, ElectionNotOpen

#: For each kind, the kinds the head may have before it: the life cycle of docs/spec.md 10.3.
ALLOWED_AFTER: Final[dict[EntryKind, frozenset[EntryKind]]] = {
    EntryKind.OPEN: frozenset({EntryKind.SETUP}),
    EntryKind.BALLOT: frozenset({EntryKind.OPEN, EntryKind.BALLOT, EntryKind.SPOILED}),
    EntryKind.SPOILED: frozenset({EntryKind.OPEN, EntryKind.BALLOT, EntryKind.SPOILED}),
    EntryKind.CLOSE: frozenset({EntryKind.OPEN, EntryKind.BALLOT, EntryKind.SPOILED}),
    EntryKind.TALLY: frozenset({EntryKind.CLOSE, EntryKind.TALLY}),
    EntryKind.RESULT: frozenset({EntryKind.TALLY}),
}
#: The head kinds of an open election: a ballot may follow them.
OPEN_KINDS: Final = ALLOWED_AFTER[EntryKind.BALLOT]
_CLOSED_KINDS: Final = frozenset({EntryKind.CLOSE, EntryKind.TALLY, EntryKind.RESULT})


@dataclass(frozen=True, slots=True)
class SameBallot:
    """The entry already on the board with the cast ballot's hash.

    ``last_of_credential`` is the position of the last ``ballot`` entry of that entry's
    credential (``None`` for a spoiled entry, which has no credential on the board).
    """

    position: int
    kind: EntryKind
    has_credential: bool
    last_of_credential: int | None


@dataclass(frozen=True, slots=True)
class CastFacts:
    """What the board knows, under the election's lock, about one cast (ballot or spoiled).

    ``head_position``/``head_kind``: the election's last entry. ``same``: the entry with this
    ballot's hash, if any. ``repeated_mark``: two ciphertexts of this ballot have one mark (a
    reused nonce). ``clash_position``/``clash_kind``: the first entry holding one of this
    ballot's marks, if any. ``last``: the position of this credential's last ``ballot`` entry
    (``None`` for a spoiled ballot, or a credential that has not voted).
    """

    election_id: str
    kind: EntryKind
    tracking_code: str
    one_ballot_per_credential: bool
    head_position: int
    head_kind: EntryKind
    same: SameBallot | None = None
    repeated_mark: bool = False
    clash_position: int | None = None
    clash_kind: EntryKind | None = None
    last: int | None = None


Refusal = DuplicateBallot | ElectionNotOpen


@dataclass(frozen=True, slots=True)
class Verdict:
    """The judge's decision: accept, retry of the entry at ``retry_of``, or ``refusal``."""

    refusal: Refusal | None = None
    retry_of: int | None = None

    @property
    def accepted(self) -> bool:
        """True when the entry is to be appended."""
        return self.refusal is None and self.retry_of is None


ACCEPT: Final = Verdict()


def phase_refusal(
    election_id: str, head_position: int, head_kind: EntryKind, kind: EntryKind
) -> ElectionNotOpen | None:
    """The refusal of a ``kind`` entry after a ``head_kind`` head (life cycle), or ``None``."""
    if head_kind in ALLOWED_AFTER[kind]:
        return None
    if head_kind is EntryKind.SETUP:
        state = "not open yet"
    elif head_kind in _CLOSED_KINDS:
        state = f"closed (last event: {head_kind.value})"
    elif head_kind in OPEN_KINDS:
        state = "open"
    else:
        state = f"after its {head_kind.value} event"
    return ElectionNotOpen(
        f"election {election_id!r} is {state}: a {kind.value} entry cannot follow "
        f"position {head_position}"
    )


def repeated_mark_refusal(code: str) -> DuplicateBallot:
    """Two ciphertexts of one ballot with one alpha: a reused nonce (docs/spec.md 6.7)."""
    return DuplicateBallot(
        f"ballot {code}: two of its ciphertexts have the same alpha (a reused nonce)"
    )


def judge_cast(facts: CastFacts) -> Verdict:
    """Accept, retry or refuse the cast that ``facts`` describe (docs/spec.md 10.5, step 2)."""
    if facts.same is not None:
        return _judge_same(facts, facts.same)
    refusal: Refusal | None = phase_refusal(
        facts.election_id, facts.head_position, facts.head_kind, facts.kind
    )
    if refusal is None and facts.repeated_mark:
        refusal = repeated_mark_refusal(facts.tracking_code)
    if refusal is None and facts.clash_position is not None:
        refusal = _reused_alpha(facts, facts.clash_position)
    if (
        refusal is None
        and facts.kind is EntryKind.BALLOT
        and facts.one_ballot_per_credential
        and facts.last is not None
    ):
        refusal = DuplicateBallot(
            f"ballot {facts.tracking_code}: this credential already voted at "
            f"position {facts.last} and the election allows one ballot per credential"
        )
    return ACCEPT if refusal is None else Verdict(refusal=refusal)


def _judge_same(facts: CastFacts, same: SameBallot) -> Verdict:
    """A retried cast is accepted only while the ballot is its credential's last ballot."""
    where = f"ballot {facts.tracking_code} of election {facts.election_id!r}"
    if same.kind is EntryKind.SPOILED or facts.kind is EntryKind.SPOILED:
        return Verdict(
            refusal=DuplicateBallot(
                f"{where}: already on the board at position {same.position} as "
                f"{same.kind.value}; a spoiled ballot can never be cast"
            )
        )
    if not same.has_credential:
        return Verdict(
            refusal=DuplicateBallot(f"{where}: already on the board at {same.position}")
        )
    if same.last_of_credential != same.position:
        return Verdict(
            refusal=DuplicateBallot(
                f"{where}: replay of the ballot at position {same.position}, superseded by "
                f"the credential's ballot at position {same.last_of_credential}"
            )
        )
    return Verdict(retry_of=same.position)


def _reused_alpha(facts: CastFacts, clash: int) -> DuplicateBallot:
    """No ciphertext may have the alpha (the mark) of a ciphertext already on the board."""
    spoiled = facts.clash_kind is EntryKind.SPOILED
    why = (
        "no part of a spoiled (audited) ballot can ever be cast: its nonces are public"
        if spoiled or facts.kind is EntryKind.SPOILED
        else "two ballots never share a ciphertext's alpha (a copy, or reused nonces)"
    )
    held_by = "spoiled" if spoiled else "cast"
    return DuplicateBallot(
        f"ballot {facts.tracking_code}: a ciphertext of it has the alpha of one of the "
        f"{held_by} ballot at position {clash}; {why}"
    )
