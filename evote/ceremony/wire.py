"""Strict JSON for the ceremony's public messages and its result (docs/spec.md section 8.4).

Each document is an object ``{"kind": ..., "version": 1, "group": ..., "election_id": ...,
...}``; every message after the announcements also names the ceremony context (base64), so a
message from another ceremony is refused before anything else is read. Elements are the
base64 of their canonical encoding; scalars (proof challenges and responses) the base64 of 32
big-endian bytes; transport keys and hashes plain base64. Decoding is strict
(:mod:`evote.jsonstrict`): unknown or missing fields, wrong types, non-canonical base64 and
invalid group elements raise :class:`~evote.errors.InvalidInput` naming the field.

Nothing secret has a JSON form here: shares travel only sealed, and key files are
:mod:`evote.ceremony.keyfile`'s business.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from evote import jsonstrict
from evote.ceremony.dkg import (
    Announcement,
    Answer,
    CeremonyResult,
    CeremonySetup,
    CommitmentHash,
    Complaint,
    Confirmation,
    SealedShare,
    TrusteeCommitments,
    check_parameters,
)
from evote.crypto.groups import Element, Group, group_by_name
from evote.crypto.proofs import Proof
from evote.errors import CeremonyError, InvalidInput

VERSION: Final = 1
_READ = jsonstrict.Reader(InvalidInput)
_HEAD = ("kind", "version", "group", "election_id")


# -- small pieces -----------------------------------------------------------------------------


def _element(element: Element) -> str:
    return jsonstrict.b64encode(element.to_bytes())


def _read_element(group: Group, value: Any, where: str) -> Element:
    return group.decode(_READ.b64(value, where, group.element_size), where)


def _scalar(value: int) -> str:
    return jsonstrict.b64encode(value.to_bytes(32, "big"))


def _read_scalar(group: Group, value: Any, where: str) -> int:
    return group.scalar_from_bytes(_READ.b64(value, where, 32), where)


def _proof(proof: Proof) -> dict[str, Any]:
    return {"challenge": _scalar(proof.challenge), "response": _scalar(proof.response)}


def _read_proof(group: Group, value: Any, where: str) -> Proof:
    obj = _READ.object(value, where, ("challenge", "response"))
    return Proof(
        _read_scalar(group, obj["challenge"], f"{where}.challenge"),
        _read_scalar(group, obj["response"], f"{where}.response"),
    )


def _index(value: Any, where: str) -> int:
    return _READ.integer(value, where, 0, 1_000_000)


def _head(kind: str, group: Group, election_id: str) -> dict[str, Any]:
    return {"kind": kind, "version": VERSION, "group": group.name, "election_id": election_id}


def _read_head(
    data: bytes, kind: str, fields: tuple[str, ...], where: str, optional: tuple[str, ...] = ()
) -> tuple[dict[str, Any], Group, str]:
    obj = _READ.object(jsonstrict.loads(data, where), where, (*_HEAD, *fields), optional)
    if obj["kind"] != kind:
        _READ.fail(f"{where}.kind", f"expected {kind!r}, got {obj['kind']!r}")
    _READ.integer(obj["version"], f"{where}.version", VERSION, VERSION)
    group = group_by_name(_READ.string(obj["group"], f"{where}.group"))
    election_id = _READ.string(obj["election_id"], f"{where}.election_id", 200)
    return obj, group, election_id


def _head_with_context(kind: str, setup: CeremonySetup) -> dict[str, Any]:
    return {
        **_head(kind, setup.group, setup.election_id),
        "context": jsonstrict.b64encode(setup.context),
    }


def _read_for_setup(
    data: bytes, kind: str, fields: tuple[str, ...], setup: CeremonySetup, where: str
) -> dict[str, Any]:
    obj, group, election_id = _read_head(data, kind, ("context", *fields), where)
    context = _READ.b64(obj["context"], f"{where}.context", 32)
    if group is not setup.group or election_id != setup.election_id or context != setup.context:
        raise CeremonyError(f"{where}: belongs to another ceremony")
    return obj


# -- announcements and setup ------------------------------------------------------------------


def announcement_to_json(
    group: Group, election_id: str, trustee_count: int, threshold: int, item: Announcement
) -> bytes:
    """The announcement, with the parameters the trustee was given (all must agree)."""
    return jsonstrict.dumps(
        {
            **_head("announcement", group, election_id),
            "trustee_count": trustee_count,
            "threshold": threshold,
            "index": item.index,
            "transport_key": jsonstrict.b64encode(item.transport_key),
        }
    )


def announcement_from_json(
    data: bytes, where: str = "announcement"
) -> tuple[Group, str, int, int, Announcement]:
    """(group, election id, n, t, announcement); n and t are not checked against others here."""
    obj, group, election_id = _read_head(
        data, "announcement", ("trustee_count", "threshold", "index", "transport_key"), where
    )
    n = _READ.integer(obj["trustee_count"], f"{where}.trustee_count", 0, 1_000_000)
    t = _READ.integer(obj["threshold"], f"{where}.threshold", 0, 1_000_000)
    item = Announcement(
        _index(obj["index"], f"{where}.index"),
        _READ.b64(obj["transport_key"], f"{where}.transport_key", 32),
    )
    return group, election_id, n, t, item


def setup_to_json_obj(setup: CeremonySetup) -> dict[str, Any]:
    return {
        "group": setup.group.name,
        "election_id": setup.election_id,
        "trustee_count": setup.trustee_count,
        "threshold": setup.threshold,
        "transport_keys": [jsonstrict.b64encode(key) for key in setup.transport_keys],
        "context": jsonstrict.b64encode(setup.context),
    }


def setup_from_json_obj(value: Any, where: str) -> CeremonySetup:
    """A setup, re-checked; its stated context must be the one its fields give."""
    obj = _READ.object(
        value,
        where,
        ("group", "election_id", "trustee_count", "threshold", "transport_keys", "context"),
    )
    group = group_by_name(_READ.string(obj["group"], f"{where}.group"))
    n = _READ.integer(obj["trustee_count"], f"{where}.trustee_count", 0, 1_000_000)
    t = _READ.integer(obj["threshold"], f"{where}.threshold", 0, 1_000_000)
    check_parameters(n, t)
    keys = _READ.exact_array(obj["transport_keys"], f"{where}.transport_keys", n)
    setup = CeremonySetup(
        group,
        _READ.string(obj["election_id"], f"{where}.election_id", 200),
        n,
        t,
        tuple(_READ.b64(key, f"{where}.transport_keys[{i}]", 32) for i, key in enumerate(keys)),
    )
    if _READ.b64(obj["context"], f"{where}.context", 32) != setup.context:
        raise CeremonyError(f"{where}.context: does not match the setup's fields")
    return setup


# -- commitments ------------------------------------------------------------------------------


def commitment_hash_to_json(setup: CeremonySetup, item: CommitmentHash) -> bytes:
    return jsonstrict.dumps(
        {
            **_head_with_context("commitment-hash", setup),
            "index": item.index,
            "digest": jsonstrict.b64encode(item.digest),
        }
    )


def commitment_hash_from_json(
    data: bytes, setup: CeremonySetup, where: str = "commitment hash"
) -> CommitmentHash:
    obj = _read_for_setup(data, "commitment-hash", ("index", "digest"), setup, where)
    return CommitmentHash(
        _index(obj["index"], f"{where}.index"), _READ.b64(obj["digest"], f"{where}.digest", 32)
    )


def _commitments_obj(item: TrusteeCommitments) -> dict[str, Any]:
    return {
        "index": item.index,
        "commitments": [_element(c) for c in item.commitments],
        "proofs": [_proof(p) for p in item.proofs],
    }


def _commitments_from_obj(group: Group, value: Any, where: str) -> TrusteeCommitments:
    obj = _READ.object(value, where, ("index", "commitments", "proofs"))
    commitments = _READ.array(obj["commitments"], f"{where}.commitments", 0, 1000)
    proofs = _READ.array(obj["proofs"], f"{where}.proofs", 0, 1000)
    return TrusteeCommitments(
        _index(obj["index"], f"{where}.index"),
        tuple(
            _read_element(group, c, f"{where}.commitments[{k}]") for k, c in enumerate(commitments)
        ),
        tuple(_read_proof(group, p, f"{where}.proofs[{k}]") for k, p in enumerate(proofs)),
    )


def commitments_to_json(setup: CeremonySetup, item: TrusteeCommitments) -> bytes:
    return jsonstrict.dumps({**_head_with_context("commitments", setup), **_commitments_obj(item)})


def commitments_from_json(
    data: bytes, setup: CeremonySetup, where: str = "commitments"
) -> TrusteeCommitments:
    obj = _read_for_setup(data, "commitments", ("index", "commitments", "proofs"), setup, where)
    body = {key: obj[key] for key in ("index", "commitments", "proofs")}
    return _commitments_from_obj(setup.group, body, where)


# -- shares, complaints, confirmations --------------------------------------------------------


def sealed_share_to_json(setup: CeremonySetup, item: SealedShare) -> bytes:
    return jsonstrict.dumps(
        {
            **_head_with_context("sealed-share", setup),
            "sender": item.sender,
            "recipient": item.recipient,
            "sealed": jsonstrict.b64encode(item.sealed),
        }
    )


def sealed_share_from_json(
    data: bytes, setup: CeremonySetup, where: str = "sealed share"
) -> SealedShare:
    obj = _read_for_setup(data, "sealed-share", ("sender", "recipient", "sealed"), setup, where)
    return SealedShare(
        _index(obj["sender"], f"{where}.sender"),
        _index(obj["recipient"], f"{where}.recipient"),
        _READ.b64(obj["sealed"], f"{where}.sealed"),
    )


def _complaint_obj(item: Complaint) -> dict[str, Any]:
    return {
        "accuser": item.accuser,
        "accused": item.accused,
        "reason": item.reason,
        "proof": _proof(item.proof),
    }


def _complaint_from_obj(group: Group, value: Any, where: str) -> Complaint:
    obj = _READ.object(value, where, ("accuser", "accused", "reason", "proof"))
    return Complaint(
        _index(obj["accuser"], f"{where}.accuser"),
        _index(obj["accused"], f"{where}.accused"),
        _READ.string(obj["reason"], f"{where}.reason", 2000),
        _read_proof(group, obj["proof"], f"{where}.proof"),
    )


def _answer_obj(item: Answer) -> dict[str, Any]:
    return {
        "accused": item.accused,
        "accuser": item.accuser,
        "share": _scalar(item.share),
        "proof": _proof(item.proof),
    }


def _answer_from_obj(group: Group, value: Any, where: str) -> Answer:
    obj = _READ.object(value, where, ("accused", "accuser", "share", "proof"))
    return Answer(
        _index(obj["accused"], f"{where}.accused"),
        _index(obj["accuser"], f"{where}.accuser"),
        _read_scalar(group, obj["share"], f"{where}.share"),
        _read_proof(group, obj["proof"], f"{where}.proof"),
    )


def complaints_to_json(
    setup: CeremonySetup, index: int, complaints: Sequence[Complaint]
) -> bytes:
    """Trustee ``index``'s outcome of step 5: its complaints, possibly none."""
    return jsonstrict.dumps(
        {
            **_head_with_context("complaints", setup),
            "index": index,
            "complaints": [_complaint_obj(item) for item in complaints],
        }
    )


