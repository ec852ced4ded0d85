"""Threshold key generation: n trustees, threshold t (docs/spec.md section 8).

The protocol is Pedersen's distributed key generation ("A threshold cryptosystem without a
trusted party", EUROCRYPT 1991) with Feldman's verifiable secret sharing ("A practical scheme
for non-interactive verifiable secret sharing", FOCS 1987), hardened in two ways:

* each Feldman commitment C_{i,k} = g^{a_{i,k}} carries a Schnorr proof of knowledge of
  a_{i,k}, bound to the ceremony context and to ("trustee", i, "coefficient", k), so that no
  trustee can publish a commitment derived from the others' ("rogue key");
* a commit-then-reveal round: every trustee first publishes the hash of its commitments and
  proofs, and reveals them only once every hash is in. Gennaro, Jarecki, Krawczyk and Rabin
  ("Secure distributed key generation for discrete-log based cryptosystems", J. Cryptology
  20(1), 2007) show that in plain Pedersen DKG a trustee who sees the others' commitments first
  can bias the joint key; here a trustee is bound to its polynomial before it sees anything,
  and any fault stops the ceremony instead of disqualifying someone, so the only choice left to
  a cheater is to abort, which names it.

Complaints are judged as in the complaint round of Pedersen's DKG analysed by Gennaro,
Jarecki, Krawczyk and Rabin (EUROCRYPT 1999; J. Cryptology 2007): the accused publishes the
disputed share, everyone checks it against the accused's commitments, and the public messages
name the cheater. A share that fails names the accused and stops the ceremony (no trustee is
disqualified: dropping a dealer after the reveal would let it choose between two joint keys,
the very bias the commit-then-reveal round removes); a share that holds names the complainer,
and the ceremony continues with the published share, the complaint and the answer in the
transcript. A false complaint thus neither stops the ceremony nor changes the joint key.

Steps, each a function of public messages and the trustee's own secrets:

1. :class:`Announcement` (index, X25519 transport key) from every trustee ->
   :func:`ceremony_setup` checks n, t and the indices and fixes the ceremony context
   digest32(CEREMONY_TRANSCRIPT, "context", group, election id, n, t, [(index, key)...]).
2. :func:`make_commitments` and :func:`commitment_hash` -> each trustee publishes a
   :class:`CommitmentHash`.
3. Once all hashes are in, each trustee reveals its :class:`TrusteeCommitments`;
   :func:`check_commitments` checks their number, proofs and hashes.
4. :func:`seal_shares`: f_i(j) to trustee j, sealed by :mod:`evote.ceremony.transport`.
5. :func:`receive_shares`: trustee j opens and checks g^{f_i(j)} = prod_k C_{i,k}^{j^k}
   and files a signed :class:`Complaint` naming the sender of any bad share.
5a. :func:`answer_complaint`: the accused i publishes the disputed share f_i(j) as a signed
   :class:`Answer`; :func:`judge_complaints` turns the public complaints and answers into
   :class:`Verdict` objects (the same for everyone) and :func:`raise_for_cheaters` stops the
   ceremony on an upheld one. Trustee j's secret share is s_j = sum_i f_i(j), with the
   published f_i(j) for a dismissed complaint.
6. :func:`compute_transcript_hash` over every public message (complaints and answers
   included); each trustee publishes a :class:`Confirmation`: a Schnorr proof of s_j against
   its verification key K_j, bound to the transcript hash and ("confirm", j).
7. :func:`finalize_ceremony` -> :class:`CeremonyResult` (joint key K = prod_i C_{i,0}, K_j,
   transcript hash, confirmations), re-checked from scratch by :func:`check_ceremony_result`.

:class:`Trustee` runs the steps for one trustee in memory and refuses them out of order;
:func:`run_ceremony` runs all trustees in one process; :mod:`evote.ceremony.files` runs the
same steps one trustee per machine, exchanging files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from evote.ceremony import stages
from evote.ceremony.stages import Stage
from evote.ceremony.transport import (
    ShareContext,
    TransportKeyPair,
    check_public_key,
    open_share,
    seal_share,
)
from evote.crypto.elgamal import PublicKey
from evote.crypto.encoding import Value
from evote.crypto.groups import Element, Group
from evote.crypto.hashing import Purpose, digest32
from evote.crypto.proofs import Proof, ProofContext, check_schnorr, prove_schnorr
from evote.crypto.shamir import evaluate_polynomial, random_polynomial
from evote.errors import CeremonyError, InvalidInput, InvalidProof, InvalidShare

# More trustees than this is not a ceremony anyone runs; it bounds what a file can ask for.
MAX_TRUSTEES = 1000


# -- public messages --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Announcement:
    """Step 1: a trustee's index and its X25519 transport public key."""

    index: int
    transport_key: bytes


@dataclass(frozen=True, slots=True)
class CeremonySetup:
    """The ceremony's fixed parameters, checked: what every later step is bound to.

    ``transport_keys[i - 1]`` is trustee i's transport key.
    """

    group: Group
    election_id: str
    trustee_count: int
    threshold: int
    transport_keys: tuple[bytes, ...]
    context: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_parameters(self.trustee_count, self.threshold)
        if not isinstance(self.election_id, str) or not self.election_id:
            raise CeremonyError("ceremony: election_id must be a non-empty string")
        if len(self.transport_keys) != self.trustee_count:
            raise CeremonyError(
                f"ceremony: {len(self.transport_keys)} transport keys for"
                f" {self.trustee_count} trustees"
            )
        for index, key in self.indexed_keys():
            try:
                check_public_key(key, name=f"trustee {index}: transport key")
            except InvalidInput as error:
                raise CeremonyError(str(error)) from None
        seen: dict[bytes, int] = {}
        for index, key in self.indexed_keys():
            if key in seen:
                raise CeremonyError(
                    f"trustee {index}: transport key is the same as trustee {seen[key]}'s"
                )
            seen[key] = index
        context = digest32(
            Purpose.CEREMONY_TRANSCRIPT,
            "context",
            self.group.name,
            self.election_id,
            self.trustee_count,
            self.threshold,
            [[index, key] for index, key in self.indexed_keys()],
        )
        object.__setattr__(self, "context", context)

    @property
    def indices(self) -> range:
        """The trustee indices 1..n."""
        return range(1, self.trustee_count + 1)

    def indexed_keys(self) -> list[tuple[int, bytes]]:
        return list(zip(self.indices, self.transport_keys, strict=True))

    def transport_key(self, index: int) -> bytes:
        return self.transport_keys[index - 1]

    def coefficient_context(self, index: int, k: int) -> ProofContext:
        """Where the proof of knowledge of a_{index,k} belongs."""
        return ProofContext(self.context, ("trustee", index, "coefficient", k))


