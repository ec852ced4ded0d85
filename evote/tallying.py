"""The tally of a closed election on a board, as one call (docs/spec.md sections 9 and 10.3).

The steps the ``evote`` command line spreads over ``evote tally``, ``evote trustee decrypt``
and ``evote tally combine``, for a program that holds the board:

* the officer's first part, :func:`encrypted_tally`: the election of a closed board and the
  product of its counted ballots (spec 9.1, the counted ballots of 10.6);
* the trustee's part, :func:`trustee_decryption_share`: its factors with their proofs
  (spec 9.2), computed where the trustee's secret share is;
* the officer's last part, :func:`combine_and_publish`: check the shares, combine any t valid
  ones (spec 9.3; a bad share is left out, naming its trustee, the others carry on), solve the
  counts (9.4), compute and check the result (9.5), and put the TALLY and the RESULT events on
  the board (10.3);
* :func:`publish_tally` and :func:`publish_result`: the two board events alone (their bodies,
  which the record reads back, are :mod:`evote.record.publish`'s);
* :func:`run_tally`: all of it, for shares at hand (computed elsewhere, or secret shares of
  trustees in this process, for tests and demos).

An election with graded or ranked questions (counted by the mixnet, spec 14) needs the mix
chain before the trustees decrypt: :func:`board_mix_input` gives its input, the trustees mix
in turn (:func:`evote.tally.mixnet.compute_mix`, or :func:`run_mixes` in one process),
:func:`trustee_decryption_share` then also decrypts the last mix's outputs, and
:func:`combine_and_publish` / :func:`run_tally` take the ``mixes``, publish them in the TALLY
event and count each question by its rule.

Run again after a stop, :func:`run_tally` finishes what is left, as ``evote tally combine``
does: a board whose head is the TALLY event gets the RESULT from its own published shares; a
board that holds the result already returns it, writing nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from evote import jsonstrict
from evote.board.board import Board
from evote.board.chain import BoardEntry, EntryKind
from evote.board.store import Head
from evote.ceremony.dkg import CeremonyResult, TrusteeShare, check_ceremony_result
from evote.ceremony.wire import ceremony_result_from_json
from evote.crypto.proofs import ProofContext
from evote.election import Election
from evote.errors import (
    BoardIntegrityError,
    ContextMismatch,
    ElectionNotOpen,
    InsufficientShares,
    InvalidInput,
    InvalidProof,
)
from evote.record.publish import (
    PublishedTally,
    published_tally_from_json_obj,
    published_tally_to_json_obj,
    result_from_json_obj,
    result_to_json_obj,
)
from evote.tally.aggregate import EncryptedTally, aggregate
from evote.tally.decryption import (
    CombinedTally,
    DecryptionShare,
    Rejection,
    check_decryption_share,
    compute_decryption_share,
)
from evote.tally.mixnet import (
    Mix,
    MixInput,
    check_mix_chain,
    check_mixed_share,
    combine_mixed_shares,
    compute_mix,
    compute_mixed_share,
    mix_input,
    mixnet_questions,
    required_mixes,
)
from evote.tally.result import (
    ElectionResult,
    check_result,
    compute_result,
    decrypt_counts,
    turnout_of,
)

__all__ = [
    "board_ceremony",
    "board_mix_input",
    "combine_and_publish",
    "combine_and_publish_combined",
    "decryption_share_of",
    "encrypted_tally",
    "publish_result",
    "publish_result_of_board_tally",
    "publish_tally",
    "published_result",
    "run_mixes",
    "run_tally",
    "trustee_decryption_share",
]

_Item = TypeVar("_Item")


def _require_closed(head: Head) -> None:
    if head.kind is EntryKind.SETUP:
        raise ElectionNotOpen(
            f"election {head.election_id!r} was never opened: open it, let the voters vote,"
            " close it, then tally"
        )
    if head.is_open:
        raise ElectionNotOpen(f"election {head.election_id!r} is still open: close it first")


def encrypted_tally(
    board: Board, election_id: str, progress: Callable[[int], None] | None = None
) -> tuple[Election, EncryptedTally]:
    """The election and the encrypted tally of its counted ballots (spec 9.1, 10.6).

    ``progress``, if given, is called with 1 for each counted ballot multiplied in (a
    progress bar at city scale). Raises ElectionNotOpen unless the election is closed (or
    tallied: the tally of a board is the same after its TALLY event), UnknownElection for an id
    the board does not hold.
    """
    _require_closed(board.head(election_id))
    election = board.load_election(election_id)
    ballots = board.counted_ballots(election_id)
    if progress is not None:
        ballots = _counting(ballots, progress)
    return election, aggregate(election, ballots)


def _counting(items: Iterator[_Item], progress: Callable[[int], None]) -> Iterator[_Item]:
    for item in items:
        yield item
        progress(1)


def board_ceremony(board: Board, election: Election) -> CeremonyResult:
    """The key ceremony's result that the board's setup entry publishes (spec 10.3), checked.

    Raises CeremonyError if it does not check, ContextMismatch if it is not the ceremony the
    election's fingerprint binds.
    """
    trustees = board.setup_record(election.election_id).trustees
    where = f"election {election.election_id!r}: the setup entry's ceremony result"
    ceremony = ceremony_result_from_json(jsonstrict.dumps(trustees), where)
    check_ceremony_result(ceremony)
    if ceremony.transcript_hash != election.ceremony_digest:
        raise ContextMismatch(f"{where}: not the ceremony the election's fingerprint binds")
    return ceremony


def trustee_decryption_share(
    election: Election,
    tally: EncryptedTally,
    trustee: TrusteeShare,
    *,
    ceremony: CeremonyResult | None = None,
    source: MixInput | None = None,
    mixes: Sequence[Mix] = (),
) -> DecryptionShare:
    """The trustee's part: its factor and Chaum–Pedersen proof per tally column (spec 9.2).

    For an election with a question counted by the mixnet, also its decryption of the last
    mix's outputs (spec 14.4): ``ceremony``, the mix input ``source`` (:func:`board_mix_input`)
    and the ``mixes`` are then required, and the chain is checked first (a trustee decrypts
    only what a complete, valid chain produced: :func:`evote.tally.mixnet.check_mix_chain`).
    ``source`` must be recomputed from the board by the trustee's own program
    (:func:`board_mix_input`), never taken from a file it is handed: the chain is checked
    against it, and a chain built on a forged input (copies of one voter's answer) would be
    valid on that input and its decryption would reveal that vote.
    Raises InvalidInput if the share is of another group or does not match its verification
    key, or the mix arguments are missing; the chain's errors otherwise.
    """
    if tally.group is not election.group:
        raise InvalidInput(
            f"election {election.election_id!r}: the tally is on {tally.group.name}, the"
            f" election on {election.group.name}"
        )
    share = decryption_share_of(election.fingerprint, tally, trustee)
    if not mixnet_questions(election.manifest):
        return share
    if ceremony is None or source is None:
        raise InvalidInput(
            f"election {election.election_id!r} has questions counted by the mixnet: the"
            " trustee's share needs the ceremony, the mix input and the mixes"
        )
    check_mix_chain(election, ceremony, source, mixes)
    return replace(share, mixed=compute_mixed_share(election, trustee, source, mixes))


def _share_on_checked_chain(
    election: Election,
    tally: EncryptedTally,
    trustee: TrusteeShare,
    source: MixInput | None,
    mixes: Sequence[Mix],
) -> DecryptionShare:
    """:func:`trustee_decryption_share` on a chain this process has just checked."""
    if tally.group is not election.group:
        raise InvalidInput(f"election {election.election_id!r}: the tally is of another group")
    share = decryption_share_of(election.fingerprint, tally, trustee)
    if source is None:
        return share
    return replace(share, mixed=compute_mixed_share(election, trustee, source, mixes))


def board_mix_input(board: Board, election: Election) -> MixInput:
    """The mix input (spec 14.1): the counted ballots' answers to the mixnet questions, in
    board order (the last ballot of each credential, spec 10.6)."""
    return mix_input(
        election, (ballot for ballot, _ in board.counted_ballots(election.election_id))
    )


def run_mixes(
    election: Election,
    ceremony: CeremonyResult,
    source: MixInput,
    trustees: Sequence[TrusteeShare],
) -> tuple[Mix, ...]:
    """The mix chain (spec 14.2) by the first max(2, t) distinct trustees of ``trustees``
    (1 when n = 1); none when no ballot was counted. InsufficientShares with fewer trustees."""
    if source.size == 0:
        return ()
    distinct: dict[int, TrusteeShare] = {}
    for trustee in trustees:
        distinct.setdefault(trustee.index, trustee)
    needed = required_mixes(ceremony)
    if len(distinct) < needed:
        raise InsufficientShares(
            f"election {election.election_id!r}: {len(distinct)} trustees present to mix, the"
            f" chain needs {needed} distinct trustees (max(2, t), spec 14.3)"
        )
    mixes: list[Mix] = []
    for trustee in list(distinct.values())[:needed]:
        mixes.append(compute_mix(election, ceremony, trustee, source, mixes))
    return tuple(mixes)


def decryption_share_of(
    fingerprint: bytes, tally: EncryptedTally, trustee: TrusteeShare
) -> DecryptionShare:
    """:func:`trustee_decryption_share` for a trustee who holds the tally and the election's
    fingerprint only (not the election): its proofs are bound to the fingerprint (spec 9.2)."""
    return compute_decryption_share(
        tally.group,
        trustee.share,
        trustee.index,
        trustee.verification_key,
        tally,
        ProofContext(fingerprint, ()),
    )


def _mixed_valid(
    election: Election,
    ceremony: CeremonyResult,
    source: MixInput,
    mixes: Sequence[Mix],
    shares: Sequence[DecryptionShare],
) -> tuple[list[DecryptionShare], list[Rejection]]:
    """The shares whose mixed part checks (spec 14.4), and the others with the reason."""
    keys = ceremony.verification_key_map()
    kept: list[DecryptionShare] = []
    rejected: list[Rejection] = []
    for share in shares:
        key = keys.get(share.trustee)
        if key is None:
            kept.append(share)  # refused by the combination, naming the unknown trustee
            continue
        if share.mixed is None or share.mixed.trustee != share.trustee:
            rejected.append(
                Rejection(share.trustee, f"trustee {share.trustee}: no mixed decryption")
            )
            continue
        try:
            check_mixed_share(election, share.mixed, key, source, mixes)
        except InvalidProof as fault:
            rejected.append(Rejection(share.trustee, str(fault)))
            continue
        kept.append(share)
    return kept, rejected


def tally_result(
    election: Election,
    ceremony: CeremonyResult,
    tally: EncryptedTally,
    shares: Sequence[DecryptionShare],
    source: MixInput | None = None,
    mixes: Sequence[Mix] | None = None,
    *,
    chain_checked: bool = False,
) -> tuple[ElectionResult, CombinedTally]:
    """Combine the shares, solve the counts and compute the checked result (spec 9.3 to 9.5).

    For an election with questions counted by the mixnet, ``source`` and ``mixes`` are
    required: the chain is checked, a share counts only if its mixed part checks too, and the
    mixed answers are decrypted by the same combined trustees and counted (spec 14).
    Writes nothing: the recipes here and ``evote tally combine`` publish what it returns.
    Raises InsufficientShares, TallyOutOfRange, InvalidResult.
    """
    mixnet = mixnet_questions(election.manifest)
    mixed_rejected: list[Rejection] = []
    if mixnet:
        if source is None or mixes is None:
            raise InvalidInput(
                f"election {election.election_id!r} has questions counted by the mixnet: the"
                " tally needs the mix input and the mixes"
            )
        if not chain_checked:
            check_mix_chain(election, ceremony, source, mixes)
        shares, mixed_rejected = _mixed_valid(election, ceremony, source, mixes, shares)
    return _count(election, ceremony, tally, shares, source, mixes, mixed_rejected)


def _count(
    election: Election,
    ceremony: CeremonyResult,
    tally: EncryptedTally,
    shares: Sequence[DecryptionShare],
    source: MixInput | None,
    mixes: Sequence[Mix] | None,
    mixed_rejected: Sequence[Rejection],
) -> tuple[ElectionResult, CombinedTally]:
    """:func:`tally_result` once the chain and the shares' mixed parts were checked (the shares
    given are those whose mixed part holds; ``mixed_rejected`` the others)."""
    mixnet = mixnet_questions(election.manifest)
    counts, combined = decrypt_counts(
        election.manifest,
        tally,
        shares,
        ceremony.threshold,
        ceremony.verification_key_map(),
        election.proof_context(),
    )
    answers = None
    if mixnet and source is not None and mixes is not None:
        combined = replace(combined, rejected=(*mixed_rejected, *combined.rejected))
        chosen = [s.mixed for s in shares if s.trustee in combined.trustees and s.mixed]
        maxima = {q: election.manifest.questions[q].option_maximum for q in mixnet}
        decrypted = combine_mixed_shares(
            election, ceremony, source, mixes, chosen, maxima, checked=True
        )
        answers = dict(zip(decrypted.questions, decrypted.answers, strict=True))
    turnout = turnout_of(tally)
    result = compute_result(election.manifest, counts, turnout, answers)
    check_result(election.manifest, counts, turnout, result, answers)
    return result, combined


# -- the board-writing acts of the tally (their bodies: evote.record.publish) --------------


def publish_tally(
    board: Board,
    election: Election,
    ceremony_result: CeremonyResult,
    tally: EncryptedTally,
    shares: Sequence[DecryptionShare],
    combined: CombinedTally,
    mixes: Sequence[Mix] | None = None,
    *,
    checked_on: MixInput | None = None,
) -> BoardEntry:
    """Append the TALLY event: the encrypted tally, every share, and who was combined; for an
    election with questions counted by the mixnet, the ``mixes`` too (spec 14.6), required:
    the chain and every share's mixed part are checked on the board's mix input first, unless
    ``checked_on`` is that input, on which the caller has just checked the chain and the mixed
    part of every share it gives.

    ``combined`` is what :func:`evote.tally.combine_shares` (or ``decrypt_counts``) returned
    for these shares. Before anything is written, each combined trustee's share is checked
    against its verification key from ``ceremony_result`` (a tallier never publishes a
    combination that the verifier would refuse); a bad one raises InvalidProof and the board
    is left as it was.
    """
    source = checked_on
    if mixnet_questions(election.manifest):
        if mixes is None:
            raise InvalidInput("publish_tally: the election's mixnet questions need the mixes")
        if source is None:
            source = board_mix_input(board, election)
            check_mix_chain(election, ceremony_result, source, mixes)
    elif mixes is not None:
        raise InvalidInput("publish_tally: mixes given for an election without a mixnet question")
    return _publish_tally(
        board,
        election,
        ceremony_result,
        tally,
        shares,
        combined,
        source,
        mixes,
        mixed_checked=checked_on is not None,
    )


def _publish_tally(
    board: Board,
    election: Election,
    ceremony_result: CeremonyResult,
    tally: EncryptedTally,
    shares: Sequence[DecryptionShare],
    combined: CombinedTally,
    source: MixInput | None,
    mixes: Sequence[Mix] | None,
    *,
    mixed_checked: bool,
) -> BoardEntry:
    """:func:`publish_tally` with the mix input given and the chain already checked (and, if
    ``mixed_checked``, the mixed part of every share)."""
    if tally.group is not election.group or ceremony_result.group is not election.group:
        raise ContextMismatch("publish_tally: the tally or the ceremony is of another group")
    context = election.proof_context()
    keys = ceremony_result.verification_key_map()
    # The record's shares are those the combination accepted (the first valid one of each
    # trustee, spec.md section 9.3); the rejected ones are left out and listed with their reason
    # (record-format.md), so that the verifier's step 11.11 holds every published share.
    accepted: dict[int, DecryptionShare] = {}
    rejected: dict[int, InvalidProof] = {}
    for share in shares:
        key = keys.get(share.trustee)
        if key is None or share.trustee in accepted:
            continue
        try:
            check_decryption_share(election.group, share, key, tally, context)
            if source is not None and mixes is not None and not mixed_checked:
                if share.mixed is None:
                    raise InvalidProof(f"trustee {share.trustee}: no mixed decryption")
                check_mixed_share(election, share.mixed, key, source, mixes)
        except InvalidProof as fault:
            rejected[share.trustee] = fault
            continue
        accepted[share.trustee] = share
    for trustee in combined.trustees:
        if trustee in accepted:
            continue
        if trustee in rejected:
            raise rejected[trustee]
        raise InvalidInput(f"publish_tally: trustee {trustee} was combined but has no share")
    kept = tuple(share for share in shares if accepted.get(share.trustee) is share)
    published = PublishedTally(
        tally,
        kept,
        combined.trustees,
        combined.rejected,
        None if mixes is None else tuple(mixes),
    )
    body = published_tally_to_json_obj(election, published)
    return board.publish_tally(election.election_id, body)


def publish_result(board: Board, election: Election, result: ElectionResult) -> BoardEntry:
    """Append the RESULT event (after the TALLY event; nothing may follow it)."""
    if result.election_id != election.election_id:
        raise ContextMismatch(
            f"publish_result: result of {result.election_id!r}, election {election.election_id!r}"
        )
    return board.publish_result(election.election_id, result_to_json_obj(result))


def _publish(
    board: Board,
    election: Election,
    tally: EncryptedTally,
    shares: Sequence[DecryptionShare],
    mixes: Sequence[Mix] | None = None,
    checked: tuple[CeremonyResult, MixInput | None] | None = None,
) -> tuple[ElectionResult, CombinedTally]:
    """Tally and publish; ``checked``: the ceremony and mix input on which this process has
    just checked the chain (it is not checked again)."""
    if checked is None:
        ceremony = board_ceremony(board, election)
        source = board_mix_input(board, election) if mixnet_questions(election.manifest) else None
    else:
        ceremony, source = checked
    mixed_rejected: list[Rejection] = []
    if source is not None:
        if mixes is None:
            raise InvalidInput(
                f"election {election.election_id!r} has questions counted by the mixnet: the"
                " tally needs the mixes"
            )
        if checked is None:
            check_mix_chain(election, ceremony, source, mixes)
        shares, mixed_rejected = _mixed_valid(election, ceremony, source, mixes, shares)
    result, combined = _count(election, ceremony, tally, shares, source, mixes, mixed_rejected)
    # The chain and every share's mixed part were checked here on the board's mix input: the
    # publication does not check them again (a proof per mixed ciphertext and trustee).
    publish_tally(board, election, ceremony, tally, shares, combined, mixes, checked_on=source)
    publish_result(board, election, result)
    return result, combined


def combine_and_publish(
    board: Board,
    election_id: str,
    tally: EncryptedTally,
    shares: Sequence[DecryptionShare],
    mixes: Sequence[Mix] | None = None,
) -> ElectionResult:
    """The officer's last part (see :func:`combine_and_publish_combined`): the result."""
    result, _ = combine_and_publish_combined(board, election_id, tally, shares, mixes=mixes)
    return result


