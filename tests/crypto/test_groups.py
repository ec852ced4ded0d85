"""Group arithmetic agrees across its fast paths, and decoding refuses every non-member."""

from __future__ import annotations

import pickle

import gmpy2
import nacl.bindings as sodium
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evote.crypto import groups as groups_module
from evote.crypto.encoding import Value
from evote.crypto.groups import (
    ED25519,
    MODP4096,
    MODP_COFACTOR,
    MODP_P,
    MODP_Q,
    Element,
    Group,
    group_by_name,
)
from evote.crypto.hashing import Purpose, digest
from evote.errors import InvalidGroupElement, InvalidInput, InvalidScalar, UnsafeDependency
from tests.crypto import edwards25519 as ref
from tests.strategies import elements, exponents, nonzero_scalars, scalars

FEW = settings(max_examples=10, deadline=None)


# -- arithmetic agrees with itself ----------------------------------------------------------


@FEW
@given(data=st.data())
def test_exponentiation_paths_agree(group: Group, data: st.DataObject) -> None:
    k = data.draw(exponents(group), label="k")
    g = group.generator
    reference = group.exp(g, k)
    assert group.base_exp(k) == reference
    assert group.fixed_base(g).exp(k) == reference
    assert group.exp_secret(g, k) == reference
    assert group.base_exp_secret(k) == reference
    assert g**k == reference
    base = data.draw(elements(group), label="base")
    expected = group.exp(base, k)
    assert group.exp_secret(base, k) == expected
    assert group.fixed_base(base).exp(k) == expected
    assert group.powers(base, [k]) == [expected]


@FEW
@given(data=st.data())
def test_exp2_and_powers_agree_with_exp(group: Group, data: st.DataObject) -> None:
    base1 = data.draw(elements(group), label="base1")
    base2 = data.draw(elements(group), label="base2")
    e1 = data.draw(exponents(group), label="e1")
    e2 = data.draw(exponents(group), label="e2")
    expected = group.exp(base1, e1) * group.exp(base2, e2)
    assert group.exp2(base1, e1, base2, e2) == expected
    # exp2 with the generator first takes the fixed-base path on modp: same answer.
    assert group.exp2(group.generator, e1, base2, e2) == group.base_exp(e1) * base2**e2
    extra = data.draw(st.lists(exponents(group), min_size=0, max_size=4), label="more")
    assert group.powers(base1, [e1, e2, *extra]) == [base1**e for e in [e1, e2, *extra]]


@FEW
@given(data=st.data())
def test_exponent_laws(group: Group, data: st.DataObject) -> None:
    a = data.draw(scalars(group), label="a")
    b = data.draw(scalars(group), label="b")
    g = group.generator
    assert g**a * g**b == g ** (a + b)
    assert (g**a) ** b == g ** (a * b)
    assert g**a / g**b == g ** (a - b)
    assert group.inverse(g**a) == g ** (-a)
    assert g**a * group.inverse(g**a) == group.identity
    assert group.product([g**a, g**b, g]) == g ** (a + b + 1)
    assert group.product([]) == group.identity


def test_identity_is_handled_in_every_operation(group: Group) -> None:
    identity, g = group.identity, group.generator
    assert identity * g == g
    assert g * identity == g
    assert identity**5 == identity
    assert group.exp_secret(identity, 5) == identity
    assert group.exp(g, 0) == identity
    assert group.exp(g, group.order) == identity
    assert group.exp_secret(g, 0) == identity
    assert group.exp2(g, 0, g, 0) == identity
    assert group.exp2(identity, 3, g, 0) == identity
    assert group.powers(identity, [0, 1, 2]) == [identity] * 3
    assert group.fixed_base(g).exp(0) == identity
    assert group.inverse(identity) == identity


def test_fixed_base_tables_survive_many_bases(group: Group) -> None:
    # modp keeps the generator's table and a few recent ones: evicting must not mix them up.
    bases = [group.base_exp(k) for k in range(2, 14)]
    tables = [group.fixed_base(base) for base in bases]
    for k, (base, table) in enumerate(zip(bases, tables, strict=True), start=2):
        assert table.exp(7) == group.base_exp(7 * k)
        assert group.exp(base, 7) == group.base_exp(7 * k)
        assert group.exp2(base, 3, group.generator, 1) == group.base_exp(3 * k + 1)
    assert group.base_exp(5) == group.exp(group.generator, 5)