@dataclass(frozen=True, slots=True)
class CommitmentHash:
    """Step 2: the hash of a trustee's commitments and proofs, published before them."""

    index: int
    digest: bytes


@dataclass(frozen=True, slots=True)
class TrusteeCommitments:
    """Step 3: Feldman commitments g^{a_k} (k = 0..t-1) with a Schnorr proof for each."""

    index: int
    commitments: tuple[Element, ...]
    proofs: tuple[Proof, ...]


@dataclass(frozen=True, slots=True)
class SealedShare:
    """Step 4: f_sender(recipient), sealed for the recipient (see transport.seal_share)."""

    sender: int
    recipient: int
    sealed: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class Complaint:
    """Step 5: trustee ``accuser`` says the share that ``accused`` sent it is bad.

    ``proof`` signs it: a Schnorr proof of a_{accuser,0} against C_{accuser,0}, bound to the
    ceremony context and ("trustee", accuser, "complaint", accused, reason), so that nobody
    else can file a complaint in the accuser's name (docs/spec.md section 8.2.4).
    """

    accuser: int
    accused: int
    reason: str
    proof: Proof


@dataclass(frozen=True, slots=True)
class Answer:
    """Step 5a: the accused publishes the share f_accused(accuser) it says it sent.

    Public on purpose: the accuser knows it anyway, and everyone must check it. ``proof``
    signs it under C_{accused,0}, bound to ("trustee", accused, "answer", accuser, share), so
    that a failing answer proves the accused itself published it.
    """

    accused: int
    accuser: int
    share: int
    proof: Proof


@dataclass(frozen=True, slots=True)
class Verdict:
    """The judgement of one complaint, computed by anyone from the public messages.

    ``upheld``: the published share fails the accused's commitments, the accused cheated.
    Otherwise the complaint was false (or its share lost on the way): the complainer is named
    and takes the published share.
    """

    accuser: int
    accused: int
    upheld: bool

    @property
    def cheater(self) -> int:
        """The trustee this verdict names: the accused if upheld, else the complainer."""
        return self.accused if self.upheld else self.accuser

    def describe(self) -> str:
        if self.upheld:
            return (
                f"trustee {self.accused}: cheated: the share it published for trustee"
                f" {self.accuser} does not match its commitments (trustee {self.accuser}'s"
                " complaint holds)"
            )
        return (
            f"trustee {self.accuser}: its complaint about trustee {self.accused} is false: the"
            f" share trustee {self.accused} published checks against its commitments (trustee"
            f" {self.accuser} lied, or lost the share on the way; it takes the published one)"
        )


@dataclass(frozen=True, slots=True)
class Confirmation:
    """Step 6: trustee ``index`` proves it holds the share behind K_index, over the transcript."""

    index: int
    proof: Proof


@dataclass(frozen=True, slots=True)
class CeremonyResult:
    """Everything public that the ceremony produced: enough to check it from scratch."""

    setup: CeremonySetup
    commitment_hashes: tuple[CommitmentHash, ...]
    commitments: tuple[TrusteeCommitments, ...]
    joint_key: Element
    verification_keys: tuple[Element, ...]
    transcript_hash: bytes
    confirmations: tuple[Confirmation, ...]
    # The dismissed complaints and their answers (empty when nobody complained), in the
    # transcript's order; a ceremony with an upheld complaint has no result.
    complaints: tuple[Complaint, ...] = ()
    answers: tuple[Answer, ...] = ()

    @property
    def group(self) -> Group:
        return self.setup.group

    @property
    def public_key(self) -> PublicKey:
        """The election public key K."""
        return PublicKey(self.setup.group, self.joint_key)

    @property
    def threshold(self) -> int:
        return self.setup.threshold

    def verification_key(self, index: int) -> Element:
        """K_index = g^{s_index}: what trustee ``index``'s decryption shares are checked against."""
        if type(index) is not int or index not in self.setup.indices:
            raise InvalidInput(f"no trustee {index!r} in a ceremony of {self.setup.trustee_count}")
        return self.verification_keys[index - 1]

    def verification_key_map(self) -> dict[int, Element]:
        return dict(zip(self.setup.indices, self.verification_keys, strict=True))


@dataclass(frozen=True, slots=True)
class TrusteeShare:
    """A trustee's result: its secret share s_j and what it needs to take part in a tally.

    Private. Its repr never shows the share; write it out only through a key file.
    """

    group: Group
    index: int
    share: int = field(repr=False)
    verification_key: Element


# -- step 1: parameters -----------------------------------------------------------------------