def complaints_from_json(
    data: bytes, setup: CeremonySetup, where: str = "complaints"
) -> tuple[int, tuple[Complaint, ...]]:
    """(the trustee, its complaints); each complaint must be the trustee's own."""
    obj = _read_for_setup(data, "complaints", ("index", "complaints"), setup, where)
    index = _index(obj["index"], f"{where}.index")
    items = _READ.array(obj["complaints"], f"{where}.complaints", 0, setup.trustee_count)
    complaints = tuple(
        _complaint_from_obj(setup.group, value, f"{where}.complaints[{i}]")
        for i, value in enumerate(items)
    )
    for i, item in enumerate(complaints):
        if item.accuser != index:
            raise CeremonyError(
                f"{where}.complaints[{i}]: a complaint of trustee {item.accuser} in trustee"
                f" {index}'s file"
            )
    return index, complaints


def answer_to_json(setup: CeremonySetup, item: Answer) -> bytes:
    return jsonstrict.dumps({**_head_with_context("answer", setup), **_answer_obj(item)})


def answer_from_json(data: bytes, setup: CeremonySetup, where: str = "answer") -> Answer:
    fields = ("accused", "accuser", "share", "proof")
    obj = _read_for_setup(data, "answer", fields, setup, where)
    return _answer_from_obj(setup.group, {key: obj[key] for key in fields}, where)