# -- decoding -------------------------------------------------------------------------------


@FEW
@given(data=st.data())
def test_decode_inverts_encode(group: Group, data: st.DataObject) -> None:
    element = data.draw(elements(group))
    raw = element.to_bytes()
    assert len(raw) == group.element_size
    decoded = group.decode(raw)
    assert decoded == element
    assert decoded.to_bytes() == raw
    assert hash(decoded) == hash(element)


@FEW
@given(data=st.data())
def test_decode_many_agrees_with_decode(group: Group, data: st.DataObject) -> None:
    items = data.draw(st.lists(elements(group), min_size=0, max_size=8))
    raw = [item.to_bytes() for item in items]
    assert group.decode_many(raw) == [group.decode(item) for item in raw] == items


def test_decode_refuses_the_identity(group: Group) -> None:
    with pytest.raises(InvalidGroupElement, match=r"ballot\.alpha"):
        group.decode(group.identity.to_bytes(), "ballot.alpha")


@pytest.mark.parametrize("size_change", [-1, 1, -32])
def test_decode_refuses_wrong_lengths(group: Group, size_change: int) -> None:
    raw = group.generator.to_bytes()
    bad = raw + b"\x00" if size_change > 0 else raw[:size_change]
    with pytest.raises(InvalidGroupElement, match="where"):
        group.decode(bad, "where")
    with pytest.raises(InvalidGroupElement):
        group.decode(b"")


def test_decode_refuses_non_bytes(group: Group) -> None:
    raw = group.generator.to_bytes()
    for bad in (bytearray(raw), raw.hex(), None, 5):
        with pytest.raises(InvalidGroupElement):
            group.decode(bad)  # type: ignore[arg-type]


def _assert_decode_many_names(group: Group, bad: bytes, index: int = 3) -> None:
    good = [group.base_exp(k).to_bytes() for k in range(2, 8)]
    batch = [*good[:index], bad, *good[index:]]
    with pytest.raises(InvalidGroupElement, match=rf"votes\[{index}\]"):
        group.decode_many(batch, "votes")
    with pytest.raises(InvalidGroupElement):
        group.decode(bad)


# -- modp4096 non-members -------------------------------------------------------------------


def _modp_bytes(value: int) -> bytes:
    return value.to_bytes(512, "big")


def _smallest_non_residue() -> int:
    candidate = 2
    while gmpy2.jacobi(candidate, MODP_P) != -1:
        candidate += 1
    return candidate