def check_parameters(trustee_count: int, threshold: int) -> None:
    """1 <= t <= n <= MAX_TRUSTEES, else CeremonyError naming the bad parameter."""
    if type(trustee_count) is not int or not 1 <= trustee_count <= MAX_TRUSTEES:
        raise CeremonyError(
            f"ceremony: trustee count n = {trustee_count!r} must be in [1, {MAX_TRUSTEES}]"
        )
    if type(threshold) is not int or not 1 <= threshold <= trustee_count:
        raise CeremonyError(
            f"ceremony: threshold t = {threshold!r} must be in [1, n = {trustee_count}]"
        )


def ceremony_setup(
    group: Group,
    election_id: str,
    trustee_count: int,
    threshold: int,
    announcements: Sequence[Announcement],
) -> CeremonySetup:
    """Check the announcements (indices exactly 1..n, each once) and fix the ceremony context."""
    check_parameters(trustee_count, threshold)
    keys: dict[int, bytes] = {}
    for announcement in announcements:
        index = announcement.index
        if type(index) is not int or not 1 <= index <= trustee_count:
            raise CeremonyError(
                f"trustee {index!r}: index {index!r} is not in [1, n = {trustee_count}]"
            )
        if index in keys:
            raise CeremonyError(f"trustee {index}: index {index} is announced twice")
        keys[index] = announcement.transport_key
    missing = [i for i in range(1, trustee_count + 1) if i not in keys]
    if missing:
        raise CeremonyError(f"trustee {missing[0]}: has not announced (missing: {missing})")
    return CeremonySetup(
        group, election_id, trustee_count, threshold, tuple(keys[i] for i in sorted(keys))
    )


# -- steps 2 and 3: commitments ---------------------------------------------------------------


def draw_polynomial(setup: CeremonySetup) -> list[int]:
    """A fresh secret polynomial of degree t - 1 with a non-zero constant term."""
    return random_polynomial(setup.group.random_scalar(), setup.threshold, setup.group.order)


def make_commitments(
    setup: CeremonySetup, index: int, coefficients: Sequence[int]
) -> TrusteeCommitments:
    """Feldman commitments to ``coefficients`` with a proof of knowledge for each."""
    group = setup.group
    if len(coefficients) != setup.threshold:
        raise CeremonyError(
            f"trustee {index}: polynomial has {len(coefficients)} coefficients,"
            f" expected t = {setup.threshold}"
        )
    commitments = tuple(group.base_exp_secret(a) for a in coefficients)
    proofs = tuple(
        prove_schnorr(group, Purpose.KEY_PROOF, setup.coefficient_context(index, k), a, c)
        for k, (a, c) in enumerate(zip(coefficients, commitments, strict=True))
    )
    return TrusteeCommitments(index, commitments, proofs)


def commitment_hash(setup: CeremonySetup, commitments: TrusteeCommitments) -> CommitmentHash:
    """H("commitments", context, index, commitments, proofs): what step 2 publishes."""
    return CommitmentHash(commitments.index, _commitment_digest(setup, commitments))


def _commitment_digest(setup: CeremonySetup, commitments: TrusteeCommitments) -> bytes:
    return digest32(
        Purpose.CEREMONY_TRANSCRIPT,
        "commitments",
        setup.context,
        commitments.index,
        list(commitments.commitments),
        [[proof.challenge, proof.response] for proof in commitments.proofs],
    )


def check_commitment_hashes(
    setup: CeremonySetup, hashes: Sequence[CommitmentHash]
) -> tuple[CommitmentHash, ...]:
    """Exactly one 32-byte hash per trustee; returned in index order."""
    by_index: dict[int, CommitmentHash] = {}
    for item in hashes:
        if type(item.index) is not int or item.index not in setup.indices:
            raise CeremonyError(f"trustee {item.index!r}: commitment hash from an unknown index")
        if item.index in by_index:
            raise CeremonyError(f"trustee {item.index}: two commitment hashes")
        if not isinstance(item.digest, bytes) or len(item.digest) != 32:
            raise CeremonyError(f"trustee {item.index}: commitment hash is not 32 bytes")
        by_index[item.index] = item
    missing = [i for i in setup.indices if i not in by_index]
    if missing:
        raise CeremonyError(
            f"trustee {missing[0]}: commitment hash missing (not yet in: {missing});"
            " commitments are revealed only once every hash is in"
        )
    return tuple(by_index[i] for i in setup.indices)


def check_trustee_commitments(
    setup: CeremonySetup, expected_hash: CommitmentHash, commitments: TrusteeCommitments
) -> None:
    """One trustee's reveal: t commitments, none the identity, proofs valid, hash as committed."""
    group = setup.group
    index = commitments.index
    count = len(commitments.commitments)
    if count != setup.threshold:
        raise CeremonyError(f"trustee {index}: {count} commitments, expected t = {setup.threshold}")
    if len(commitments.proofs) != count:
        raise CeremonyError(
            f"trustee {index}: {len(commitments.proofs)} proofs for {count} commitments"
        )
    for k, (commitment, proof) in enumerate(
        zip(commitments.commitments, commitments.proofs, strict=True)
    ):
        if commitment.group is not group:
            raise CeremonyError(f"trustee {index}: commitment {k} is not in {group.name}")
        if commitment == group.identity:
            raise CeremonyError(f"trustee {index}: commitment {k} is the identity")
        try:
            check_schnorr(
                group,
                Purpose.KEY_PROOF,
                setup.coefficient_context(index, k),
                commitment,
                proof,
                f"trustee {index}: proof of knowledge of coefficient {k}",
            )
        except InvalidProof as error:
            raise CeremonyError(str(error)) from None
    if _commitment_digest(setup, commitments) != expected_hash.digest:
        raise CeremonyError(
            f"trustee {index}: revealed commitments do not match the hash it committed to"
        )