def combine_and_publish_combined(
    board: Board,
    election_id: str,
    tally: EncryptedTally,
    shares: Sequence[DecryptionShare],
    progress: Callable[[int], None] | None = None,
    mixes: Sequence[Mix] | None = None,
) -> tuple[ElectionResult, CombinedTally]:
    """The officer's last part: combine the shares, publish the tally and the result (spec 9.3
    to 9.5, 10.3); return the result.

    For an election with questions counted by the mixnet, ``mixes`` is the checked mix chain
    on the board's mix input (spec 14) and every share carries its mixed decryption.

    Also returns which shares were combined and which left out, and why (to report them).
    ``tally`` is the one :func:`encrypted_tally` gave the trustees; it must still be the tally
    of the board's counted ballots (ContextMismatch otherwise). A share with a bad proof, of an
    unknown trustee or of a trustee already counted is left out (listed in the published
    tally); fewer than the threshold of valid shares raise InsufficientShares and nothing is
    written. A count beyond its bound raises TallyOutOfRange. ElectionNotOpen unless the board's
    head is the CLOSE event (see :func:`run_tally` to finish a tally that stopped halfway).
    """
    head = board.head(election_id)
    _require_closed(head)
    if head.kind is not EntryKind.CLOSE:
        raise ElectionNotOpen(
            f"election {election_id!r}: the tally is on the board already; run_tally finishes it"
        )
    election, recomputed = encrypted_tally(board, election_id, progress)
    if recomputed != tally:
        raise ContextMismatch(
            f"election {election_id!r}: not the tally of the counted ballots on the board;"
            " compute it again and have the trustees decrypt the new one"
        )
    return _publish(board, election, tally, shares, mixes)