def confirmation_to_json(setup: CeremonySetup, transcript_hash: bytes, item: Confirmation) -> bytes:
    return jsonstrict.dumps(
        {
            **_head_with_context("confirmation", setup),
            "index": item.index,
            "transcript_hash": jsonstrict.b64encode(transcript_hash),
            "proof": _proof(item.proof),
        }
    )


def confirmation_from_json(
    data: bytes, setup: CeremonySetup, where: str = "confirmation"
) -> tuple[bytes, Confirmation]:
    """(the transcript hash the trustee confirmed, its confirmation)."""
    obj = _read_for_setup(data, "confirmation", ("index", "transcript_hash", "proof"), setup, where)
    return (
        _READ.b64(obj["transcript_hash"], f"{where}.transcript_hash", 32),
        Confirmation(
            _index(obj["index"], f"{where}.index"),
            _read_proof(setup.group, obj["proof"], f"{where}.proof"),
        ),
    )


# -- the result -------------------------------------------------------------------------------

_RESULT_FIELDS = (
    "setup",
    "commitment_hashes",
    "commitments",
    "joint_key",
    "verification_keys",
    "transcript_hash",
    "confirmations",
)
_RESULT_OPTIONAL = ("complaints", "answers")


def ceremony_result_to_json(result: CeremonyResult) -> bytes:
    """The ceremony result file: public, canonical JSON."""
    setup = result.setup
    return jsonstrict.dumps(
        {
            **_head("ceremony-result", setup.group, setup.election_id),
            "setup": setup_to_json_obj(setup),
            "commitment_hashes": [
                {"index": h.index, "digest": jsonstrict.b64encode(h.digest)}
                for h in result.commitment_hashes
            ],
            "commitments": [_commitments_obj(item) for item in result.commitments],
            "joint_key": _element(result.joint_key),
            "verification_keys": [_element(k) for k in result.verification_keys],
            "transcript_hash": jsonstrict.b64encode(result.transcript_hash),
            "confirmations": [
                {"index": c.index, "proof": _proof(c.proof)} for c in result.confirmations
            ],
            # Present only when someone complained: a result without complaints keeps its
            # bytes (docs/spec.md section 8.4.1).
            **(
                {
                    "complaints": [_complaint_obj(c) for c in result.complaints],
                    "answers": [_answer_obj(a) for a in result.answers],
                }
                if result.complaints or result.answers
                else {}
            ),
        }
    )