def check_commitments(
    setup: CeremonySetup,
    hashes: Sequence[CommitmentHash],
    revealed: Sequence[TrusteeCommitments],
) -> tuple[TrusteeCommitments, ...]:
    """Every trustee's reveal, checked against its hash; returned in index order."""
    ordered_hashes = check_commitment_hashes(setup, hashes)
    by_index: dict[int, TrusteeCommitments] = {}
    for item in revealed:
        if type(item.index) is not int or item.index not in setup.indices:
            raise CeremonyError(f"trustee {item.index!r}: commitments from an unknown index")
        if item.index in by_index:
            raise CeremonyError(f"trustee {item.index}: revealed commitments twice")
        by_index[item.index] = item
    missing = [i for i in setup.indices if i not in by_index]
    if missing:
        raise CeremonyError(f"trustee {missing[0]}: commitments not revealed (missing: {missing})")
    for expected in ordered_hashes:
        check_trustee_commitments(setup, expected, by_index[expected.index])
    return tuple(by_index[i] for i in setup.indices)


# -- steps 4 and 5: shares --------------------------------------------------------------------


def share_context(setup: CeremonySetup, sender: int, recipient: int) -> ShareContext:
    return ShareContext(setup.election_id, sender, recipient)


def seal_shares(
    setup: CeremonySetup, index: int, transport: TransportKeyPair, coefficients: Sequence[int]
) -> tuple[SealedShare, ...]:
    """f_index(j), as 32 big-endian bytes, sealed for every other trustee j."""
    order = setup.group.order
    sealed = []
    for recipient in setup.indices:
        if recipient == index:
            continue
        value = evaluate_polynomial(coefficients, recipient, order)
        box = seal_share(
            transport,
            setup.transport_key(recipient),
            share_context(setup, index, recipient),
            setup.group.scalar_to_bytes(value),
        )
        sealed.append(SealedShare(index, recipient, box))
    return tuple(sealed)


def expected_share_image(setup: CeremonySetup, commitments: TrusteeCommitments, x: int) -> Element:
    """prod_k C_k^{x^k} = g^{f(x)} for the polynomial behind ``commitments`` (public exponents)."""
    group = setup.group
    order = group.order
    result = group.identity
    power = 1
    for commitment in commitments.commitments:
        result = result * group.exp(commitment, power)
        power = power * x % order
    return result


def check_share(
    setup: CeremonySetup, commitments: TrusteeCommitments, recipient: int, value: int
) -> None:
    """g^value = prod_k C_{sender,k}^{recipient^k}, else InvalidShare naming the sender."""
    group = setup.group
    sender = commitments.index
    if group.base_exp_secret(value) != expected_share_image(setup, commitments, recipient):
        raise InvalidShare(
            f"trustee {sender}: its share for trustee {recipient} does not match its commitments"
        )


@dataclass(frozen=True, slots=True)
class ReceivedShares:
    """What step 5 gives a trustee: the sum of its good shares and the complaints it files.

    ``partial`` is f_index(index) plus every share that checked; a share complained about is
    added once its answer is judged (:func:`complete_share`).
    """

    partial: int = field(repr=False)
    complaints: tuple[Complaint, ...]


def complaint_context(
    setup: CeremonySetup, accuser: int, accused: int, reason: str
) -> ProofContext:
    return ProofContext(setup.context, ("trustee", accuser, "complaint", accused, reason))


def answer_context(setup: CeremonySetup, accused: int, accuser: int, share: int) -> ProofContext:
    return ProofContext(setup.context, ("trustee", accused, "answer", accuser, share))


def make_complaint(
    setup: CeremonySetup,
    accuser: int,
    coefficients: Sequence[int],
    commitments: TrusteeCommitments,
    accused: int,
    reason: str,
) -> Complaint:
    """A complaint signed with the accuser's a_0 against its C_0 (``commitments``: its own)."""
    proof = prove_schnorr(
        setup.group,
        Purpose.KEY_PROOF,
        complaint_context(setup, accuser, accused, reason),
        coefficients[0],
        commitments.commitments[0],
    )
    return Complaint(accuser, accused, reason, proof)


def receive_shares(
    setup: CeremonySetup,
    index: int,
    transport: TransportKeyPair,
    coefficients: Sequence[int],
    commitments: Sequence[TrusteeCommitments],
    sealed: Sequence[SealedShare],
) -> ReceivedShares:
    """Open and check the n - 1 shares sent to ``index``: sum the good ones, complain of the rest.

    ``commitments`` must be the checked reveals in index order (:func:`check_commitments`).
    A share that is missing, does not open or does not match its sender's commitments gives a
    signed complaint naming the sender.
    """
    group = setup.group
    by_sender: dict[int, SealedShare] = {}
    for item in sealed:
        if item.recipient != index:
            raise CeremonyError(
                f"trustee {index}: received a share addressed to trustee {item.recipient}"
            )
        if item.sender not in setup.indices or item.sender == index:
            raise CeremonyError(f"trustee {index}: received a share from index {item.sender!r}")
        if item.sender in by_sender:
            raise CeremonyError(f"trustee {index}: received two shares from trustee {item.sender}")
        by_sender[item.sender] = item
    total = evaluate_polynomial(coefficients, index, group.order)
    complaints: list[Complaint] = []
    for sender in setup.indices:
        if sender == index:
            continue
        reason = _check_received(setup, index, transport, commitments, sender, by_sender)
        if isinstance(reason, str):
            own = commitments[index - 1]
            complaints.append(make_complaint(setup, index, coefficients, own, sender, reason))
            continue
        total = (total + reason) % group.order
    return ReceivedShares(total, tuple(complaints))


