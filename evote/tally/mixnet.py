"""The mix chain, the decryption of the mixed answers (docs/spec.md section 14).

Questions counted by a mixnet (graded and ranked questions) cannot be summed: their count
needs every answer in the clear. Their answers (one ciphertext per option) are shuffled by the
trustees in sequence, each with a verifiable re-encryption shuffle (section 12: Terelius,
Wikström, AFRICACRYPT 2010, in the form of Haenni et al., Voting'17), so that no coalition
below the threshold can link a decrypted answer to its ballot; the last mix's outputs are then
decrypted by the trustees' threshold shares with one Chaum–Pedersen proof per ciphertext
(Chaum, Pedersen, CRYPTO 1992; section 9.2), and counted by the question's rule (section 13).

* :class:`MixInput` (:func:`mix_input`): per mixnet question, the answers of the counted ballots
  (section 10.6) in board order; anyone recomputes it from the board.
* :class:`Mix` (:func:`compute_mix`): mix k by trustee j shuffles mix k−1's outputs (mix 0 is
  the input) for every mixnet question at once, with a proof of shuffle per question bound to
  ``("mix", k, "question", q)``, and is signed by a Schnorr proof of knowledge of s_j
  (section 4.2) bound to ``("mix", k, "trustee", j, digest)``, digest the MIX digest of the mix
  document without its signature.
* :func:`check_mix_chain`: positions 1, 2, ...; each signature against K_j of the ceremony;
  distinct trustees; at least :func:`required_mixes` = max(2, t) mixes (1 when n = 1); every
  proof of shuffle against the previous outputs. Under the threshold's own assumption (fewer
  than t trustees collude), one mix at least was made by an honest trustee.
* :class:`MixedShare` (:func:`compute_mixed_share` / :func:`check_mixed_share`): trustee j's
  factor alpha^s_j per ciphertext of the last outputs with its proof, and
  :func:`combine_mixed_shares`: the answers in the clear (bounded discrete logarithms).

Usage. Each trustee mixes in turn on its own machine (the officer passes the documents on);
``evote.tallying.run_tally`` does all of it in one process when it holds the trustees' shares::

    from evote.tally import mixnet
    from evote.tallying import board_mix_input, trustee_decryption_share

    source = board_mix_input(board, election)         # or mixnet.mix_input(election, ballots)
    data = mixnet.mix_input_to_json(source)           # what the first trustee receives
    mixes: list[mixnet.Mix] = []                      # each trustee, with its TrusteeShare:
    mix = mixnet.compute_mix(election, ceremony, trustee, source, mixes)   # checks mixes first
    mixes.append(mixnet.mix_from_json(election, mixnet.mix_to_json(mix)))  # published document
    # ... until len(mixes) == mixnet.required_mixes(ceremony): max(2, t) distinct trustees
    mixnet.check_mix_chain(election, ceremony, source, mixes)
    share = trustee_decryption_share(                 # the tally's factors and the mixed ones
        election, tally, trustee, ceremony=ceremony, source=source, mixes=mixes
    )
    # the officer: evote.tallying.combine_and_publish(board, election_id, tally, shares,
    # mixes=mixes) combines, counts (spec 13) and publishes; or, by hand,
    maxima = {q: election.manifest.questions[q].option_maximum for q in source.questions}
    answers = mixnet.combine_mixed_shares(
        election, ceremony, source, mixes, [s.mixed for s in shares if s.mixed], maxima
    ).answers                                         # per question, per ballot, per option
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

from evote import jsonstrict
from evote.ceremony.dkg import CeremonyResult, TrusteeShare
from evote.crypto.dlog import discrete_log
from evote.crypto.elgamal import Ciphertext, PublicKey
from evote.crypto.groups import Element, Group, group_by_name
from evote.crypto.hashing import Purpose, digest32
from evote.crypto.proofs import (
    Proof,
    ProofContext,
    check_schnorr,
    prove_schnorr,
)
from evote.crypto.shamir import lagrange_coefficients
from evote.crypto.shuffle import (
    MAX_ANSWERS,
    MAX_WIDTH,
    Answer,
    ShuffleProof,
    check_shuffle,
    prove_shuffle,
    shuffle,
    shuffle_proof_from_json,
    shuffle_proof_to_json,
)
from evote.errors import (
    ContextMismatch,
    InsufficientShares,
    InvalidInput,
    InvalidProof,
    InvalidSignature,
)
from evote.tally.decryption import check_decryption_factor, prove_decryption_factor

if TYPE_CHECKING:
    from evote.ballots.manifest import Manifest
    from evote.election import Election

MIX_KIND: Final = "mix"
MIX_INPUT_KIND: Final = "mix-input"
VERSION: Final = 1
_READ: Final = jsonstrict.Reader(InvalidInput)
_Item = TypeVar("_Item")


class _Ballot(Protocol):
    """What the mix input reads from a counted ballot (an EncryptedBallot has it)."""

    def ciphertexts(self) -> list[list[Ciphertext]]: ...


# -- the values ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MixInput:
    """Mix 0: per mixnet question (``questions``, manifest indices, increasing), the answers of
    the counted ballots in board order (``answers[i]`` is question ``questions[i]``'s list)."""

    group: Group
    election_id: str
    fingerprint: bytes
    questions: tuple[int, ...]
    answers: tuple[tuple[Answer, ...], ...]

    @property
    def size(self) -> int:
        """N, the number of answers per question (every counted ballot answers every one)."""
        return len(self.answers[0]) if self.answers else 0


@dataclass(frozen=True, slots=True)
class MixedQuestion:
    """One question of a mix: the shuffled answers and the proof of shuffle."""

    question: int
    outputs: tuple[Answer, ...]
    proof: ShuffleProof


@dataclass(frozen=True, slots=True)
class Mix:
    """Mix number ``position`` (1, 2, ...) by trustee ``trustee``, signed (spec 14.2)."""

    group: Group
    election_id: str
    fingerprint: bytes
    position: int
    trustee: int
    questions: tuple[MixedQuestion, ...]
    signature: Proof


@dataclass(frozen=True, slots=True)
class MixedShare:
    """Trustee ``trustee``'s factors alpha^{s_j}, one per ciphertext of the last mix's outputs
    (questions in order, then answers, then options: :func:`mixed_columns` order)."""

    trustee: int
    factors: tuple[Element, ...]
    proofs: tuple[Proof, ...]


@dataclass(frozen=True, slots=True)
class MixedDecryption:
    """The decrypted answers per mixnet question (mixed order), and who was combined."""

    questions: tuple[int, ...]
    answers: tuple[tuple[tuple[int, ...], ...], ...]
    trustees: tuple[int, ...]
    rejected: tuple[tuple[int, str], ...]


# -- the input ----------------------------------------------------------------------------------


def mixnet_questions(manifest: Manifest) -> tuple[int, ...]:
    """The indices of the questions counted by the mixnet (spec 14.1), increasing."""
    return tuple(q for q, question in enumerate(manifest.questions) if question.counted_by_mixnet)


def mix_input(election: Election, counted_ballots: Iterable[_Ballot]) -> MixInput:
    """The mix input of ``election``: its counted ballots' answers to every mixnet question.

    ``counted_ballots`` are the counted ballots (spec 10.6: the last ballot of each
    credential), in board order, already checked (the board checks on casting, the verifier
    on the record).
    """
    questions = mixnet_questions(election.manifest)
    return mix_input_of(
        election.group,
        election.election_id,
        election.fingerprint,
        questions,
        (ballot.ciphertexts() for ballot in counted_ballots),
        tuple(len(election.manifest.questions[q].options) for q in questions),
    )


def mix_input_of(
    group: Group,
    election_id: str,
    fingerprint: bytes,
    questions: Sequence[int],
    ballots: Iterable[Sequence[Sequence[Ciphertext]]],
    widths: Sequence[int],
) -> MixInput:
    """The mix input from each counted ballot's ciphertexts (per question, per option)."""
    answers: list[list[Answer]] = [[] for _ in questions]
    for b, rows in enumerate(ballots):
        for column, (q, width) in enumerate(zip(questions, widths, strict=True)):
            if q >= len(rows) or len(rows[q]) != width:
                raise InvalidInput(
                    f"counted ballot #{b}: question {q} does not have its {width} ciphertexts"
                )
            answer = tuple(rows[q])
            for ciphertext in answer:
                if ciphertext.alpha.group is not group or ciphertext.beta.group is not group:
                    raise InvalidInput(f"counted ballot #{b}: a ciphertext of another group")
            answers[column].append(answer)
    return MixInput(
        group, election_id, fingerprint, tuple(questions), tuple(tuple(a) for a in answers)
    )


def required_mixes(ceremony: CeremonyResult) -> int:
    """How many mixes, by distinct trustees, a chain needs: max(2, t), and 1 when n = 1.

    With fewer than t trustees colluding (the threshold's own assumption), max(2, t) distinct
    mixers include an honest one, whose secret permutation unlinks answers from ballots.
    """
    trustees = len(ceremony.verification_keys)
    return min(trustees, max(2, ceremony.threshold))


def _check_source(election: Election, source: MixInput) -> None:
    if (
        source.group is not election.group
        or source.election_id != election.election_id
        or source.fingerprint != election.fingerprint
    ):
        raise ContextMismatch("mix input: of another election")
    if source.questions != mixnet_questions(election.manifest):
        raise ContextMismatch(
            f"mix input: questions {list(source.questions)}, the election's mixnet questions are"
            f" {list(mixnet_questions(election.manifest))}"
        )
    if len({len(answers) for answers in source.answers}) > 1:
        raise InvalidInput("mix input: questions with different numbers of answers")
    for q, answers in zip(source.questions, source.answers, strict=True):
        width = len(election.manifest.questions[q].options)
        for i, answer in enumerate(answers):
            if len(answer) != width:
                raise InvalidInput(
                    f"mix input: question {q} answer {i} has {len(answer)} ciphertexts for"
                    f" {width} options"
                )


def mixed_outputs(source: MixInput, mixes: Sequence[Mix]) -> tuple[tuple[Answer, ...], ...]:
    """The last mix's outputs per question (the input when no mix): what the next mix
    shuffles, and, for the whole chain, what is decrypted."""
    if not mixes:
        return source.answers
    return tuple(item.outputs for item in mixes[-1].questions)


# -- mixing -------------------------------------------------------------------------------------


def mix_context(fingerprint: bytes, position: int, question: int) -> ProofContext:
    """The proof of shuffle's context: the fingerprint and ("mix", k, "question", q)."""
    return ProofContext(fingerprint, ("mix", position, "question", question))


def signature_context(fingerprint: bytes, position: int, trustee: int, body: bytes) -> ProofContext:
    """The signature's context: ("mix", k, "trustee", j, digest32(MIX, unsigned document))."""
    return ProofContext(
        fingerprint, ("mix", position, "trustee", trustee, digest32(Purpose.MIX, body))
    )


def compute_mix(
    election: Election,
    ceremony: CeremonyResult,
    trustee_share: TrusteeShare,
    mix_input: MixInput,
    previous_mixes: Sequence[Mix],
) -> Mix:
    """Trustee ``trustee_share``'s mix, next after ``previous_mixes`` (spec 14.2).

    The previous mixes are checked first (:func:`check_mix_chain` without the length rule): a
    trustee mixes only on a chain the verifier would accept. ``mix_input`` should be the one
    recomputed from the board (``evote.tallying.board_mix_input``), as the verifier does.
    Raises InvalidInput for a share that is not the ceremony's, or a trustee that already
    mixed; InvalidInput when the input holds no answer (nothing to mix: no counted ballot).
    """
    _check_source(election, mix_input)
    group = election.group
    j = trustee_share.index
    if (
        trustee_share.group is not group
        or ceremony.verification_key_map().get(j) != trustee_share.verification_key
        or group.base_exp_secret(trustee_share.share) != trustee_share.verification_key
    ):
        raise InvalidInput(f"trustee {j}: the share is not this ceremony's trustee {j}")
    if mix_input.size == 0:
        raise InvalidInput("mix: no counted ballot, nothing to mix (the chain stays empty)")
    if any(mix.trustee == j for mix in previous_mixes):
        raise InvalidInput(f"trustee {j} has mixed already: the chain needs distinct trustees")
    check_mix_chain(election, ceremony, mix_input, previous_mixes, complete=False)
    position = len(previous_mixes) + 1
    key = PublicKey(group, election.public_key.element)
    questions = []
    for q, inputs in zip(
        mix_input.questions, mixed_outputs(mix_input, previous_mixes), strict=True
    ):
        shuffled = shuffle(key, inputs)
        proof = prove_shuffle(key, mix_context(election.fingerprint, position, q), inputs, shuffled)
        questions.append(MixedQuestion(q, shuffled.outputs, proof))
    unsigned = Mix(
        group,
        election.election_id,
        election.fingerprint,
        position,
        j,
        tuple(questions),
        Proof(0, 0),
    )
    return sign_mix(unsigned, trustee_share)


def sign_mix(mix: Mix, trustee_share: TrusteeShare) -> Mix:
    """``mix`` signed by its trustee: a Schnorr proof of knowledge of s_j (spec 4.2, 14.2)
    bound to ("mix", k, "trustee", j, digest32(MIX, the document without its signature))."""
    if trustee_share.index != mix.trustee or trustee_share.group is not mix.group:
        raise InvalidInput(f"mix {mix.position}: trustee {mix.trustee} signs its own mix only")
    context = signature_context(mix.fingerprint, mix.position, mix.trustee, _unsigned_bytes(mix))
    signature = prove_schnorr(
        mix.group, Purpose.MIX, context, trustee_share.share, trustee_share.verification_key
    )
    return replace(mix, signature=signature)


def check_mix_signature(mix: Mix, ceremony: CeremonyResult) -> None:
    """The mix's Schnorr signature by its trustee's K_j; InvalidSignature otherwise."""
    where = f"mix {mix.position}"
    key = ceremony.verification_key_map().get(mix.trustee)
    if key is None:
        raise InvalidSignature(f"{where}: trustee {mix.trustee} is not a trustee of the ceremony")
    context = signature_context(mix.fingerprint, mix.position, mix.trustee, _unsigned_bytes(mix))
    try:
        check_schnorr(mix.group, Purpose.MIX, context, key, mix.signature, f"{where} signature")
    except InvalidProof as fault:
        raise InvalidSignature(
            f"{where}: the signature does not verify with trustee {mix.trustee}'s key ({fault})"
        ) from None


def check_mix_chain(
    election: Election,
    ceremony: CeremonyResult,
    mix_input: MixInput,
    mixes: Sequence[Mix],
    *,
    complete: bool = True,
) -> None:
    """Check the chain of ``mixes`` on ``mix_input`` (spec 14.3), in this order per mix:

    its election (ContextMismatch), its position k (ContextMismatch), its signature by a
    trustee of the ceremony (InvalidSignature), a trustee that has not mixed before
    (InvalidProof), its questions (ContextMismatch), and every proof of shuffle against the
    previous outputs (InvalidProof). Then, if ``complete``, the length: at least
    :func:`required_mixes` mixes, or none when the input holds no answer (InvalidProof).
    """
    _check_source(election, mix_input)
    seen: set[int] = set()
    key = PublicKey(election.group, election.public_key.element)
    if mix_input.size == 0 and mixes:
        raise InvalidProof("mix 1: there is no counted ballot, the chain must be empty")
    for index, mix in enumerate(mixes):
        k = index + 1
        where = f"mix {k}"
        if (
            mix.group is not election.group
            or mix.election_id != election.election_id
            or mix.fingerprint != election.fingerprint
        ):
            raise ContextMismatch(f"{where}: of another election")
        if mix.position != k:
            raise ContextMismatch(f"{where}: states position {mix.position}")
        check_mix_signature(mix, ceremony)
        if mix.trustee in seen:
            raise InvalidProof(
                f"{where}: trustee {mix.trustee} mixed already; the chain needs distinct trustees"
            )
        seen.add(mix.trustee)
        if tuple(item.question for item in mix.questions) != mix_input.questions:
            raise ContextMismatch(
                f"{where}: mixes questions {[item.question for item in mix.questions]}, expected"
                f" {list(mix_input.questions)}"
            )
        for item, inputs in zip(
            mix.questions, mixed_outputs(mix_input, mixes[:index]), strict=True
        ):
            check_shuffle(
                key,
                mix_context(election.fingerprint, k, item.question),
                inputs,
                item.outputs,
                item.proof,
                f"{where} question {item.question}",
            )
    if complete and mix_input.size > 0:
        needed = required_mixes(ceremony)
        if len(mixes) < needed:
            raise InvalidProof(
                f"{len(mixes)} mixes, the chain needs at least {needed} by distinct trustees"
                f" (max(2, t) with t = {ceremony.threshold})"
            )


# -- decryption of the mixed answers ------------------------------------------------------------


def mixed_columns(source: MixInput, mixes: Sequence[Mix]) -> list[tuple[int, int, int, Ciphertext]]:
    """Every ciphertext to decrypt with its place: (question, answer, option, ciphertext)."""
    return [
        (q, i, o, ciphertext)
        for q, answers in zip(source.questions, mixed_outputs(source, mixes), strict=True)
        for i, answer in enumerate(answers)
        for o, ciphertext in enumerate(answer)
    ]


def mixed_share_context(
    fingerprint: bytes, trustee: int, question: int, answer: int, option: int, beta: Element
) -> ProofContext:
    """("trustee", j, "mixed", q, "answer", i, "option", o, "beta", B) (spec 14.4)."""
    return ProofContext(
        fingerprint,
        ("trustee", trustee, "mixed", question, "answer", answer, "option", option, "beta", beta),
    )


#: Mixed ciphertexts per task when a share is computed or checked on an executor.
MIXED_CHUNK: Final = 1000

#: One mixed ciphertext with its place: (question, answer, option, ciphertext).
_Column = tuple[int, int, int, Ciphertext]


def _prove_columns(
    group_name: str,
    fingerprint: bytes,
    trustee: int,
    secret: int,
    verification_key: Element,
    columns: Sequence[_Column],
) -> list[tuple[Element, Proof]]:
    """The factors and proofs of ``columns`` (a task: top-level so that it pickles)."""
    group = group_by_name(group_name)
    found = []
    for q, i, o, ciphertext in columns:
        context = mixed_share_context(fingerprint, trustee, q, i, o, ciphertext.beta)
        found.append(prove_decryption_factor(group, secret, verification_key, ciphertext, context))
    return found


def _check_columns(
    group_name: str,
    fingerprint: bytes,
    trustee: int,
    verification_key: Element,
    items: Sequence[tuple[_Column, Element, Proof]],
) -> None:
    """Check the factors and proofs of ``items`` (a task); InvalidProof names the first bad one."""
    group = group_by_name(group_name)
    for (q, i, o, ciphertext), factor, proof in items:
        check_decryption_factor(
            group,
            verification_key,
            ciphertext,
            factor,
            proof,
            mixed_share_context(fingerprint, trustee, q, i, o, ciphertext.beta),
            f"trustee {trustee}: mixed decryption of question {q} answer {i} option {o}",
        )


def _chunked(items: Sequence[_Item], size: int) -> list[Sequence[_Item]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def compute_mixed_share(
    election: Election,
    trustee_share: TrusteeShare,
    mix_input: MixInput,
    mixes: Sequence[Mix],
    *,
    executor: Executor | None = None,
) -> MixedShare:
    """alpha^{s_j} with a Chaum–Pedersen proof for every ciphertext of the last outputs.

    The proofs are the cost (one per ciphertext): with an ``executor`` (the trustee's own
    process pool: the tasks carry its secret share) they are computed in chunks of
    :data:`MIXED_CHUNK`. The caller checks the chain first (:func:`check_mix_chain`): a trustee
    decrypts only the outputs of a chain that holds (``evote.tallying`` does).
    """
    group = election.group
    j = trustee_share.index
    if trustee_share.group is not group:
        raise InvalidInput(f"trustee {j}: the share is of another group")
    if group.base_exp_secret(trustee_share.share) != trustee_share.verification_key:
        raise InvalidInput(f"trustee {j}: the share does not match the verification key")
    columns = mixed_columns(mix_input, mixes)
    arguments = (group.name, election.fingerprint, j, trustee_share.share)
    key = trustee_share.verification_key
    if executor is None:
        found = _prove_columns(*arguments, key, columns)
    else:
        tasks = [
            executor.submit(_prove_columns, *arguments, key, chunk)
            for chunk in _chunked(columns, MIXED_CHUNK)
        ]
        found = [item for task in tasks for item in task.result()]
    return MixedShare(j, tuple(f for f, _ in found), tuple(p for _, p in found))


def check_mixed_share(
    election: Election,
    share: MixedShare,
    verification_key: Element,
    mix_input: MixInput,
    mixes: Sequence[Mix],
    *,
    executor: Executor | None = None,
) -> None:
    """Every factor's proof against K_j; InvalidProof naming trustee, question, answer, option
    (the first bad one in column order, also on an ``executor``, in chunks of
    :data:`MIXED_CHUNK`)."""
    j = share.trustee
    columns = mixed_columns(mix_input, mixes)
    if len(share.factors) != len(columns) or len(share.proofs) != len(columns):
        raise InvalidProof(
            f"trustee {j}: {len(share.factors)} mixed factors and {len(share.proofs)} proofs for"
            f" {len(columns)} mixed ciphertexts"
        )
    items = list(zip(columns, share.factors, share.proofs, strict=True))
    arguments = (election.group.name, election.fingerprint, j, verification_key)
    if executor is None:
        _check_columns(*arguments, items)
        return
    tasks = [
        executor.submit(_check_columns, *arguments, chunk) for chunk in _chunked(items, MIXED_CHUNK)
    ]
    try:
        for task in tasks:
            task.result()
    finally:
        for task in tasks:
            task.cancel()


def combine_mixed_shares(
    election: Election,
    ceremony: CeremonyResult,
    mix_input: MixInput,
    mixes: Sequence[Mix],
    shares: Sequence[MixedShare],
    maxima: Mapping[int, int],
    *,
    checked: bool = False,
) -> MixedDecryption:
    """The answers in the clear from t valid shares (spec 14.4), as the tally's combination.

    Shares are judged as in section 9.3 (unknown trustee, repeated trustee, bad proof: left
    out with the reason); the valid shares of the t lowest indices are combined with the
    Lagrange coefficients at 0; each value is the discrete logarithm in [0, maxima[q]]
    (TallyOutOfRange beyond). Fewer than t valid shares: InsufficientShares. ``checked``: the
    caller has just checked every share (:func:`check_mixed_share`); they are not checked again.
    """
    group = election.group
    keys = ceremony.verification_key_map()
    valid: dict[int, MixedShare] = {}
    rejected: list[tuple[int, str]] = []
    for share in shares:
        j = share.trustee
        if j in valid:
            rejected.append((j, f"trustee {j}: a share from it is already counted"))
            continue
        key = keys.get(j)
        if key is None:
            rejected.append((j, f"trustee {j}: no such trustee in the ceremony"))
            continue
        try:
            if not checked:
                check_mixed_share(election, share, key, mix_input, mixes)
        except InvalidProof as fault:
            rejected.append((j, str(fault)))
            continue
        valid[j] = share
    chosen = combination_of(valid, ceremony.threshold, rejected)
    coefficients = lagrange_coefficients(list(chosen), group.order)
    per_question: dict[int, list[list[int]]] = {q: [] for q in mix_input.questions}
    for column, (q, i, o, ciphertext) in enumerate(mixed_columns(mix_input, mixes)):
        alpha_s = group.product(
            group.exp(valid[j].factors[column], coefficients[j]) for j in chosen
        )
        value = discrete_log(
            ciphertext.beta / alpha_s, maxima[q], f"question {q} mixed answer {i} option {o}"
        )
        rows = per_question[q]
        if o == 0:
            rows.append([])
        rows[i].append(value)
    return MixedDecryption(
        mix_input.questions,
        tuple(tuple(tuple(row) for row in per_question[q]) for q in mix_input.questions),
        chosen,
        tuple(rejected),
    )


def combination_of(
    valid: Mapping[int, object], threshold: int, rejected: Sequence[tuple[int, str]]
) -> tuple[int, ...]:
    """The t lowest valid trustees; InsufficientShares naming the rejections if too few."""
    if len(valid) < threshold:
        reasons = "; ".join(reason for _, reason in rejected)
        raise InsufficientShares(
            f"{len(valid)} valid mixed decryption shares (trustees {sorted(valid)}), the"
            f" threshold is {threshold}" + (f"; rejected: {reasons}" if reasons else "")
        )
    return tuple(sorted(valid)[:threshold])


# -- JSON -----------------------------------------------------------------------------------------


def _scalar(value: int) -> str:
    return jsonstrict.b64encode(Group.scalar_to_bytes(value))


def _answers_obj(answers: Sequence[Answer]) -> list[list[list[str]]]:
    return [
        [
            [jsonstrict.b64encode(c.alpha.to_bytes()), jsonstrict.b64encode(c.beta.to_bytes())]
            for c in answer
        ]
        for answer in answers
    ]


def _mix_obj(mix: Mix, signed: bool) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "kind": MIX_KIND,
        "version": VERSION,
        "group": mix.group.name,
        "election_id": mix.election_id,
        "fingerprint": jsonstrict.b64encode(mix.fingerprint),
        "position": mix.position,
        "trustee": mix.trustee,
        "questions": [
            {
                "question": item.question,
                "outputs": _answers_obj(item.outputs),
                "proof": jsonstrict.loads(shuffle_proof_to_json(mix.group, item.proof), "proof"),
            }
            for item in mix.questions
        ],
    }
    if signed:
        obj["signature"] = {
            "challenge": _scalar(mix.signature.challenge),
            "response": _scalar(mix.signature.response),
        }
    return obj


def _unsigned_bytes(mix: Mix) -> bytes:
    """The canonical bytes of the mix document without its ``signature`` (what is signed)."""
    return jsonstrict.dumps(_mix_obj(mix, signed=False))


def mix_to_json_obj(mix: Mix) -> dict[str, Any]:
    """The mix document as a JSON object (an item of tally.json's ``mixes``)."""
    return _mix_obj(mix, signed=True)


def mix_to_json(mix: Mix) -> bytes:
    """The mix document's canonical JSON (spec 14.2)."""
    return jsonstrict.dumps(mix_to_json_obj(mix))


def _read_answers(
    group: Group, value: Any, where: str, minimum: int, maximum: int
) -> tuple[Answer, ...]:
    rows = _READ.array(value, where, minimum, maximum)
    raw: list[bytes] = []
    widths: list[int] = []
    for i, row in enumerate(rows):
        answer = _READ.array(row, f"{where}[{i}]", 1, MAX_WIDTH)
        widths.append(len(answer))
        for o, pair in enumerate(answer):
            items = _READ.exact_array(pair, f"{where}[{i}][{o}]", 2)
            raw.append(_READ.b64(items[0], f"{where}[{i}][{o}][0]", group.element_size))
            raw.append(_READ.b64(items[1], f"{where}[{i}][{o}][1]", group.element_size))
    elements = iter(group.decode_many(raw, where))
    return tuple(
        tuple(Ciphertext(next(elements), next(elements)) for _ in range(width)) for width in widths
    )


def _read_header(obj: dict[str, Any], kind: str, where: str) -> tuple[Group, str, bytes]:
    if obj["kind"] != kind:
        _READ.fail(f"{where}.kind", f"expected {kind!r}, got {obj['kind']!r}")
    _READ.integer(obj["version"], f"{where}.version", VERSION, VERSION)
    group = group_by_name(_READ.string(obj["group"], f"{where}.group"))
    return (
        group,
        _READ.string(obj["election_id"], f"{where}.election_id"),
        _READ.b64(obj["fingerprint"], f"{where}.fingerprint", 32),
    )


def _expect_election(election: Election, header: tuple[Group, str, bytes], where: str) -> None:
    group, election_id, fingerprint = header
    if (
        group is not election.group
        or election_id != election.election_id
        or fingerprint != election.fingerprint
    ):
        raise ContextMismatch(f"{where}: belongs to another election or group")


def mix_from_json_obj(election: Election, obj: Any, where: str = "mix") -> Mix:
    """Decode a mix document object strictly (elements and scalars validated); the chain
    still has to pass :func:`check_mix_chain`."""
    fields = _READ.object(
        obj,
        where,
        (
            "kind",
            "version",
            "group",
            "election_id",
            "fingerprint",
            "position",
            "trustee",
            "questions",
            "signature",
        ),
    )
    header = _read_header(fields, MIX_KIND, where)
    _expect_election(election, header, where)
    group = election.group
    questions = []
    for i, value in enumerate(_READ.array(fields["questions"], f"{where}.questions", 1, 1000)):
        here = f"{where}.questions[{i}]"
        item = _READ.object(value, here, ("question", "outputs", "proof"))
        questions.append(
            MixedQuestion(
                _READ.integer(item["question"], f"{here}.question", 0, 999),
                _read_answers(group, item["outputs"], f"{here}.outputs", 1, MAX_ANSWERS),
                shuffle_proof_from_json(jsonstrict.dumps(item["proof"]), group, f"{here}.proof"),
            )
        )
    signature = _READ.object(fields["signature"], f"{where}.signature", ("challenge", "response"))
    return Mix(
        group,
        election.election_id,
        election.fingerprint,
        _READ.integer(fields["position"], f"{where}.position", 1, 1000),
        _READ.integer(fields["trustee"], f"{where}.trustee", 1, 1000),
        tuple(questions),
        Proof(
            group.scalar_from_bytes(
                _READ.b64(signature["challenge"], f"{where}.signature.challenge", 32),
                f"{where}.signature.challenge",
            ),
            group.scalar_from_bytes(
                _READ.b64(signature["response"], f"{where}.signature.response", 32),
                f"{where}.signature.response",
            ),
        ),
    )


def mix_from_json(election: Election, data: bytes, where: str = "mix") -> Mix:
    """Decode a mix document's canonical JSON strictly (see :func:`mix_from_json_obj`)."""
    return mix_from_json_obj(election, jsonstrict.loads(data, where), where)


def mix_input_to_json(source: MixInput) -> bytes:
    """``{"kind": "mix-input", "version", "group", "election_id", "fingerprint",
    "questions": [{"question", "answers"}]}`` (spec 14.1): what a trustee mixes."""
    return jsonstrict.dumps(
        {
            "kind": MIX_INPUT_KIND,
            "version": VERSION,
            "group": source.group.name,
            "election_id": source.election_id,
            "fingerprint": jsonstrict.b64encode(source.fingerprint),
            "questions": [
                {"question": q, "answers": _answers_obj(answers)}
                for q, answers in zip(source.questions, source.answers, strict=True)
            ],
        }
    )


def mix_input_from_json(election: Election, data: bytes, where: str = "mix input") -> MixInput:
    """Decode strictly; it must be ``election``'s (the verifier recomputes it from the board)."""
    fields = _READ.object(
        jsonstrict.loads(data, where),
        where,
        ("kind", "version", "group", "election_id", "fingerprint", "questions"),
    )
    _expect_election(election, _read_header(fields, MIX_INPUT_KIND, where), where)
    questions = []
    answers = []
    for i, value in enumerate(_READ.array(fields["questions"], f"{where}.questions", 0, 1000)):
        here = f"{where}.questions[{i}]"
        item = _READ.object(value, here, ("question", "answers"))
        questions.append(_READ.integer(item["question"], f"{here}.question", 0, 999))
        answers.append(
            _read_answers(election.group, item["answers"], f"{here}.answers", 0, MAX_ANSWERS)
        )
    source = MixInput(
        election.group,
        election.election_id,
        election.fingerprint,
        tuple(questions),
        tuple(answers),
    )
    _check_source(election, source)
    return source


__all__ = [
    "Mix",
    "MixInput",
    "MixedDecryption",
    "MixedQuestion",
    "MixedShare",
    "check_mix_chain",
    "check_mix_signature",
    "check_mixed_share",
    "combine_mixed_shares",
    "compute_mix",
    "compute_mixed_share",
    "mix_from_json",
    "mix_from_json_obj",
    "mix_input",
    "mix_input_from_json",
    "mix_input_of",
    "mix_input_to_json",
    "mix_to_json",
    "mix_to_json_obj",
    "mixed_columns",
    "mixed_outputs",
    "mixnet_questions",
    "required_mixes",
    "sign_mix",
]