def ceremony_result_from_json(data: bytes, where: str = "ceremony result") -> CeremonyResult:
    """Decode a result strictly. It is not yet checked: call check_ceremony_result."""
    obj, group, election_id = _read_head(
        data, "ceremony-result", _RESULT_FIELDS, where, _RESULT_OPTIONAL
    )
    setup = setup_from_json_obj(obj["setup"], f"{where}.setup")
    if setup.group is not group or setup.election_id != election_id:
        raise CeremonyError(f"{where}: the setup names another group or election")
    n = setup.trustee_count
    hashes = []
    for i, value in enumerate(
        _READ.exact_array(obj["commitment_hashes"], f"{where}.commitment_hashes", n)
    ):
        item = _READ.object(value, f"{where}.commitment_hashes[{i}]", ("index", "digest"))
        hashes.append(
            CommitmentHash(
                _index(item["index"], f"{where}.commitment_hashes[{i}].index"),
                _READ.b64(item["digest"], f"{where}.commitment_hashes[{i}].digest", 32),
            )
        )
    commitments = tuple(
        _commitments_from_obj(group, value, f"{where}.commitments[{i}]")
        for i, value in enumerate(_READ.exact_array(obj["commitments"], f"{where}.commitments", n))
    )
    keys = _READ.exact_array(obj["verification_keys"], f"{where}.verification_keys", n)
    complaints, answers = _read_result_complaints(group, obj, n, where)
    confirmations = []
    for i, value in enumerate(_READ.exact_array(obj["confirmations"], f"{where}.confirmations", n)):
        item = _READ.object(value, f"{where}.confirmations[{i}]", ("index", "proof"))
        confirmations.append(
            Confirmation(
                _index(item["index"], f"{where}.confirmations[{i}].index"),
                _read_proof(group, item["proof"], f"{where}.confirmations[{i}].proof"),
            )
        )
    return CeremonyResult(
        setup=setup,
        commitment_hashes=tuple(hashes),
        commitments=commitments,
        joint_key=_read_element(group, obj["joint_key"], f"{where}.joint_key"),
        verification_keys=tuple(
            _read_element(group, k, f"{where}.verification_keys[{i}]") for i, k in enumerate(keys)
        ),
        transcript_hash=_READ.b64(obj["transcript_hash"], f"{where}.transcript_hash", 32),
        confirmations=tuple(confirmations),
        complaints=complaints,
        answers=answers,
    )


def _read_result_complaints(
    group: Group, obj: dict[str, Any], n: int, where: str
) -> tuple[tuple[Complaint, ...], tuple[Answer, ...]]:
    """Both present and non-empty, or both absent (the canonical form of "no complaint")."""
    if ("complaints" in obj) != ("answers" in obj):
        raise InvalidInput(f"{where}: complaints and answers come together")
    if "complaints" not in obj:
        return (), ()
    limit = n * (n - 1)
    items = _READ.array(obj["complaints"], f"{where}.complaints", 0, limit)
    if not items:
        raise InvalidInput(f"{where}.complaints: empty (leave the field out when there is none)")
    complaints = tuple(
        _complaint_from_obj(group, value, f"{where}.complaints[{i}]")
        for i, value in enumerate(items)
    )
    answers = tuple(
        _answer_from_obj(group, value, f"{where}.answers[{i}]")
        for i, value in enumerate(_READ.array(obj["answers"], f"{where}.answers", 0, limit))
    )
    return complaints, answers