def _check_received(
    setup: CeremonySetup,
    index: int,
    transport: TransportKeyPair,
    commitments: Sequence[TrusteeCommitments],
    sender: int,
    by_sender: dict[int, SealedShare],
) -> int | str:
    """The share from ``sender`` if it checks, else the reason to complain."""
    received = by_sender.get(sender)
    if received is None:
        return "no share received"
    try:
        raw = open_share(
            transport,
            setup.transport_key(sender),
            share_context(setup, sender, index),
            received.sealed,
        )
        value = setup.group.scalar_from_bytes(raw, f"share from trustee {sender}")
        check_share(setup, commitments[sender - 1], index, value)
    except (InvalidShare, InvalidInput) as error:
        return str(error)
    return value


# -- step 5a: complaints judged ---------------------------------------------------------------


def answer_complaint(
    setup: CeremonySetup,
    index: int,
    coefficients: Sequence[int],
    commitments: Sequence[TrusteeCommitments],
    complaint: Complaint,
) -> Answer:
    """Trustee ``index``'s answer to a complaint against it: f_index(accuser), signed.

    The complaint's signature is checked first: a forged complaint would make an honest
    trustee publish the share of a trustee who never asked.
    """
    if complaint.accused != index:
        raise CeremonyError(
            f"trustee {index}: the complaint of trustee {complaint.accuser} is about trustee"
            f" {complaint.accused}, not this one"
        )
    check_complaint(setup, commitments, complaint)
    share = evaluate_polynomial(coefficients, complaint.accuser, setup.group.order)
    proof = prove_schnorr(
        setup.group,
        Purpose.KEY_PROOF,
        answer_context(setup, index, complaint.accuser, share),
        coefficients[0],
        commitments[index - 1].commitments[0],
    )
    return Answer(index, complaint.accuser, share, proof)


def _check_pair(setup: CeremonySetup, accuser: object, accused: object, what: str) -> None:
    for name, value in (("accuser", accuser), ("accused", accused)):
        if type(value) is not int or value not in setup.indices:
            raise CeremonyError(f"{what}: {name} {value!r} is not a trustee of this ceremony")
    if accuser == accused:
        raise CeremonyError(f"{what}: trustee {accuser} accuses itself")


def check_complaint(
    setup: CeremonySetup, commitments: Sequence[TrusteeCommitments], complaint: Complaint
) -> None:
    """Known trustees, not oneself, signed by the accuser; CeremonyError otherwise."""
    what = f"complaint of trustee {complaint.accuser!r} about trustee {complaint.accused!r}"
    _check_pair(setup, complaint.accuser, complaint.accused, what)
    if not isinstance(complaint.reason, str):
        raise CeremonyError(f"{what}: the reason is not text")
    try:
        check_schnorr(
            setup.group,
            Purpose.KEY_PROOF,
            complaint_context(setup, complaint.accuser, complaint.accused, complaint.reason),
            commitments[complaint.accuser - 1].commitments[0],
            complaint.proof,
            what,
        )
    except InvalidProof as error:
        raise CeremonyError(f"{error} (not signed by trustee {complaint.accuser})") from None


def check_answer(
    setup: CeremonySetup, commitments: Sequence[TrusteeCommitments], answer: Answer
) -> None:
    """Known trustees, a canonical scalar, signed by the accused; CeremonyError otherwise."""
    what = f"answer of trustee {answer.accused!r} to trustee {answer.accuser!r}"
    _check_pair(setup, answer.accuser, answer.accused, what)
    try:
        setup.group.check_scalar(answer.share, f"{what}: share")
        check_schnorr(
            setup.group,
            Purpose.KEY_PROOF,
            answer_context(setup, answer.accused, answer.accuser, answer.share),
            commitments[answer.accused - 1].commitments[0],
            answer.proof,
            what,
        )
    except (InvalidProof, InvalidInput) as error:
        raise CeremonyError(f"{error} (not signed by trustee {answer.accused})") from None


def order_complaints(
    setup: CeremonySetup,
    commitments: Sequence[TrusteeCommitments],
    complaints: Sequence[Complaint],
    answers: Sequence[Answer],
) -> tuple[tuple[Complaint, ...], tuple[Answer, ...]]:
    """Check every complaint and answer; both in (accuser, accused) order, one answer each.

    A complaint without its answer raises CeremonyError naming the accused, who must answer
    before the ceremony can be judged; an answer to no complaint is refused.
    """
    by_pair: dict[tuple[int, int], Complaint] = {}
    for complaint in complaints:
        check_complaint(setup, commitments, complaint)
        pair = (complaint.accuser, complaint.accused)
        if pair in by_pair:
            raise CeremonyError(
                f"trustee {pair[0]}: two complaints about trustee {pair[1]}"
            )
        by_pair[pair] = complaint
    answered: dict[tuple[int, int], Answer] = {}
    for answer in answers:
        check_answer(setup, commitments, answer)
        pair = (answer.accuser, answer.accused)
        if pair not in by_pair:
            raise CeremonyError(
                f"trustee {answer.accused}: answers a complaint of trustee {answer.accuser}"
                " that nobody filed"
            )
        if pair in answered:
            raise CeremonyError(
                f"trustee {answer.accused}: two answers to trustee {answer.accuser}"
            )
        answered[pair] = answer
    pending = [pair for pair in sorted(by_pair) if pair not in answered]
    if pending:
        accuser, accused = pending[0]
        raise CeremonyError(
            f"trustee {accused}: has not answered the complaint of trustee {accuser}; it must"
            " publish the disputed share ('evote trustee answer') before the complaints can be"
            f" judged (unanswered: {len(pending)})"
        )
    order = sorted(by_pair)
    return tuple(by_pair[p] for p in order), tuple(answered[p] for p in order)


