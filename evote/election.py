"""An election: the manifest, its group, the joint public key, the credential list, the board key.

The :attr:`Election.fingerprint` hashes all of them with the key ceremony's transcript digest
(docs/spec.md section 6.3): every proof's Fiat–Shamir challenge and every ballot signature binds
it, so nothing made for one election verifies in another, or in the same election with another
key, manifest, credential list or board key. The board key is the Ed25519 public key that signs
the board's checkpoints and receipts (docs/spec.md section 10.4): bound by the fingerprint, a
checkpoint or receipt signed by any other key is not this election's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from nacl.bindings import crypto_core_ed25519_is_valid_point
from nacl.exceptions import CryptoError
from nacl.signing import SigningKey, VerifyKey

from evote.ballots.credentials import CredentialList
from evote.ballots.manifest import Manifest
from evote.crypto import dlog
from evote.crypto.elgamal import PublicKey
from evote.crypto.encoding import Value
from evote.crypto.groups import Group
from evote.crypto.hashing import Purpose, digest32
from evote.crypto.proofs import ProofContext
from evote.errors import ContextMismatch, InvalidInput

if TYPE_CHECKING:
    from evote.ceremony.dkg import CeremonyResult

CEREMONY_DIGEST_BYTES: Final = 32
BOARD_KEY_BYTES: Final = 32


@dataclass(frozen=True, slots=True)
class Election:
    """Everything a ballot is encrypted for and checked against; validated on construction."""

    manifest: Manifest
    group: Group
    public_key: PublicKey
    credentials: CredentialList
    ceremony_digest: bytes
    board_key: bytes
    _fingerprint: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.manifest, Manifest):
            raise InvalidInput("election: manifest must be a Manifest")
        if self.manifest.group is not self.group:
            raise ContextMismatch(
                f"election: the manifest names group {self.manifest.group_name},"
                f" the election uses {self.group.name}"
            )
        if self.public_key.group is not self.group:
            raise ContextMismatch("election: the public key belongs to another group")
        if self.credentials.group is not self.group:
            raise ContextMismatch("election: the credential list belongs to another group")
        if (
            not isinstance(self.ceremony_digest, bytes)
            or len(self.ceremony_digest) != CEREMONY_DIGEST_BYTES
        ):
            raise InvalidInput(f"election: ceremony digest must be {CEREMONY_DIGEST_BYTES} bytes")
        check_board_key(self.board_key, "election: board key")
        check_tally_bounds(self.manifest, self.credentials.total_weight)
        check_mixnet_weights(self.manifest, self.credentials.total_weight != len(self.credentials))
        fingerprint = digest32(
            Purpose.FINGERPRINT,
            self.group.name,
            self.manifest.digest(),
            self.public_key.element,
            self.ceremony_digest,
            self.credentials.digest(),
            self.board_key,
        )
        object.__setattr__(self, "_fingerprint", fingerprint)

    @classmethod
    def create(
        cls,
        manifest: Manifest,
        ceremony: CeremonyResult,
        credentials: CredentialList,
        board_key: bytes | VerifyKey | SigningKey,
    ) -> Election:
        """The election of ``manifest`` with the key ceremony's joint key and transcript digest.

        ``board_key`` is the board's Ed25519 public key (32 bytes or a ``VerifyKey``), or the
        board's ``SigningKey``, whose public half is taken (docs/spec.md section 6.3). Raises
        ContextMismatch if the ceremony was run for another election id or another group, and
        whatever the constructor raises.
        """
        if ceremony.setup.election_id != manifest.election_id:
            raise ContextMismatch(
                f"election {manifest.election_id!r}: the key ceremony was run for election"
                f" {ceremony.setup.election_id!r}"
            )
        if isinstance(board_key, SigningKey):
            board_key = board_key.verify_key
        if isinstance(board_key, VerifyKey):
            board_key = bytes(board_key)
        return cls(
            manifest,
            manifest.group,
            ceremony.public_key,
            credentials,
            ceremony.transcript_hash,
            board_key,
        )

    @property
    def election_id(self) -> str:
        return self.manifest.election_id

    @property
    def fingerprint(self) -> bytes:
        """digest32(FINGERPRINT, group name, manifest digest, K, ceremony digest, list digest,
        board key) (docs/spec.md section 6.3)."""
        return self._fingerprint

    def proof_context(self, *binding: Value) -> ProofContext:
        """A proof context bound to this election and to ``binding`` (the proof's position)."""
        return ProofContext(self._fingerprint, tuple(binding))


def check_board_key(key: object, where: str = "board key") -> None:
    """Check that ``key`` is an Ed25519 public key: 32 raw bytes, a point A = a·B.

    PyNaCl's ``VerifyKey`` checks the length only; libsodium's
    ``crypto_core_ed25519_is_valid_point`` checks that the bytes are the canonical encoding of
    a curve point (RFC 8032 section 5.1.3) of the prime-order subgroup and not of small order,
    which every key made by RFC 8032 section 5.1.5 is. A degenerate key (the identity, a
    small-order point) would let one signature verify for many messages. Raises
    :class:`InvalidInput` naming ``where``.
    """
    if not isinstance(key, bytes) or len(key) != BOARD_KEY_BYTES:
        raise InvalidInput(f"{where}: must be {BOARD_KEY_BYTES} bytes (an Ed25519 public key)")
    try:
        VerifyKey(key)
    except (CryptoError, ValueError, TypeError):
        raise InvalidInput(f"{where}: not an Ed25519 public key") from None
    if not crypto_core_ed25519_is_valid_point(key):
        raise InvalidInput(f"{where}: not a valid Ed25519 public key (not a prime-order point)")


def check_tally_bounds(manifest: Manifest, total: int) -> None:
    """InvalidInput unless every tally column of the election can be decrypted (spec 9.4).

    A column holds at most W × the option's maximum (W = ``total``, the credential list's total
    weight: the most the counted ballots can weigh; a blank column at most W), and the tally
    finds it by a discrete logarithm bounded by :data:`evote.crypto.dlog.MAX_BOUND`. A budget
    question's columns count projects (maximum 1): its spend is proven per ballot, never
    decrypted. The Election constructor calls it; ``evote credentials generate`` too, before
    it draws any credential.
    """
    for index, question in enumerate(manifest.questions):
        if question.counted_by_mixnet:
            # Its answers are decrypted one by one after the mix (docs/spec.md section 14):
            # each value is at most the option maximum (at most 1000), whatever the weights.
            continue
        bound = total * question.option_maximum
        if bound > dlog.MAX_BOUND:
            raise InvalidInput(
                f"election: question {index} ({question.id}) could not be tallied: its"
                f" columns reach {bound} (total credential weight {total} × option maximum"
                f" {question.option_maximum}), above {dlog.MAX_BOUND}, the largest value the"
                " tally's discrete logarithm decrypts (docs/spec.md section 5.3); lower the"
                " weights or the maximum score"
            )


def check_mixnet_weights(manifest: Manifest, weighted: bool) -> None:
    """InvalidInput, naming the question, if a mixnet question meets a weighted credential.

    A mixnet question (grades, ranking: ``counted_by_mixnet``) is counted from the mixed
    answers, which carry no trace of their voter, hence of the voter's weight: every credential
    must weigh 1 (docs/spec.md section 6.3). ``weighted`` says whether some credential of the
    list weighs more than 1. The Election constructor calls it.
    """
    if not weighted:
        return
    for index, question in enumerate(manifest.questions):
        if question.counted_by_mixnet:
            raise InvalidInput(
                f"election: question {index} ({question.id}) is a {question.kind.value} question,"
                " counted by a mixnet, and the credential list gives some voter a weight other"
                " than 1: weights do not travel through the mix (docs/spec.md section 6.3);"
                " give every credential weight 1 or count this question another way"
            )