def event_body(board: Board, election_id: str, position: int) -> Any:
    """The body of the life-cycle event at ``position`` (spec 10.3); BoardIntegrityError if the
    entry holds no event payload."""
    where = f"election {election_id!r}: board entry {position}"
    value = jsonstrict.loads(board.entry_at(election_id, position).payload, where)
    if not isinstance(value, dict) or "body" not in value:
        raise BoardIntegrityError(f"{where}: not a life-cycle event payload")
    return value["body"]


def _decryption_share(
    election: Election,
    tally: EncryptedTally,
    share: object,
    ceremony: CeremonyResult | None,
    source: MixInput | None,
    mixes: Sequence[Mix],
) -> DecryptionShare:
    if isinstance(share, DecryptionShare):
        return share
    if isinstance(share, TrusteeShare):
        if ceremony is None:
            return trustee_decryption_share(election, tally, share)
        # run_tally has checked the chain once for every trustee present.
        return _share_on_checked_chain(election, tally, share, source, mixes)
    raise InvalidInput(
        f"run_tally: expected a DecryptionShare or a TrusteeShare, got {type(share).__name__}"
    )


def run_tally(
    board: Board,
    election_id: str,
    shares: Iterable[DecryptionShare | TrusteeShare],
    mixes: Sequence[Mix] | None = None,
) -> ElectionResult:
    """Tally a closed election on ``board`` and publish it; return the result (spec 9, 10.3).

    ``shares`` are the present trustees' decryption shares, or for in-process use (tests,
    demos) their secret :class:`~evote.ceremony.dkg.TrusteeShare`, each turned into its
    decryption share here (:func:`trustee_decryption_share`); the two may be mixed. Any
    threshold of valid ones suffice: see :func:`combine_and_publish` for what is checked and
    raised. The ceremony is the one published in the board's setup entry.

    Run again, it resumes as ``evote tally combine`` does: if the TALLY event is on the board
    but not the RESULT, the result is computed from the board's own published shares
    (``shares`` is not read) and published; if the result is there, it is returned and nothing
    is written. ElectionNotOpen while the election is not closed.

    An election with questions counted by the mixnet (spec 14) needs the mix chain: ``mixes``
    if given (computed elsewhere, checked here), else made here by the first max(2, t)
    distinct trustees among the TrusteeShares given (InsufficientShares with fewer).
    """
    head = board.head(election_id)
    _require_closed(head)
    if head.kind is EntryKind.CLOSE:
        election, tally = encrypted_tally(board, election_id)
        given = list(shares)
        ceremony: CeremonyResult | None = None
        source: MixInput | None = None
        if mixnet_questions(election.manifest):
            ceremony = board_ceremony(board, election)
            source = board_mix_input(board, election)
            if mixes is None:
                trustees = [share for share in given if isinstance(share, TrusteeShare)]
                mixes = run_mixes(election, ceremony, source, trustees)
            check_mix_chain(election, ceremony, source, mixes)
        decryption_shares = [
            _decryption_share(election, tally, share, ceremony, source, mixes or ())
            for share in given
        ]
        checked = None if ceremony is None else (ceremony, source)
        result, _ = _publish(board, election, tally, decryption_shares, mixes, checked)
        return result
    if head.kind is EntryKind.TALLY:
        result, _ = publish_result_of_board_tally(board, election_id)
        return result
    return published_result(board, election_id)