def judge_complaints(
    setup: CeremonySetup,
    commitments: Sequence[TrusteeCommitments],
    complaints: Sequence[Complaint],
    answers: Sequence[Answer],
) -> tuple[Verdict, ...]:
    """One verdict per complaint, from public messages only, in (accuser, accused) order.

    ``commitments``: the checked reveals in index order. The answer's share f_i(j) is checked
    as the accuser checked the sealed one: g^{f_i(j)} = prod_k C_{i,k}^{j^k}.
    """
    _, ordered = order_complaints(setup, commitments, complaints, answers)
    verdicts = []
    for answer in ordered:
        try:
            check_share(setup, commitments[answer.accused - 1], answer.accuser, answer.share)
            upheld = False
        except InvalidShare:
            upheld = True
        verdicts.append(Verdict(answer.accuser, answer.accused, upheld))
    return tuple(verdicts)


def raise_for_cheaters(verdicts: Sequence[Verdict]) -> None:
    """Stop the ceremony on an upheld complaint, naming the accused (InvalidShare)."""
    upheld = [verdict for verdict in verdicts if verdict.upheld]
    if upheld:
        first = upheld[0]
        others = "" if len(upheld) == 1 else f" ({len(upheld) - 1} more upheld complaints)"
        raise InvalidShare(
            f"{first.describe()}; the ceremony stops: start it again without trustee"
            f" {first.accused}{others}"
        )


def complete_share(
    setup: CeremonySetup,
    partial: int,
    own_complaints: Sequence[Complaint],
    answers: Sequence[Answer],
) -> int:
    """s_j: the partial sum plus the published shares answering j's own (dismissed) complaints.

    Only the complaints j filed at step 5 count: their shares are the ones missing from the
    partial sum.
    """
    disputed = {(c.accuser, c.accused) for c in own_complaints}
    total = partial
    for answer in answers:
        if (answer.accuser, answer.accused) in disputed:
            total = (total + answer.share) % setup.group.order
    return total


# -- step 6: keys, transcript, confirmations --------------------------------------------------


def compute_keys(
    setup: CeremonySetup, commitments: Sequence[TrusteeCommitments]
) -> tuple[Element, tuple[Element, ...]]:
    """K = prod_i C_{i,0} and K_j = prod_k A_k^{j^k} with A_k = prod_i C_{i,k}."""
    group = setup.group
    aggregated = [
        group.product(item.commitments[k] for item in commitments) for k in range(setup.threshold)
    ]
    joint = aggregated[0]
    if joint == group.identity:
        raise CeremonyError("ceremony: the joint key is the identity")
    verification_keys = []
    for j in setup.indices:
        key = group.identity
        power = 1
        for a_k in aggregated:
            key = key * group.exp(a_k, power)
            power = power * j % group.order
        verification_keys.append(key)
    return joint, tuple(verification_keys)


def compute_transcript_hash(
    setup: CeremonySetup,
    hashes: Sequence[CommitmentHash],
    commitments: Sequence[TrusteeCommitments],
    joint_key: Element,
    verification_keys: Sequence[Element],
    complaints: Sequence[Complaint] = (),
    answers: Sequence[Answer] = (),
) -> bytes:
    """The hash of every public message, in index order (docs/spec.md section 8.2.5).

    The judged complaints and their answers, in (accuser, accused) order, are appended when
    there are any, so that a ceremony without complaints hashes exactly as before they existed.
    """
    transcript: list[Value] = [
        setup.context,
        setup.group.name,
        setup.election_id,
        setup.trustee_count,
        setup.threshold,
        [[index, key] for index, key in setup.indexed_keys()],
        [[item.index, item.digest] for item in hashes],
        [
            [
                item.index,
                list(item.commitments),
                [[proof.challenge, proof.response] for proof in item.proofs],
            ]
            for item in commitments
        ],
        joint_key,
        list(verification_keys),
    ]
    if complaints or answers:
        transcript += [
            [
                [c.accuser, c.accused, c.reason, [c.proof.challenge, c.proof.response]]
                for c in complaints
            ],
            [
                [a.accused, a.accuser, a.share, [a.proof.challenge, a.proof.response]]
                for a in answers
            ],
        ]
    return digest32(Purpose.CEREMONY_TRANSCRIPT, "transcript", *transcript)


def confirmation_context(transcript_hash: bytes, index: int) -> ProofContext:
    return ProofContext(transcript_hash, ("confirm", index))


def confirm(share: TrusteeShare, transcript_hash: bytes) -> Confirmation:
    """A Schnorr proof of s_j against K_j, bound to the transcript hash and ("confirm", j)."""
    proof = prove_schnorr(
        share.group,
        Purpose.KEY_PROOF,
        confirmation_context(transcript_hash, share.index),
        share.share,
        share.verification_key,
    )
    return Confirmation(share.index, proof)


def check_confirmations(
    setup: CeremonySetup,
    transcript_hash: bytes,
    verification_keys: Sequence[Element],
    confirmations: Sequence[Confirmation],
) -> tuple[Confirmation, ...]:
    """One valid confirmation per trustee; returned in index order."""
    by_index: dict[int, Confirmation] = {}
    for item in confirmations:
        if type(item.index) is not int or item.index not in setup.indices:
            raise CeremonyError(f"trustee {item.index!r}: confirmation from an unknown index")
        if item.index in by_index:
            raise CeremonyError(f"trustee {item.index}: two confirmations")
        by_index[item.index] = item
    missing = [i for i in setup.indices if i not in by_index]
    if missing:
        raise CeremonyError(f"trustee {missing[0]}: has not confirmed (missing: {missing})")
    for index in setup.indices:
        try:
            check_schnorr(
                setup.group,
                Purpose.KEY_PROOF,
                confirmation_context(transcript_hash, index),
                verification_keys[index - 1],
                by_index[index].proof,
                f"trustee {index}: confirmation",
            )
        except InvalidProof as error:
            raise CeremonyError(
                f"{error} (the trustee's share or transcript differs from the others')"
            ) from None
    return tuple(by_index[i] for i in setup.indices)


# -- step 7: the result -----------------------------------------------------------------------