def _order_r_prime_element() -> int:
    # h^(2q) kills the components of order 2 and q: what remains has order r' (or is 1).
    h = int(MODP4096.hash_to_element(Purpose.TEST, "r'").value) + 1
    value = pow(h, 2 * MODP_Q, MODP_P)
    assert value != 1
    assert pow(value, MODP_COFACTOR // 2, MODP_P) == 1
    return value


MODP_NON_MEMBERS = {
    "zero": 0,
    "one (identity)": 1,
    "p-1 (order 2)": MODP_P - 1,
    "p": MODP_P,
    "p+1": MODP_P + 1,
    "2^4096-1": 2**4096 - 1,
    "smallest non-residue": _smallest_non_residue(),
    "minus g (order 2q)": MODP_P - int(MODP4096.generator.value),
    "order r'": _order_r_prime_element(),
    "g times an order r' element": int(MODP4096.generator.value)
    * _order_r_prime_element()
    % MODP_P,
}


@pytest.mark.parametrize("value", MODP_NON_MEMBERS.values(), ids=MODP_NON_MEMBERS.keys())
def test_modp_non_members_are_refused(value: int) -> None:
    with pytest.raises(InvalidGroupElement, match="tally"):
        MODP4096.decode(_modp_bytes(value), "tally")


@pytest.mark.parametrize("value", MODP_NON_MEMBERS.values(), ids=MODP_NON_MEMBERS.keys())
def test_modp_decode_many_names_the_bad_index(value: int) -> None:
    _assert_decode_many_names(MODP4096, _modp_bytes(value))


def test_modp_decode_many_short_batches_and_wrong_length() -> None:
    good = MODP4096.generator.to_bytes()
    bad = _modp_bytes(_order_r_prime_element())
    for batch, index in (([bad], 0), ([good, bad], 1), ([good, good, good, good[:-1]], 3)):
        with pytest.raises(InvalidGroupElement, match=rf"x\[{index}\]"):
            MODP4096.decode_many(batch, "x")


def test_modp_batch_of_several_order_r_prime_elements_fails() -> None:
    # Two bad elements whose r'-components could cancel with unlucky weights: still refused.
    bad = _order_r_prime_element()
    inverse = pow(bad, -1, MODP_P)
    good = [MODP4096.base_exp(k).to_bytes() for k in range(2, 5)]
    batch = [*good, _modp_bytes(bad), _modp_bytes(inverse)]
    with pytest.raises(InvalidGroupElement, match=r"x\[3\]"):
        MODP4096.decode_many(batch, "x")


# -- ed25519 non-members --------------------------------------------------------------------

# The eight points of order dividing 8, canonically encoded: the list libsodium blocks in
# ge25519_has_small_order (ed25519_ref10.c) and the table of Chalkias, Garillot, Nikolaenko,
# "Taming the many EdDSAs" (SSR 2020). The test below recomputes them with the reference code.
SMALL_ORDER_POINTS = {
    "identity (order 1)": "0100000000000000000000000000000000000000000000000000000000000000",
    "(0, -1) (order 2)": "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "order 4, x even": "0000000000000000000000000000000000000000000000000000000000000000",
    "order 4, x odd": "0000000000000000000000000000000000000000000000000000000000000080",
    "order 8 (a)": "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "order 8 (b)": "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "order 8 (c)": "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "order 8 (d)": "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
}


def test_small_order_list_matches_the_reference_computation() -> None:
    computed = {ref.encode(point) for point in ref.eight_torsion()}
    assert computed == {bytes.fromhex(value) for value in SMALL_ORDER_POINTS.values()}
    orders = sorted(ref.order_of_torsion(point) for point in ref.eight_torsion())
    assert orders == [1, 2, 4, 4, 8, 8, 8, 8]


def _mixed_order_points() -> dict[str, bytes]:
    base = ref.BASE
    points = {}
    for name, point in zip(("t1", "t2", "t3", "t4"), ref.eight_torsion()[1:5], strict=True):
        points[f"B + {name} (order {ref.order_of_torsion(point)}L)"] = ref.encode(
            ref.add(base, point)
        )
    return points


def _first_y_off_the_curve() -> int:
    y = 2
    while ref.recover_x(y, 0) is not None:
        y += 1
    return y


ED25519_NON_MEMBERS: dict[str, bytes] = {
    **{name: bytes.fromhex(value) for name, value in SMALL_ORDER_POINTS.items()},
    **_mixed_order_points(),
    "y = p + 1 (non-canonical identity)": ref.encode_raw(ref.P + 1, 0),
    "y = p (non-canonical order-4 point)": ref.encode_raw(ref.P, 0),
    "y = p + 3": ref.encode_raw(ref.P + 3, 0),
    "y = 2^255 - 1": ref.encode_raw(2**255 - 1, 1),
    "negative zero: x = 0 with the sign bit, y = 1": ref.encode_raw(1, 1),
    "negative zero: x = 0 with the sign bit, y = -1": ref.encode_raw(ref.P - 1, 1),
    "not on the curve": ref.encode_raw(_first_y_off_the_curve(), 0),
    "all ones": b"\xff" * 32,
}


@pytest.mark.parametrize("raw", ED25519_NON_MEMBERS.values(), ids=ED25519_NON_MEMBERS.keys())
def test_ed25519_non_members_are_refused(raw: bytes) -> None:
    with pytest.raises(InvalidGroupElement, match="credential"):
        ED25519.decode(raw, "credential")
    _assert_decode_many_names(ED25519, raw)


def test_ed25519_mixed_order_point_agrees_with_libsodium_addition() -> None:
    order_two = bytes.fromhex(SMALL_ORDER_POINTS["(0, -1) (order 2)"])
    mixed = sodium.crypto_core_ed25519_add(ED25519.generator.to_bytes(), order_two)
    assert mixed == ref.encode(ref.add(ref.BASE, (0, ref.P - 1)))
    assert ref.on_curve(ref.add(ref.BASE, (0, ref.P - 1)))


def test_ed25519_sign_bit_selects_the_negated_point() -> None:
    # No prime-order point has y < 19, so none has a second, non-canonical encoding y + p < 2^255
    # (the reference search in edwards25519 finds only the identity, y = 1): the sign bit is the
    # only freedom left, and flipping it must give -B, never B again.
    for y in range(19):
        for sign in (0, 1):
            x = ref.recover_x(y, sign)
            if x is not None and (x, y) != ref.IDENTITY:
                assert ref.multiply(ref.L, (x, y)) != ref.IDENTITY
    raw = bytearray(ED25519.generator.to_bytes())
    raw[31] ^= 0x80
    flipped = ED25519.decode(bytes(raw))
    assert flipped == ED25519.inverse(ED25519.generator)


# -- scalars, names, mixing groups ----------------------------------------------------------


@pytest.mark.parametrize("bad", [True, False, -1, "order", "order+1", 1.0, "1", None, gmpy2.mpz(1)])
def test_check_scalar_refuses(group: Group, bad: object) -> None:
    if bad == "order":
        bad = group.order
    elif bad == "order+1":
        bad = group.order + 1
    with pytest.raises(InvalidScalar, match="nonce"):
        group.check_scalar(bad, "nonce")


def test_check_scalar_accepts_the_range(group: Group) -> None:
    for value in (0, 1, group.order - 1):
        assert group.check_scalar(value) == value


def test_scalar_bytes_round_trip_and_refusals(group: Group) -> None:
    value = group.order - 1
    assert group.scalar_from_bytes(group.scalar_to_bytes(value)) == value
    with pytest.raises(InvalidScalar, match="32 bytes"):
        group.scalar_from_bytes(b"\x00" * 31)
    with pytest.raises(InvalidScalar):
        group.scalar_from_bytes(group.order.to_bytes(32, "big"))


def test_random_scalars_are_nonzero_and_in_range(group: Group) -> None:
    drawn = {group.random_scalar() for _ in range(50)}
    assert len(drawn) == 50
    assert all(0 < value < group.order for value in drawn)


@pytest.mark.parametrize("name", ["", "ED25519", "modp2048", "p256", None, 25519, b"ed25519"])
def test_group_by_name_refuses_unknown_names(name: object) -> None:
    with pytest.raises(InvalidInput, match="unknown group"):
        group_by_name(name)


def test_elements_of_one_group_are_refused_by_the_other() -> None:
    ed, modp = ED25519.generator, MODP4096.generator
    for group, foreign, native in ((ED25519, modp, ed), (MODP4096, ed, modp)):
        for operation in (
            lambda: group.mul(native, foreign),
            lambda: group.mul(foreign, native),
            lambda: group.div(native, foreign),
            lambda: group.exp(foreign, 2),
            lambda: group.exp_secret(foreign, 2),
            lambda: group.exp2(native, 1, foreign, 1),
            lambda: group.exp2(foreign, 1, native, 1),
            lambda: group.fixed_base(foreign),
            lambda: native * foreign,
        ):
            with pytest.raises(InvalidGroupElement, match="used in"):
                operation()
        with pytest.raises(InvalidGroupElement):
            group.decode(foreign.to_bytes())
    assert ed != modp


def test_elements_are_immutable(group: Group) -> None:
    element: Element = group.generator
    with pytest.raises(AttributeError):
        element.value = 5


# -- hash to element ------------------------------------------------------------------------


@FEW
@given(data=st.data())
def test_hash_to_element_is_a_deterministic_member(group: Group, data: st.DataObject) -> None:
    label = data.draw(st.binary(max_size=16))
    element = group.hash_to_element(Purpose.GENERATOR, label)
    assert element == group.hash_to_element(Purpose.GENERATOR, label)
    assert group.decode(element.to_bytes()) == element
    assert element != group.generator
    assert group.hash_to_element(Purpose.TEST, label) != element


@FEW
@given(data=st.data())
def test_public_exponents_reduce_modulo_the_order(group: Group, data: st.DataObject) -> None:
    k = data.draw(nonzero_scalars(group))
    assert group.base_exp(k + group.order) == group.base_exp(k)
    assert group.base_exp(k - group.order) == group.base_exp(k)


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=32, max_size=32))
def test_ed25519_from_uniform_is_the_documented_elligator_map(uniform: bytes) -> None:
    # docs/spec.md section 2.5 describes libsodium's map; the reference follows the text.
    assert ref.from_uniform(uniform) == sodium.crypto_core_ed25519_from_uniform(uniform)


