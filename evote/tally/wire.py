"""Strict JSON for the tally's public objects: decryption shares and the result.

Same conventions as :mod:`evote.ceremony.wire`: canonical JSON (:mod:`evote.jsonstrict`),
elements and scalars in base64, documents that start with ``kind``, ``version``, ``group`` and
``election_id``, strict decoding that names the faulty field (:class:`InvalidInput`).
"""

from __future__ import annotations

from typing import Any, Final

from evote import jsonstrict
from evote.ballots.manifest import QuestionKind
from evote.crypto.groups import Element, Group, group_by_name
from evote.crypto.proofs import Proof
from evote.errors import ContextMismatch, InvalidInput, not_one_of
from evote.tally.decryption import DecryptionShare
from evote.tally.mixnet import MixedShare
from evote.tally.result import ElectionResult, QuestionResult, Turnout

VERSION: Final = 1
_READ = jsonstrict.Reader(InvalidInput)
_MAX_COLUMNS: Final = 1_000_000


def _scalar(value: int) -> str:
    return jsonstrict.b64encode(value.to_bytes(32, "big"))


def _read_scalar(group: Group, value: Any, where: str) -> int:
    return group.scalar_from_bytes(_READ.b64(value, where, 32), where)


def _factors_and_proofs(
    factors: tuple[Element, ...], proofs: tuple[Proof, ...]
) -> dict[str, list[Any]]:
    return {
        "factors": [jsonstrict.b64encode(f.to_bytes()) for f in factors],
        "proofs": [
            {"challenge": _scalar(p.challenge), "response": _scalar(p.response)} for p in proofs
        ],
    }


def decryption_share_to_json(group: Group, election_id: str, share: DecryptionShare) -> bytes:
    """The share document; ``mixed`` ({factors, proofs}, spec 14.4) only for an election with a
    question counted by the mixnet."""
    document: dict[str, Any] = {
        "kind": "decryption-share",
        "version": VERSION,
        "group": group.name,
        "election_id": election_id,
        "trustee": share.trustee,
        **_factors_and_proofs(share.factors, share.proofs),
    }
    if share.mixed is not None:
        document["mixed"] = _factors_and_proofs(share.mixed.factors, share.mixed.proofs)
    return jsonstrict.dumps(document)


def _read_factors_and_proofs(
    group: Group, obj: Any, where: str
) -> tuple[tuple[Element, ...], tuple[Proof, ...]]:
    factors = _READ.array(obj["factors"], f"{where}.factors", 0, _MAX_COLUMNS)
    proofs = _READ.array(obj["proofs"], f"{where}.proofs", 0, _MAX_COLUMNS)
    decoded_proofs = []
    for i, value in enumerate(proofs):
        item = _READ.object(value, f"{where}.proofs[{i}]", ("challenge", "response"))
        decoded_proofs.append(
            Proof(
                _read_scalar(group, item["challenge"], f"{where}.proofs[{i}].challenge"),
                _read_scalar(group, item["response"], f"{where}.proofs[{i}].response"),
            )
        )
    decoded_factors = group.decode_many_or_identity(
        [_READ.b64(f, f"{where}.factors[{i}]", group.element_size) for i, f in enumerate(factors)],
        f"{where}.factors",
    )
    return tuple(decoded_factors), tuple(decoded_proofs)


def decryption_share_from_json(
    data: bytes, group: Group, election_id: str, where: str = "decryption share"
) -> DecryptionShare:
    """Decode strictly; the share still has to pass check_decryption_share."""
    obj = _READ.object(
        jsonstrict.loads(data, where),
        where,
        ("kind", "version", "group", "election_id", "trustee", "factors", "proofs"),
        ("mixed",),
    )
    if obj["kind"] != "decryption-share":
        _READ.fail(f"{where}.kind", f"expected 'decryption-share', got {obj['kind']!r}")
    _READ.integer(obj["version"], f"{where}.version", VERSION, VERSION)
    if group_by_name(obj["group"]) is not group or obj["election_id"] != election_id:
        raise ContextMismatch(f"{where}: belongs to another election or group")
    trustee = _READ.integer(obj["trustee"], f"{where}.trustee", 1, 1000)
    factors, proofs = _read_factors_and_proofs(group, obj, where)
    mixed = None
    if "mixed" in obj:
        here = f"{where}.mixed"
        part = _READ.object(obj["mixed"], here, ("factors", "proofs"))
        mixed = MixedShare(trustee, *_read_factors_and_proofs(group, part, here))
    return DecryptionShare(trustee, factors, proofs, mixed)


def result_to_json(result: ElectionResult) -> bytes:
    return jsonstrict.dumps(
        {
            "kind": "election-result",
            "version": VERSION,
            "election_id": result.election_id,
            "ballots": result.turnout.ballots,
            "weight": result.turnout.weight,
            "questions": [
                {
                    "id": q.question_id,
                    "kind": q.kind.value,
                    "counts": [[option, count] for option, count in q.counts],
                    "blank": q.blank,
                    "turnout": q.turnout,
                    "winners": list(q.winners),
                    "spent": q.spent,
                }
                for q in result.questions
            ],
        }
    )


def _optional_int(value: Any, where: str) -> int | None:
    return None if value is None else _READ.integer(value, where, 0)


def result_from_json(data: bytes, where: str = "result") -> ElectionResult:
    """Decode strictly; check it against the decrypted counts with check_result."""
    obj = _READ.object(
        jsonstrict.loads(data, where),
        where,
        ("kind", "version", "election_id", "ballots", "weight", "questions"),
    )
    if obj["kind"] != "election-result":
        _READ.fail(f"{where}.kind", f"expected 'election-result', got {obj['kind']!r}")
    _READ.integer(obj["version"], f"{where}.version", VERSION, VERSION)
    questions = []
    for i, value in enumerate(_READ.array(obj["questions"], f"{where}.questions")):
        here = f"{where}.questions[{i}]"
        item = _READ.object(
            value, here, ("id", "kind", "counts", "blank", "turnout", "winners", "spent")
        )
        kind_text = _READ.string(item["kind"], f"{here}.kind")
        if kind_text not in {k.value for k in QuestionKind}:
            _READ.fail(
                f"{here}.kind",
                f"unknown question kind: {not_one_of(kind_text, list(QuestionKind))}",
            )
        counts = []
        for k, pair in enumerate(_READ.array(item["counts"], f"{here}.counts")):
            entry = _READ.exact_array(pair, f"{here}.counts[{k}]", 2)
            counts.append(
                (
                    _READ.string(entry[0], f"{here}.counts[{k}][0]"),
                    _READ.integer(entry[1], f"{here}.counts[{k}][1]", 0),
                )
            )
        questions.append(
            QuestionResult(
                question_id=_READ.string(item["id"], f"{here}.id"),
                kind=QuestionKind(kind_text),
                counts=tuple(counts),
                blank=_optional_int(item["blank"], f"{here}.blank"),
                turnout=_READ.integer(item["turnout"], f"{here}.turnout", 0),
                winners=tuple(
                    _READ.string(w, f"{here}.winners[{k}]")
                    for k, w in enumerate(_READ.array(item["winners"], f"{here}.winners"))
                ),
                spent=_optional_int(item["spent"], f"{here}.spent"),
            )
        )
    return ElectionResult(
        _READ.string(obj["election_id"], f"{where}.election_id"),
        Turnout(
            _READ.integer(obj["ballots"], f"{where}.ballots", 0),
            _READ.integer(obj["weight"], f"{where}.weight", 0),
        ),
        tuple(questions),
    )