def finalize_ceremony(
    setup: CeremonySetup,
    hashes: Sequence[CommitmentHash],
    revealed: Sequence[TrusteeCommitments],
    complaints: Sequence[Complaint],
    confirmations: Sequence[Confirmation],
    answers: Sequence[Answer] = (),
) -> CeremonyResult:
    """Check everything public and build the ceremony result (CeremonyError on any fault).

    The complaints are judged first: an upheld one raises InvalidShare naming the accused.
    """
    ordered_hashes = check_commitment_hashes(setup, hashes)
    ordered = check_commitments(setup, ordered_hashes, revealed)
    raise_for_cheaters(judge_complaints(setup, ordered, complaints, answers))
    ordered_complaints, ordered_answers = order_complaints(setup, ordered, complaints, answers)
    joint, verification_keys = compute_keys(setup, ordered)
    transcript_hash = compute_transcript_hash(
        setup, ordered_hashes, ordered, joint, verification_keys, ordered_complaints,
        ordered_answers,
    )
    ordered_confirmations = check_confirmations(
        setup, transcript_hash, verification_keys, confirmations
    )
    return CeremonyResult(
        setup=setup,
        commitment_hashes=ordered_hashes,
        commitments=ordered,
        joint_key=joint,
        verification_keys=verification_keys,
        transcript_hash=transcript_hash,
        confirmations=ordered_confirmations,
        complaints=ordered_complaints,
        answers=ordered_answers,
    )


def check_ceremony_result(result: CeremonyResult) -> None:
    """Recompute the result from its public messages (the verifier's step); CeremonyError.

    Its complaints are judged again: a result that carries an upheld complaint is refused.
    """
    recomputed = finalize_ceremony(
        result.setup,
        result.commitment_hashes,
        result.commitments,
        result.complaints,
        result.confirmations,
        result.answers,
    )
    if recomputed.joint_key != result.joint_key:
        raise CeremonyError("ceremony result: the joint key is not the product of the commitments")
    if len(recomputed.verification_keys) != len(result.verification_keys):
        raise CeremonyError("ceremony result: wrong number of verification keys")
    for index, (expected, given) in enumerate(
        zip(recomputed.verification_keys, result.verification_keys, strict=True), 1
    ):
        if expected != given:
            raise CeremonyError(
                f"ceremony result: verification key of trustee {index} does not follow"
                " from the commitments"
            )
    if recomputed.transcript_hash != result.transcript_hash:
        raise CeremonyError("ceremony result: the transcript hash does not match its messages")


# -- one trustee in memory --------------------------------------------------------------------


# What a confirmed trustee gives (not ceremony steps: they leave the stage as it is).
_GIVE_TRANSCRIPT_HASH: Final = stages.Step(
    "transcript-hash", "give its transcript hash", Stage.CONFIRMED, Stage.CONFIRMED
)
_GIVE_SHARE: Final = stages.Step("share", "give its share", Stage.CONFIRMED, Stage.CONFIRMED)