def test_hash_to_element_follows_the_spec() -> None:
    label: list[Value] = [b"label", 7]
    uniform = digest(Purpose.GENERATOR, "ed25519", *label)[:32]
    expected_ed = ref.from_uniform(uniform)
    assert ED25519.hash_to_element(Purpose.GENERATOR, *label).to_bytes() == expected_ed
    wide = b"".join(digest(Purpose.GENERATOR, "modp4096", 0, block, *label) for block in range(9))
    expected_modp = pow(int.from_bytes(wide, "big") % MODP_P, MODP_COFACTOR, MODP_P)
    assert int(MODP4096.hash_to_element(Purpose.GENERATOR, *label).value) == expected_modp


def test_groups_and_elements_pickle_by_name(group: Group) -> None:
    # Process pools: a group comes back as the one instance, so elements still compare equal.
    assert pickle.loads(pickle.dumps(group)) is group
    element = group.base_exp(12345)
    restored = pickle.loads(pickle.dumps(element))
    assert restored == element
    assert restored.group is group
    assert restored * group.generator == element * group.generator


def test_decode_many_or_identity_accepts_only_the_identity_besides_members(group: Group) -> None:
    identity = group.identity.to_bytes()
    member = group.base_exp(12345)
    decoded = group.decode_many_or_identity([identity, member.to_bytes(), identity], "tally")
    assert decoded == [group.identity, member, group.identity]
    assert group.decode_many_or_identity([], "tally") == []
    with pytest.raises(InvalidGroupElement):
        group.decode(identity, "share")
    bad = bytes(group.element_size)  # zero: never a member, never the identity
    with pytest.raises(InvalidGroupElement, match=r"tally\[2\]"):
        group.decode_many_or_identity([identity, member.to_bytes(), bad], "tally")


