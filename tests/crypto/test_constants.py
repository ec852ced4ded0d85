"""The group constants are what their sources say, and have the properties the code relies on."""

from __future__ import annotations

import gmpy2
import nacl.bindings as sodium

from evote.crypto.groups import (
    ED25519,
    MODP4096,
    MODP_COFACTOR,
    MODP_G,
    MODP_P,
    MODP_Q,
    all_groups,
    group_by_name,
)
from tests.crypto import edwards25519 as ref

# Miller–Rabin rounds: an error probability below 4^-64 for each test.
ROUNDS = 64


# -- modp4096 ------------------------------------------------------------------------------


def test_modp_p_is_a_4096_bit_prime() -> None:
    assert MODP_P.bit_length() == 4096
    assert gmpy2.is_prime(MODP_P, ROUNDS)


def test_modp_p_has_the_shape_of_the_electionguard_2_prime() -> None:
    # ElectionGuard 2.0 section 3.1.1: the 256 top and bottom bits are ones, and the middle
    # starts with the binary digits of ln 2 (0.B17217F7D1CF79AB...).
    ones = 2**256 - 1
    assert ones == MODP_P >> 3840
    assert MODP_P & ones == ones
    assert (MODP_P >> (3840 - 64)) & (2**64 - 1) == 0xB17217F7D1CF79AB


def test_modp_q_is_the_256_bit_prime_2_256_minus_189() -> None:
    assert MODP_Q == 2**256 - 189
    assert MODP_Q.bit_length() == 256
    assert gmpy2.is_prime(MODP_Q, ROUNDS)
    assert MODP4096.order == MODP_Q


def test_modp_q_divides_p_minus_1_and_half_the_cofactor_is_prime() -> None:
    # decode_many's batch membership test is sound only if p - 1 = 2 · q · r' with r' prime.
    assert (MODP_P - 1) % MODP_Q == 0
    assert MODP_COFACTOR == (MODP_P - 1) // MODP_Q
    assert MODP_COFACTOR % 2 == 0
    r_prime = MODP_COFACTOR // 2
    assert gmpy2.is_prime(r_prime, ROUNDS)
    assert r_prime > 2**128
    assert r_prime % MODP_Q != 0


def test_modp_generator_has_order_q() -> None:
    assert 1 < MODP_G < MODP_P
    assert pow(MODP_G, MODP_Q, MODP_P) == 1
    assert MODP4096.generator.value == MODP_G


def test_modp_generator_is_two_to_the_cofactor() -> None:
    # The ElectionGuard 2.0 generator is g = 2^r mod p: a transcription check of the hex digits.
    assert pow(2, MODP_COFACTOR, MODP_P) == MODP_G


def test_modp_element_size_fits_p() -> None:
    assert MODP4096.element_size == 512
    assert len(MODP4096.generator.to_bytes()) == 512


# -- ed25519 -------------------------------------------------------------------------------


def test_ed25519_order_is_the_prime_l() -> None:
    assert ED25519.order == 2**252 + 27742317777372353535851937790883648493
    assert ED25519.order == ref.L
    assert gmpy2.is_prime(ED25519.order, ROUNDS)


def test_ed25519_generator_is_the_rfc_8032_base_point() -> None:
    # RFC 8032 section 5.1: B = (x, 4/5) with x positive (even); its encoding is 0x58 then 0x66s.
    expected = bytes.fromhex("58" + "66" * 31)
    assert ED25519.generator.to_bytes() == expected
    assert ref.encode(ref.BASE) == expected
    assert ref.BASE[0] == (
        15112221349535400772501151409588531511454012693041857206046113283949847762202
    )


def test_ed25519_l_times_base_is_the_identity() -> None:
    assert ref.multiply(ref.L, ref.BASE) == ref.IDENTITY
    # Through evote and libsodium. g^L reduces to g^0, which exp returns without computing, so
    # each check below goes through a real scalar multiplication: g^(L-1) · g and h^(L-1) · h
    # (h = g^2 takes the variable-base path) are the identity, g^k matches the reference.
    g = ED25519.generator
    assert ED25519.exp(g, ED25519.order) == ED25519.identity
    assert ED25519.exp(g, ED25519.order - 1) * g == ED25519.identity
    h = g * g
    assert ED25519.exp(h, ED25519.order - 1) * h == ED25519.identity
    assert ED25519.exp(h, ED25519.order + 1) == h
    k = 2**251 + 12345
    assert ED25519.exp(g, k).to_bytes() == ref.encode(ref.multiply(k, ref.BASE))
    assert ED25519.exp(h, k).to_bytes() == ref.encode(ref.multiply(2 * k, ref.BASE))
    minus_base = sodium.crypto_scalarmult_ed25519_base_noclamp((ref.L - 1).to_bytes(32, "little"))
    assert minus_base == ref.encode(ref.negate(ref.BASE))
    assert ED25519.base_exp(-1).to_bytes() == minus_base


def test_ed25519_identity_encoding() -> None:
    assert ED25519.identity.to_bytes() == bytes([1]) + bytes(31)
    assert ED25519.element_size == 32


# -- registry ------------------------------------------------------------------------------


def test_all_groups_are_named_and_found_by_name() -> None:
    names = [group.name for group in all_groups()]
    assert names == ["ed25519", "modp4096"]
    for group in all_groups():
        assert group_by_name(group.name) is group
