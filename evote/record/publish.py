"""The tally and the result as board event bodies, and their strict readers (record-format.md).

The record takes everything from the board (docs/architecture.md section 6), so the tally and
the result are put there as the body of a TALLY event and of a RESULT event (the acts that
write them are the tally's: :func:`evote.tallying.publish_tally` and
:func:`evote.tallying.publish_result`). The bodies are the documents ``tally.json`` and
``result.json`` of the record, byte for byte:

* TALLY: ``{"kind": "tally", "version": 1, "group", "election_id", "encrypted_tally",
  "shares", "combined", "rejected"}``: the encrypted tally (per question, per option the
  product of the counted ciphertexts, the blank's, the number of counted ballots and their
  weight), every decryption share with its proofs (the form of
  :func:`evote.tally.wire.decryption_share_to_json`), the trustees whose shares were combined,
  and the shares left out with the reason; for an election with a question counted by the
  mixnet, also ``mixes`` (the mix documents in order, docs/spec.md section 14) and, in each
  share, ``mixed`` (its decryption of the last mix's outputs);
* RESULT: the form of :func:`evote.tally.wire.result_to_json`.

Decoding is strict (:mod:`evote.jsonstrict`): unknown or missing fields, wrong types,
non-canonical base64 and invalid group elements raise :class:`~evote.errors.InvalidRecord`
naming the field; a wrapped error keeps its class name in the message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from evote import jsonstrict
from evote.crypto.elgamal import Ciphertext
from evote.crypto.groups import Element, Group
from evote.election import Election
from evote.errors import ContextMismatch, EvoteError, InvalidInput, InvalidRecord
from evote.tally.aggregate import EncryptedTally, QuestionShape, manifest_shape
from evote.tally.decryption import DecryptionShare, Rejection
from evote.tally.mixnet import Mix, mix_from_json_obj, mix_to_json_obj, mixnet_questions
from evote.tally.result import ElectionResult
from evote.tally.wire import (
    decryption_share_from_json,
    decryption_share_to_json,
    result_from_json,
    result_to_json,
)

TALLY_KIND: Final = "tally"
TALLY_VERSION: Final = 1
MAX_REASON_LENGTH: Final = 2000
_TALLY_FIELDS: Final = (
    "kind",
    "version",
    "group",
    "election_id",
    "encrypted_tally",
    "shares",
    "combined",
    "rejected",
)
_READ: Final = jsonstrict.Reader(InvalidRecord)


@dataclass(frozen=True, slots=True)
class PublishedTally:
    """The body of a TALLY event: the encrypted tally, the shares, who was combined."""

    tally: EncryptedTally
    shares: tuple[DecryptionShare, ...]
    combined: tuple[int, ...]
    rejected: tuple[Rejection, ...]
    #: The mix chain (docs/spec.md section 14): a tuple iff the election has a question counted
    #: by the mixnet (empty when no ballot was counted), None otherwise.
    mixes: tuple[Mix, ...] | None = None


def wrapped(fault: Exception) -> str:
    """The message of an error from another layer, with its class name kept."""
    return f"{fault} [{type(fault).__name__}]"


# -- the encrypted tally ------------------------------------------------------------------------


def _ciphertext_obj(ciphertext: Ciphertext) -> dict[str, str]:
    return {
        "alpha": jsonstrict.b64encode(ciphertext.alpha.to_bytes()),
        "beta": jsonstrict.b64encode(ciphertext.beta.to_bytes()),
    }


def encrypted_tally_to_json_obj(tally: EncryptedTally) -> dict[str, Any]:
    """``{"ballots", "weight", "questions": [{"options": [{alpha, beta}...], "blank"}]}``."""
    return {
        "ballots": tally.ballot_count,
        "weight": tally.total_weight,
        "questions": [
            {
                "options": [_ciphertext_obj(c) for c in row],
                "blank": None if blank is None else _ciphertext_obj(blank),
            }
            for row, blank in zip(tally.options, tally.blanks, strict=True)
        ],
    }


def encrypted_tally_from_json_obj(
    obj: Any, election: Election, where: str = "encrypted_tally"
) -> EncryptedTally:
    """Decode strictly against the manifest's shape (questions, options, blanks)."""
    return decode_encrypted_tally(obj, election.group, manifest_shape(election.manifest), where)


