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
from evote.tally.result import ElectionResult, QuestionResult, StageResult, Turnout

VERSION: Final = 1
_READ = jsonstrict.Reader(InvalidInput)
_MAX_COLUMNS: Final = 1_000_000
#: The kinds of the questions counted by the mixnet, whose result entries differ (spec 14.5).
MIXNET_KINDS: Final = frozenset({"grades", "ranking"})
#: The actions of an STV stage (spec 13.3, evote.tally.rules.stv), as result.schema.json lists.
STV_ACTIONS: Final = ("first", "surplus", "exclusion", "fill")


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
            "questions": [_question_obj(q) for q in result.questions],
        }
    )


def _question_obj(q: QuestionResult) -> dict[str, Any]:
    """A question's entry; a question counted by the mixnet (``answers`` set) also carries
    ``answers`` and ``ranking``, and for STV ``quota`` and ``stages`` (spec 14.5)."""
    if q.answers is None:
        return {
            "id": q.question_id,
            "kind": q.kind.value,
            "counts": [[option, count] for option, count in q.counts],
            "blank": q.blank,
            "turnout": q.turnout,
            "winners": list(q.winners),
            "spent": q.spent,
        }
    obj: dict[str, Any] = {
        "id": q.question_id,
        "kind": q.kind.value,
        "counts": [[option, list(row)] for option, row in q.distribution or ()],
        "blank": None,
        "turnout": q.turnout,
        "winners": list(q.winners),
        "spent": None,
        "answers": [list(answer) for answer in q.answers],
        "ranking": [list(group) for group in q.ranking or ()],
    }
    if q.stages is not None:
        obj["quota"] = q.quota
        obj["stages"] = [
            {
                "action": stage.action,
                "option": stage.option,
                "votes": [[option, votes] for option, votes in stage.votes],
                "elected": list(stage.elected),
                "excluded": list(stage.excluded),
                "non_transferable": stage.non_transferable,
            }
            for stage in q.stages
        ]
    return obj


_QUESTION_FIELDS: Final = ("id", "kind", "counts", "blank", "turnout", "winners", "spent")
_MIXNET_FIELDS: Final = ("answers", "ranking")
_STV_FIELDS: Final = ("quota", "stages")


def _strings(value: Any, where: str) -> tuple[str, ...]:
    return tuple(_READ.string(v, f"{where}[{k}]") for k, v in enumerate(_READ.array(value, where)))


def _option_counts(value: Any, where: str) -> tuple[tuple[str, int], ...]:
    """An array of [option id, count ≥ 0] pairs (a question's counts, an STV stage's votes)."""
    counts = []
    for k, pair in enumerate(_READ.array(value, where)):
        entry = _READ.exact_array(pair, f"{where}[{k}]", 2)
        counts.append(
            (
                _READ.string(entry[0], f"{where}[{k}][0]"),
                _READ.integer(entry[1], f"{where}[{k}][1]", 0),
            )
        )
    return tuple(counts)


def _read_stage(value: Any, where: str) -> StageResult:
    item = _READ.object(
        value, where, ("action", "option", "votes", "elected", "excluded", "non_transferable")
    )
    action = _READ.string(item["action"], f"{where}.action")
    if action not in STV_ACTIONS:
        _READ.fail(f"{where}.action", f"unknown STV action: {not_one_of(action, STV_ACTIONS)}")
    return StageResult(
        action,
        None if item["option"] is None else _READ.string(item["option"], f"{where}.option"),
        _option_counts(item["votes"], f"{where}.votes"),
        _strings(item["elected"], f"{where}.elected"),
        _strings(item["excluded"], f"{where}.excluded"),
        _READ.integer(item["non_transferable"], f"{where}.non_transferable", 0),
    )


def _read_mixnet_question(item: dict[str, Any], here: str, kind: QuestionKind) -> QuestionResult:
    if item["blank"] is not None or item["spent"] is not None:
        _READ.fail(here, "blank and spent are null for a question counted by the mixnet")
    distribution = []
    for k, pair in enumerate(_READ.array(item["counts"], f"{here}.counts")):
        entry = _READ.exact_array(pair, f"{here}.counts[{k}]", 2)
        distribution.append(
            (
                _READ.string(entry[0], f"{here}.counts[{k}][0]"),
                tuple(
                    _READ.integer(c, f"{here}.counts[{k}][1][{i}]", 0)
                    for i, c in enumerate(_READ.array(entry[1], f"{here}.counts[{k}][1]"))
                ),
            )
        )
    answers = tuple(
        tuple(
            _READ.integer(v, f"{here}.answers[{i}][{o}]", 0)
            for o, v in enumerate(_READ.array(answer, f"{here}.answers[{i}]"))
        )
        for i, answer in enumerate(_READ.array(item["answers"], f"{here}.answers"))
    )
    ranking = tuple(
        _strings(group, f"{here}.ranking[{k}]")
        for k, group in enumerate(_READ.array(item["ranking"], f"{here}.ranking"))
    )
    quota = None
    stages = None
    if "stages" in item:
        quota = _optional_int(item["quota"], f"{here}.quota")
        stages = tuple(
            _read_stage(value, f"{here}.stages[{k}]")
            for k, value in enumerate(_READ.array(item["stages"], f"{here}.stages"))
        )
    return QuestionResult(
        question_id=_READ.string(item["id"], f"{here}.id"),
        kind=kind,
        counts=(),
        blank=None,
        turnout=_READ.integer(item["turnout"], f"{here}.turnout", 0),
        winners=_strings(item["winners"], f"{here}.winners"),
        spent=None,
        distribution=tuple(distribution),
        answers=answers,
        ranking=ranking,
        quota=quota,
        stages=stages,
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
        item = _READ.object(value, here, _QUESTION_FIELDS, (*_MIXNET_FIELDS, *_STV_FIELDS))
        kind_text = _READ.string(item["kind"], f"{here}.kind")
        if kind_text not in {k.value for k in QuestionKind}:
            _READ.fail(
                f"{here}.kind",
                f"unknown question kind: {not_one_of(kind_text, list(QuestionKind))}",
            )
        if kind_text in MIXNET_KINDS:
            _READ.object(
                item,
                here,
                (*_QUESTION_FIELDS, *_MIXNET_FIELDS),
                _STV_FIELDS if kind_text == QuestionKind.RANKING.value else (),
            )
            if ("quota" in item) != ("stages" in item):
                _READ.fail(here, "quota and stages come together (an STV count)")
            questions.append(_read_mixnet_question(item, here, QuestionKind(kind_text)))
            continue
        _READ.object(item, here, _QUESTION_FIELDS)
        counts = _option_counts(item["counts"], f"{here}.counts")
        questions.append(
            QuestionResult(
                question_id=_READ.string(item["id"], f"{here}.id"),
                kind=QuestionKind(kind_text),
                counts=counts,
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
