"""The lists of refused points and the Ed25519 rule that docs/spec.md states are the code's.

A second implementation copies these tables from the specification (sections 3.1, 3.5 and
8.6.1): each test reads the table from the text and checks it against evote's behaviour.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from pathlib import Path

import nacl.bindings as sodium
import pytest
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from evote.ceremony.transport import check_public_key
from evote.crypto.groups import ED25519
from evote.errors import InvalidGroupElement, InvalidInput
from tests.crypto import edwards25519 as ref

SPEC = (Path(__file__).resolve().parents[1] / "docs" / "spec.md").read_text(encoding="utf-8")
L = ED25519.order


def _table(heading: str, first_column: str) -> list[bytes]:
    """The 64-digit hex encodings in the table whose header row starts with ``first_column``,
    in the section that starts with ``heading``."""
    start = SPEC.index(heading)
    header = SPEC.index(f"| {first_column} |", start)
    rows = []
    for line in SPEC[header:].splitlines()[2:]:
        if not line.strip().startswith("|"):
            break
        rows.append(bytes.fromhex(re.findall(r"`([0-9a-f]{64})`", line)[0]))
    return rows


ED25519_SMALL_ORDER = _table("### 3.1 ed25519", "order")
X25519_SMALL_ORDER = _table("#### 8.6.1 Transport keys", "u")


def test_the_spec_lists_the_eight_small_order_points() -> None:
    computed = {ref.encode(point) for point in ref.eight_torsion()}
    assert len(ED25519_SMALL_ORDER) == 8
    assert set(ED25519_SMALL_ORDER) == computed


@pytest.mark.parametrize("encoding", ED25519_SMALL_ORDER, ids=lambda raw: raw.hex()[:8])
def test_every_listed_ed25519_point_is_refused(encoding: bytes) -> None:
    with pytest.raises(InvalidGroupElement):
        ED25519.decode(encoding, "listed")


@pytest.mark.parametrize("key", X25519_SMALL_ORDER, ids=lambda raw: raw.hex()[:8])
def test_every_listed_transport_key_is_refused(key: bytes) -> None:
    assert len(X25519_SMALL_ORDER) == 5
    with pytest.raises(InvalidInput, match="small order"):
        check_public_key(key)


def test_other_canonical_transport_keys_are_accepted() -> None:
    for _ in range(200):
        key = secrets.randbelow(2**255 - 19).to_bytes(32, "little")
        if key not in X25519_SMALL_ORDER:
            check_public_key(key)


# -- section 3.5: the board's Ed25519 verification is cofactorless -----------------------------


def _le(value: int) -> bytes:
    return value.to_bytes(32, "little")


def _sign(secret: int, public: bytes, message: bytes, torsion: bytes | None) -> bytes:
    """An Ed25519 signature by hand, with R shifted by a small-order point when asked."""
    nonce = secrets.randbelow(L - 1) + 1
    commitment = sodium.crypto_scalarmult_ed25519_base_noclamp(_le(nonce))
    if torsion is not None:
        commitment = sodium.crypto_core_ed25519_add(commitment, torsion)
    h = int.from_bytes(hashlib.sha512(commitment + public + message).digest(), "little") % L
    return commitment + _le((nonce + h * secret) % L)


ORDER_8 = bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")


def test_a_signature_made_by_hand_verifies() -> None:
    secret = secrets.randbelow(L - 1) + 1
    public = sodium.crypto_scalarmult_ed25519_base_noclamp(_le(secret))
    VerifyKey(public).verify(b"checkpoint", _sign(secret, public, b"checkpoint", None))


def test_a_signature_valid_only_cofactored_is_refused() -> None:
    # R = [r]B + T: [S]B - [h]A = [r]B differs from R by T of order 8, so the cofactored
    # equation holds and the cofactorless one (spec 3.5, rule 5) does not.
    secret = secrets.randbelow(L - 1) + 1
    public = sodium.crypto_scalarmult_ed25519_base_noclamp(_le(secret))
    for _ in range(8):
        with pytest.raises(BadSignatureError):
            VerifyKey(public).verify(b"checkpoint", _sign(secret, public, b"checkpoint", ORDER_8))


def test_a_non_canonical_s_is_refused() -> None:
    secret = secrets.randbelow(L - 1) + 1
    public = sodium.crypto_scalarmult_ed25519_base_noclamp(_le(secret))
    signature = _sign(secret, public, b"checkpoint", None)
    shifted = signature[:32] + _le(int.from_bytes(signature[32:], "little") + L)
    with pytest.raises(BadSignatureError):
        VerifyKey(public).verify(b"checkpoint", shifted)


def _mixed_key(torsion: bytes) -> tuple[int, bytes]:
    secret = secrets.randbelow(L - 1) + 1
    prime_order = sodium.crypto_scalarmult_ed25519_base_noclamp(_le(secret))
    return secret, sodium.crypto_core_ed25519_add(prime_order, torsion)


def test_a_mixed_order_board_key_is_not_refused() -> None:
    # Rule 4: [a]B + T passes; a signature made as for [a]B then verifies exactly when
    # [h]T = 0, i.e. h ≡ 0 (mod 8), since [S]B - [h]A = R - [h]T.
    accepted = refused = 0
    while not (accepted and refused):
        secret, public = _mixed_key(ORDER_8)
        signature = _sign(secret, public, b"m", None)
        h = int.from_bytes(hashlib.sha512(signature[:32] + public + b"m").digest(), "little")
        try:
            VerifyKey(public).verify(b"m", signature)
        except BadSignatureError:
            assert h % L % 8 != 0
            refused += 1
        else:
            assert h % L % 8 == 0
            accepted += 1


def test_a_small_order_r_is_refused_even_where_the_equation_holds() -> None:
    # Rule 3: with A = [a]B + T and S = h·a, [S]B - [h]A = -[h]T. Search keys until that equals
    # R = T (probability 1/8): the equation of rule 5 then holds and only rule 3 refuses.
    torsion = ref.decode(ORDER_8)
    assert torsion is not None
    for _ in range(400):
        secret, public = _mixed_key(ORDER_8)
        h = int.from_bytes(hashlib.sha512(ORDER_8 + public + b"m").digest(), "little") % L
        if ref.encode(ref.multiply(-h % 8, torsion)) != ORDER_8:
            continue
        with pytest.raises(BadSignatureError):
            VerifyKey(public).verify(b"m", ORDER_8 + _le(h * secret % L))
        return
    pytest.fail("no key found for which the equation holds with a small-order R")