def test_ed25519_self_test_constants_are_a_small_and_a_mixed_order_point() -> None:
    small = ref.decode(groups_module._SMALL_ORDER_POINT)
    mixed = ref.decode(groups_module._MIXED_ORDER_POINT)
    assert small is not None and ref.order_of_torsion(small) == 8
    assert mixed is not None and ref.encode(ref.add(ref.BASE, small)) == ref.encode(mixed)


@pytest.mark.parametrize("point", ["_SMALL_ORDER_POINT", "_MIXED_ORDER_POINT"])
def test_ed25519_refuses_to_run_on_a_vulnerable_libsodium(
    monkeypatch: pytest.MonkeyPatch, point: str
) -> None:
    """A libsodium with CVE-2025-69277 (simulated) stops evote at the first decode, typed."""
    accepted = getattr(groups_module, point)
    real = sodium.crypto_core_ed25519_is_valid_point

    def vulnerable(data: bytes) -> bool:
        return data == accepted or bool(real(data))

    monkeypatch.setattr(groups_module.sodium, "crypto_core_ed25519_is_valid_point", vulnerable)
    monkeypatch.setattr(ED25519, "_point_check_tested", False)
    kind = "small-order" if point == "_SMALL_ORDER_POINT" else "mixed-order"
    for _ in range(2):  # refused again: a failed self-test never counts as passed
        with pytest.raises(
            UnsafeDependency, match=rf"{kind} point .*CVE-2025-69277.*PyNaCl >= 1\.6\.2"
        ):
            ED25519.decode(ED25519.generator.to_bytes())


def test_ed25519_self_test_runs_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bytes] = []
    real = sodium.crypto_core_ed25519_is_valid_point

    def counting(data: bytes) -> bool:
        calls.append(data)
        return bool(real(data))

    monkeypatch.setattr(groups_module.sodium, "crypto_core_ed25519_is_valid_point", counting)
    monkeypatch.setattr(ED25519, "_point_check_tested", False)
    generator = ED25519.generator.to_bytes()
    for _ in range(3):
        assert ED25519.decode(generator) == ED25519.generator
    assert calls == [
        groups_module._SMALL_ORDER_POINT,
        groups_module._MIXED_ORDER_POINT,
        generator,
        generator,
        generator,
    ]