class Trustee:
    """One trustee's side of the ceremony, in memory. Its secrets never appear in a repr.

    The secret polynomial leaves this object only through :mod:`evote.ceremony.files`' key
    file; the final share through :meth:`share` (for the tally) or a key file.
    """

    __slots__ = (
        "_coefficients",
        "_commitments",
        "_complaints",
        "_hashes",
        "_partial",
        "_revealed",
        "_setup",
        "_share",
        "_stage",
        "_transcript_hash",
        "_transport",
        "election_id",
        "group",
        "index",
    )

    def __init__(
        self,
        group: Group,
        election_id: str,
        index: int,
        transport: TransportKeyPair | None = None,
    ) -> None:
        if type(index) is not int or index < 1:
            raise CeremonyError(f"trustee {index!r}: index must be an integer >= 1")
        self.group = group
        self.election_id = election_id
        self.index = index
        self._transport = transport if transport is not None else TransportKeyPair.generate()
        self._stage = Stage.ANNOUNCED
        self._setup: CeremonySetup | None = None
        self._coefficients: list[int] = []
        self._commitments: TrusteeCommitments | None = None
        self._hashes: tuple[CommitmentHash, ...] = ()
        self._revealed: tuple[TrusteeCommitments, ...] = ()
        self._share: TrusteeShare | None = None
        self._partial = 0
        self._complaints: tuple[Complaint, ...] = ()
        self._transcript_hash = b""

    def __repr__(self) -> str:
        return f"Trustee(index={self.index}, stage={self._stage.name})"

    def __getstate__(self) -> None:
        raise TypeError("a Trustee holds secrets and cannot be pickled; use a key file")

    @property
    def stage(self) -> Stage:
        return self._stage

    def announcement(self) -> Announcement:
        return Announcement(self.index, self._transport.public)

    def _require(self, step: stages.Step) -> None:
        stages.require(self.index, self._stage, step)

    def _checked_setup(self) -> CeremonySetup:
        if self._setup is None:
            raise CeremonyError(f"trustee {self.index}: the ceremony has not started")
        return self._setup

    def commit(self, setup: CeremonySetup) -> CommitmentHash:
        """Step 2: draw the polynomial, commit to it, publish only the hash."""
        self._require(stages.COMMIT)
        if setup.group is not self.group or setup.election_id != self.election_id:
            raise CeremonyError(f"trustee {self.index}: the setup is for another election")
        if self.index not in setup.indices:
            raise CeremonyError(f"trustee {self.index}: not among the ceremony's trustees")
        if setup.transport_key(self.index) != self._transport.public:
            raise CeremonyError(f"trustee {self.index}: the setup holds another transport key")
        self._setup = setup
        self._coefficients = draw_polynomial(setup)
        self._commitments = make_commitments(setup, self.index, self._coefficients)
        self._stage = stages.COMMIT.gives
        return commitment_hash(setup, self._commitments)

    def reveal(self, hashes: Sequence[CommitmentHash]) -> TrusteeCommitments:
        """Step 3: reveal the commitments, only once every trustee's hash is in."""
        self._require(stages.REVEAL)
        setup = self._checked_setup()
        ordered = check_commitment_hashes(setup, hashes)
        if self._commitments is None:
            raise CeremonyError(f"trustee {self.index}: no commitments")
        if ordered[self.index - 1].digest != commitment_hash(setup, self._commitments).digest:
            raise CeremonyError(f"trustee {self.index}: the published hash is not its own")
        self._hashes = ordered
        self._stage = stages.REVEAL.gives
        return self._commitments

    def send_shares(self, revealed: Sequence[TrusteeCommitments]) -> tuple[SealedShare, ...]:
        """Step 4: check every reveal, then seal f(j) for every other trustee j."""
        self._require(stages.SEND)
        setup = self._checked_setup()
        self._revealed = check_commitments(setup, self._hashes, revealed)
        self._stage = stages.SEND.gives
        return seal_shares(setup, self.index, self._transport, self._coefficients)

    def receive_shares(self, sealed: Sequence[SealedShare]) -> tuple[Complaint, ...]:
        """Step 5: check the shares received; signed complaints name the senders of bad ones."""
        self._require(stages.RECEIVE)
        setup = self._checked_setup()
        received = receive_shares(
            setup, self.index, self._transport, self._coefficients, self._revealed, sealed
        )
        self._partial = received.partial
        self._complaints = received.complaints
        self._stage = stages.RECEIVE.gives
        return received.complaints

    def answer(self, complaints: Sequence[Complaint]) -> tuple[Answer, ...]:
        """Step 5a: publish the disputed share for every complaint against this trustee."""
        self._require(stages.ANSWER)
        setup = self._checked_setup()
        return tuple(
            answer_complaint(setup, self.index, self._coefficients, self._revealed, complaint)
            for complaint in complaints
            if complaint.accused == self.index
        )

    def confirm(
        self, complaints: Sequence[Complaint] = (), answers: Sequence[Answer] = ()
    ) -> Confirmation:
        """Step 6: judge every complaint, then prove the share against K_j over the transcript.

        ``complaints`` and ``answers``: every trustee's (public); an upheld complaint raises
        InvalidShare naming the accused, and this trustee does not confirm.
        """
        self._require(stages.CONFIRM)
        setup = self._checked_setup()
        raise_for_cheaters(judge_complaints(setup, self._revealed, complaints, answers))
        ordered_complaints, ordered_answers = order_complaints(
            setup, self._revealed, complaints, answers
        )
        missing = [c for c in self._complaints if c not in ordered_complaints]
        if missing:
            raise CeremonyError(
                f"trustee {self.index}: its complaint about trustee {missing[0].accused} is"
                " missing from the complaints given"
            )
        share = complete_share(setup, self._partial, self._complaints, ordered_answers)
        joint, verification_keys = compute_keys(setup, self._revealed)
        if self.group.base_exp_secret(share) != verification_keys[self.index - 1]:
            raise CeremonyError(f"trustee {self.index}: its share does not match K_{self.index}")
        self._share = TrusteeShare(self.group, self.index, share, verification_keys[self.index - 1])
        self._transcript_hash = compute_transcript_hash(
            setup,
            self._hashes,
            self._revealed,
            joint,
            verification_keys,
            ordered_complaints,
            ordered_answers,
        )
        # The polynomial has served its purpose: drop it (Python cannot wipe it).
        self._coefficients = []
        self._partial = 0
        self._stage = stages.CONFIRM.gives
        return confirm(self._share, self._transcript_hash)

    @property
    def transcript_hash(self) -> bytes:
        self._require(_GIVE_TRANSCRIPT_HASH)
        return self._transcript_hash

    def share(self) -> TrusteeShare:
        """The secret share (after confirming): for the tally or a key file."""
        self._require(_GIVE_SHARE)
        if self._share is None:
            raise CeremonyError(f"trustee {self.index}: no share")
        return self._share


def run_ceremony(
    group: Group, election_id: str, trustee_count: int, threshold: int
) -> tuple[CeremonyResult, tuple[Trustee, ...]]:
    """The whole ceremony in one process (tests, demo): the result and the trustees."""
    check_parameters(trustee_count, threshold)
    trustees = tuple(Trustee(group, election_id, i) for i in range(1, trustee_count + 1))
    return run_with_trustees(group, election_id, trustee_count, threshold, trustees), trustees


def run_with_trustees(
    group: Group,
    election_id: str,
    trustee_count: int,
    threshold: int,
    trustees: Sequence[Trustee],
) -> CeremonyResult:
    """Run every step for ``trustees`` (which tests may tamper with between steps)."""
    setup = ceremony_setup(
        group, election_id, trustee_count, threshold, [t.announcement() for t in trustees]
    )
    hashes = [trustee.commit(setup) for trustee in trustees]
    revealed = [trustee.reveal(hashes) for trustee in trustees]
    sealed = [box for trustee in trustees for box in trustee.send_shares(revealed)]
    complaints = [
        complaint
        for trustee in trustees
        for complaint in trustee.receive_shares([s for s in sealed if s.recipient == trustee.index])
    ]
    answers = [answer for trustee in trustees for answer in trustee.answer(complaints)]
    confirmations = [trustee.confirm(complaints, answers) for trustee in trustees]
    result = finalize_ceremony(setup, hashes, revealed, complaints, confirmations, answers)
    for trustee in trustees:
        if trustee.transcript_hash != result.transcript_hash:
            raise CeremonyError(f"trustee {trustee.index}: its transcript hash differs")
    return result
