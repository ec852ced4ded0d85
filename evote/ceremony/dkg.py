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
  and any fault (a complaint included) stops the ceremony instead of disqualifying someone, so
  the only choice left to a cheater is to abort, which names it.

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
   and files a :class:`Complaint` naming the sender of any bad share; its secret share is
   s_j = sum_i f_i(j).
6. :func:`compute_transcript_hash` over every public message; each trustee publishes a
   :class:`Confirmation`: a Schnorr proof of s_j against its verification key K_j, bound to
   the transcript hash and ("confirm", j).
7. :func:`finalize_ceremony` -> :class:`CeremonyResult` (joint key K = prod_i C_{i,0}, K_j,
   transcript hash, confirmations), re-checked from scratch by :func:`check_ceremony_result`.

:class:`Trustee` runs the steps for one trustee in memory and refuses them out of order;
:func:`run_ceremony` runs all trustees in one process; :mod:`evote.ceremony.files` runs the
same steps one trustee per machine, exchanging files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum

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
    """Step 5: trustee ``accuser`` says the share that ``accused`` sent it is bad."""

    accuser: int
    accused: int
    reason: str


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
    """What step 5 gives a trustee: its secret share, or the complaints it files."""

    share: int | None = field(repr=False)
    complaints: tuple[Complaint, ...]