def publish_result_of_board_tally(
    board: Board, election_id: str
) -> tuple[ElectionResult, PublishedTally]:
    """Finish a tally stopped after its TALLY event: the result from the event's own shares.

    Publishes the RESULT event; returns the result and the published tally (whose shares were
    combined). ElectionNotOpen unless the board's head is the TALLY event.
    """
    head = board.head(election_id)
    if head.kind is not EntryKind.TALLY:
        raise ElectionNotOpen(
            f"election {election_id!r}: the head is a {head.kind.value} event, not the tally"
        )
    election = board.load_election(election_id)
    body = event_body(board, election_id, head.position)
    published = published_tally_from_json_obj(body, election, f"board entry {head.position}")
    ceremony = board_ceremony(board, election)
    source = board_mix_input(board, election) if published.mixes is not None else None
    result, _ = tally_result(
        election, ceremony, published.tally, published.shares, source, published.mixes
    )
    publish_result(board, election, result)
    return result, published


def published_result(board: Board, election_id: str) -> ElectionResult:
    """The result the board's RESULT event holds (its head); InvalidInput if there is none."""
    head = board.head(election_id)
    if head.kind is not EntryKind.RESULT:
        raise InvalidInput(f"election {election_id!r}: no result after a {head.kind.value} event")
    election = board.load_election(election_id)
    body = event_body(board, election_id, head.position)
    return result_from_json_obj(body, election, f"board entry {head.position}")