def encrypted_tally_shape(obj: Any, where: str = "encrypted_tally") -> tuple[QuestionShape, ...]:
    """The shape an encrypted tally object has (for a reader without the manifest: a trustee)."""
    fields = _READ.object(obj, where, ("ballots", "weight", "questions"))
    shape = []
    for q, value in enumerate(_READ.array(fields["questions"], f"{where}.questions", 1)):
        here = f"{where}.questions[{q}]"
        item = _READ.object(value, here, ("options", "blank"))
        # 0 options: a question counted by the mixnet (spec 9.1).
        options = _READ.array(item["options"], f"{here}.options", 0)
        shape.append(QuestionShape(len(options), item["blank"] is not None))
    return tuple(shape)


def decode_encrypted_tally(
    obj: Any, group: Group, shape: Sequence[QuestionShape], where: str = "encrypted_tally"
) -> EncryptedTally:
    """Decode strictly against ``shape`` (questions, options, blanks); elements validated."""
    fields = _READ.object(obj, where, ("ballots", "weight", "questions"))
    questions = _READ.exact_array(fields["questions"], f"{where}.questions", len(shape))
    encodings: list[bytes] = []
    layout: list[tuple[int, bool]] = []
    for q, (value, expected) in enumerate(zip(questions, shape, strict=True)):
        here = f"{where}.questions[{q}]"
        item = _READ.object(value, here, ("options", "blank"))
        row = _READ.exact_array(item["options"], f"{here}.options", expected.options)
        for o, cipher in enumerate(row):
            encodings += _read_ciphertext_bytes(group, cipher, f"{here}.options[{o}]")
        blank = item["blank"]
        if (blank is not None) != expected.blank:
            _READ.fail(
                f"{here}.blank",
                "missing: the question allows blank" if expected.blank else "must be null",
            )
        if blank is not None:
            encodings += _read_ciphertext_bytes(group, blank, f"{here}.blank")
        layout.append((expected.options, blank is not None))
    try:
        elements = iter(group.decode_many_or_identity(encodings, f"{where}.questions"))
    except InvalidInput as fault:
        raise InvalidRecord(wrapped(fault)) from fault
    options: list[tuple[Ciphertext, ...]] = []
    blanks: list[Ciphertext | None] = []
    for count, has_blank in layout:
        options.append(tuple(_next_ciphertext(elements) for _ in range(count)))
        blanks.append(_next_ciphertext(elements) if has_blank else None)
    return EncryptedTally(
        group,
        tuple(options),
        tuple(blanks),
        _READ.integer(fields["ballots"], f"{where}.ballots", 0),
        _READ.integer(fields["weight"], f"{where}.weight", 0),
    )


def _read_ciphertext_bytes(group: Group, value: Any, where: str) -> list[bytes]:
    item = _READ.object(value, where, ("alpha", "beta"))
    return [
        _READ.b64(item["alpha"], f"{where}.alpha", group.element_size),
        _READ.b64(item["beta"], f"{where}.beta", group.element_size),
    ]


def _next_ciphertext(elements: Any) -> Ciphertext:
    alpha: Element = next(elements)
    beta: Element = next(elements)
    return Ciphertext(alpha, beta)


# -- the TALLY event --------------------------------------------------------------------------


def published_tally_to_json_obj(election: Election, published: PublishedTally) -> dict[str, Any]:
    """The JSON body of the TALLY event (and the record's ``tally.json``)."""
    group = election.group
    body: dict[str, Any] = {
        "kind": TALLY_KIND,
        "version": TALLY_VERSION,
        "group": group.name,
        "election_id": election.election_id,
        "encrypted_tally": encrypted_tally_to_json_obj(published.tally),
        "shares": [
            jsonstrict.loads(decryption_share_to_json(group, election.election_id, share), "share")
            for share in published.shares
        ],
        "combined": list(published.combined),
        "rejected": [
            {"trustee": rejection.trustee, "reason": rejection.reason[:MAX_REASON_LENGTH]}
            for rejection in published.rejected
        ],
    }
    if published.mixes is not None:
        body["mixes"] = [mix_to_json_obj(mix) for mix in published.mixes]
    return body