def receive_shares(
    setup: CeremonySetup,
    index: int,
    transport: TransportKeyPair,
    coefficients: Sequence[int],
    commitments: Sequence[TrusteeCommitments],
    sealed: Sequence[SealedShare],
) -> ReceivedShares:
    """Open and check the n - 1 shares sent to ``index``; s_index if all are good.

    ``commitments`` must be the checked reveals in index order (:func:`check_commitments`).
    A share that is missing, does not open or does not match its sender's commitments gives a
    complaint naming the sender; any complaint leaves the trustee without a share.
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
    own = evaluate_polynomial(coefficients, index, group.order)
    total = own
    complaints: list[Complaint] = []
    for sender in setup.indices:
        if sender == index:
            continue
        received = by_sender.get(sender)
        if received is None:
            complaints.append(Complaint(index, sender, "no share received"))
            continue
        try:
            raw = open_share(
                transport,
                setup.transport_key(sender),
                share_context(setup, sender, index),
                received.sealed,
            )
            value = group.scalar_from_bytes(raw, f"share from trustee {sender}")
            check_share(setup, commitments[sender - 1], index, value)
        except (InvalidShare, InvalidInput) as error:
            complaints.append(Complaint(index, sender, str(error)))
            continue
        total = (total + value) % group.order
    if complaints:
        return ReceivedShares(None, tuple(complaints))
    return ReceivedShares(total, ())


def raise_for_complaints(complaints: Sequence[Complaint]) -> None:
    """Stop the ceremony on the first complaint, naming the accused sender and the accuser."""
    if complaints:
        first = complaints[0]
        others = "" if len(complaints) == 1 else f" ({len(complaints) - 1} more complaints)"
        raise InvalidShare(
            f"trustee {first.accused}: trustee {first.accuser} complains about its share:"
            f" {first.reason}{others}"
        )


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
) -> bytes:
    """The hash of every public message, in index order (docs/spec.md section 8.2.5)."""
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
) -> CeremonyResult:
    """Check everything public and build the ceremony result (CeremonyError on any fault)."""
    raise_for_complaints(complaints)
    ordered_hashes = check_commitment_hashes(setup, hashes)
    ordered = check_commitments(setup, ordered_hashes, revealed)
    joint, verification_keys = compute_keys(setup, ordered)
    transcript_hash = compute_transcript_hash(
        setup, ordered_hashes, ordered, joint, verification_keys
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
    )


def check_ceremony_result(result: CeremonyResult) -> None:
    """Recompute the result from its public messages (the verifier's step); CeremonyError."""
    recomputed = finalize_ceremony(
        result.setup,
        result.commitment_hashes,
        result.commitments,
        (),
        result.confirmations,
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


class Stage(IntEnum):
    """How far a trustee has gone; each step needs the one before."""

    CREATED = 0
    COMMITTED = 1
    REVEALED = 2
    SENT = 3
    RECEIVED = 4
    CONFIRMED = 5


class Trustee:
    """One trustee's side of the ceremony, in memory. Its secrets never appear in a repr.

    The secret polynomial leaves this object only through :mod:`evote.ceremony.files`' key
    file; the final share through :meth:`share` (for the tally) or a key file.
    """

    __slots__ = (
        "_coefficients",
        "_commitments",
        "_hashes",
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
        self._stage = Stage.CREATED
        self._setup: CeremonySetup | None = None
        self._coefficients: list[int] = []
        self._commitments: TrusteeCommitments | None = None
        self._hashes: tuple[CommitmentHash, ...] = ()
        self._revealed: tuple[TrusteeCommitments, ...] = ()
        self._share: TrusteeShare | None = None
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

    def _require(self, stage: Stage, action: str) -> None:
        if self._stage != stage:
            raise CeremonyError(
                f"trustee {self.index}: cannot {action} at stage {self._stage.name}"
                f" (it needs stage {stage.name})"
            )

    def _checked_setup(self) -> CeremonySetup:
        if self._setup is None:
            raise CeremonyError(f"trustee {self.index}: the ceremony has not started")
        return self._setup

    def commit(self, setup: CeremonySetup) -> CommitmentHash:
        """Step 2: draw the polynomial, commit to it, publish only the hash."""
        self._require(Stage.CREATED, "commit")
        if setup.group is not self.group or setup.election_id != self.election_id:
            raise CeremonyError(f"trustee {self.index}: the setup is for another election")
        if self.index not in setup.indices:
            raise CeremonyError(f"trustee {self.index}: not among the ceremony's trustees")
        if setup.transport_key(self.index) != self._transport.public:
            raise CeremonyError(f"trustee {self.index}: the setup holds another transport key")
        self._setup = setup
        self._coefficients = draw_polynomial(setup)
        self._commitments = make_commitments(setup, self.index, self._coefficients)
        self._stage = Stage.COMMITTED
        return commitment_hash(setup, self._commitments)

    def reveal(self, hashes: Sequence[CommitmentHash]) -> TrusteeCommitments:
        """Step 3: reveal the commitments, only once every trustee's hash is in."""
        self._require(Stage.COMMITTED, "reveal")
        setup = self._checked_setup()
        ordered = check_commitment_hashes(setup, hashes)
        if self._commitments is None:
            raise CeremonyError(f"trustee {self.index}: no commitments")
        if ordered[self.index - 1].digest != commitment_hash(setup, self._commitments).digest:
            raise CeremonyError(f"trustee {self.index}: the published hash is not its own")
        self._hashes = ordered
        self._stage = Stage.REVEALED
        return self._commitments

    def send_shares(self, revealed: Sequence[TrusteeCommitments]) -> tuple[SealedShare, ...]:
        """Step 4: check every reveal, then seal f(j) for every other trustee j."""
        self._require(Stage.REVEALED, "send shares")
        setup = self._checked_setup()
        self._revealed = check_commitments(setup, self._hashes, revealed)
        self._stage = Stage.SENT
        return seal_shares(setup, self.index, self._transport, self._coefficients)

    def receive_shares(self, sealed: Sequence[SealedShare]) -> tuple[Complaint, ...]:
        """Step 5: check the shares received; complaints name the senders of bad ones."""
        self._require(Stage.SENT, "receive shares")
        setup = self._checked_setup()
        received = receive_shares(
            setup, self.index, self._transport, self._coefficients, self._revealed, sealed
        )
        if received.share is None:
            return received.complaints
        joint, verification_keys = compute_keys(setup, self._revealed)
        self._share = TrusteeShare(
            self.group, self.index, received.share, verification_keys[self.index - 1]
        )
        self._transcript_hash = compute_transcript_hash(
            setup, self._hashes, self._revealed, joint, verification_keys
        )
        # The polynomial has served its purpose: drop it (Python cannot wipe it).
        self._coefficients = []
        self._stage = Stage.RECEIVED
        return ()

    def confirm(self) -> Confirmation:
        """Step 6: prove the share against K_j over the transcript hash."""
        self._require(Stage.RECEIVED, "confirm")
        if self._share is None:
            raise CeremonyError(f"trustee {self.index}: no share")
        self._stage = Stage.CONFIRMED
        return confirm(self._share, self._transcript_hash)

    @property
    def transcript_hash(self) -> bytes:
        self._require(Stage.CONFIRMED, "give its transcript hash")
        return self._transcript_hash

    def share(self) -> TrusteeShare:
        """The secret share (after confirming): for the tally or a key file."""
        self._require(Stage.CONFIRMED, "give its share")
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
    raise_for_complaints(complaints)
    confirmations = [trustee.confirm() for trustee in trustees]
    result = finalize_ceremony(setup, hashes, revealed, complaints, confirmations)
    for trustee in trustees:
        if trustee.transcript_hash != result.transcript_hash:
            raise CeremonyError(f"trustee {trustee.index}: its transcript hash differs")
    return result