def published_tally_from_json_obj(
    body: Any, election: Election, where: str = "tally"
) -> PublishedTally:
    """Strictly decode a TALLY event body; proofs are not checked (the verifier does)."""
    fields = _READ.object(body, where, _TALLY_FIELDS, ("mixes",))
    mixnet = bool(mixnet_questions(election.manifest))
    if ("mixes" in fields) != mixnet:
        _READ.fail(
            f"{where}.mixes",
            "missing: the election has a question counted by the mixnet"
            if mixnet
            else "unknown field: the election has no question counted by the mixnet",
        )
    kind = _READ.string(fields["kind"], f"{where}.kind")
    if kind != TALLY_KIND:
        _READ.fail(f"{where}.kind", f"expected {TALLY_KIND!r}, got {kind!r}")
    version = _READ.integer(fields["version"], f"{where}.version")
    if version != TALLY_VERSION:
        _READ.fail(f"{where}.version", f"unknown version {version} (this evote reads 1)")
    _expect_text(fields["group"], election.group.name, f"{where}.group")
    _expect_text(fields["election_id"], election.election_id, f"{where}.election_id")
    tally = encrypted_tally_from_json_obj(
        fields["encrypted_tally"], election, f"{where}.encrypted_tally"
    )
    shares = []
    for i, value in enumerate(_READ.array(fields["shares"], f"{where}.shares")):
        here = f"{where}.shares[{i}]"
        try:
            # The share reader takes bytes; the canonical form of the value is what was published.
            shares.append(
                decryption_share_from_json(
                    jsonstrict.dumps(value), election.group, election.election_id, here
                )
            )
        except (InvalidInput, ContextMismatch) as fault:
            raise InvalidRecord(wrapped(fault)) from fault
        if (shares[-1].mixed is not None) != mixnet:
            _READ.fail(
                f"{here}.mixed",
                "missing: the election has a question counted by the mixnet"
                if mixnet
                else "unknown field: the election has no question counted by the mixnet",
            )
    mixes = None
    if mixnet:
        decoded = []
        for i, value in enumerate(_READ.array(fields["mixes"], f"{where}.mixes", 0, 1000)):
            try:
                decoded.append(mix_from_json_obj(election, value, f"{where}.mixes[{i}]"))
            except (InvalidInput, ContextMismatch) as fault:
                raise InvalidRecord(wrapped(fault)) from fault
        mixes = tuple(decoded)
    combined = tuple(
        _READ.integer(value, f"{where}.combined[{i}]", 1, 1000)
        for i, value in enumerate(_READ.array(fields["combined"], f"{where}.combined"))
    )
    rejected = []
    for i, value in enumerate(_READ.array(fields["rejected"], f"{where}.rejected")):
        item = _READ.object(value, f"{where}.rejected[{i}]", ("trustee", "reason"))
        rejected.append(
            Rejection(
                _READ.integer(item["trustee"], f"{where}.rejected[{i}].trustee", 1, 1000),
                _READ.string(item["reason"], f"{where}.rejected[{i}].reason", MAX_REASON_LENGTH),
            )
        )
    return PublishedTally(tally, tuple(shares), combined, tuple(rejected), mixes)


def _expect_text(value: Any, expected: str, where: str) -> None:
    text = _READ.string(value, where)
    if text != expected:
        _READ.fail(where, f"{text!r}, expected {expected!r}")


# -- the RESULT event -------------------------------------------------------------------------


def result_to_json_obj(result: ElectionResult) -> Any:
    """The JSON body of the RESULT event (and the record's ``result.json``)."""
    return jsonstrict.loads(result_to_json(result), "result")


def result_from_json_obj(body: Any, election: Election, where: str = "result") -> ElectionResult:
    """Strictly decode a RESULT event body of ``election``; InvalidRecord names the fault."""
    try:
        result = result_from_json(jsonstrict.dumps(body), where)
    except EvoteError as fault:
        if isinstance(fault, InvalidRecord):
            raise
        raise InvalidRecord(wrapped(fault)) from fault
    if result.election_id != election.election_id:
        _READ.fail(
            f"{where}.election_id",
            f"{result.election_id!r}, expected {election.election_id!r}",
        )
    return result
