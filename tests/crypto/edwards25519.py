"""A slow, independent edwards25519 reference for the tests (RFC 8032 section 5.1).

Written from the formulas of RFC 8032 (section 5.1: curve constants, 5.1.2 encoding,
5.1.3 decoding, 5.1.4 point addition) in affine coordinates, so that the tests can build points
libsodium would refuse to produce (small-order and mixed-order points, non-canonical
encodings) and check libsodium's results against a second computation. Never used by evote.
"""

from __future__ import annotations

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, -1, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)

Point = tuple[int, int]  # affine (x, y)

IDENTITY: Point = (0, 1)


def on_curve(point: Point) -> bool:
    """-x^2 + y^2 = 1 + d x^2 y^2 (mod p)."""
    x, y = point
    return (-x * x + y * y - 1 - D * x * x * y * y) % P == 0


def add(a: Point, b: Point) -> Point:
    """The complete twisted Edwards addition law (RFC 8032 section 5.1.4, affine form)."""
    x1, y1 = a
    x2, y2 = b
    t = D * x1 * x2 * y1 * y2 % P
    x3 = (x1 * y2 + x2 * y1) * pow(1 + t, -1, P) % P
    y3 = (y1 * y2 + x1 * x2) * pow(1 - t, -1, P) % P
    return x3, y3


def negate(a: Point) -> Point:
    return (-a[0] % P, a[1])


def multiply(scalar: int, point: Point) -> Point:
    """scalar · point by double-and-add (variable time: tests only)."""
    result = IDENTITY
    addend = point
    while scalar:
        if scalar & 1:
            result = add(result, addend)
        addend = add(addend, addend)
        scalar >>= 1
    return result


def encode(point: Point) -> bytes:
    """RFC 8032 section 5.1.2: y little-endian, the sign of x in the top bit."""
    x, y = point
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def encode_raw(y: int, sign: int) -> bytes:
    """An encoding with any 255-bit y (possibly >= p: non-canonical) and sign bit."""
    return (y | (sign << 255)).to_bytes(32, "little")


def recover_x(y: int, sign: int) -> int | None:
    """RFC 8032 section 5.1.3 step 2-4: the x of sign ``sign`` for ``y``, or None."""
    if y >= P:
        return None
    u = (y * y - 1) % P
    v = (D * y * y + 1) % P
    candidate = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    if (v * candidate * candidate - u) % P == 0:
        x = candidate
    elif (v * candidate * candidate + u) % P == 0:
        x = candidate * SQRT_M1 % P
    else:
        return None
    if x == 0 and sign == 1:
        return None
    if x & 1 != sign:
        x = P - x
    return x


def decode(data: bytes) -> Point | None:
    """RFC 8032 decoding (canonical y only), or None if it fails."""
    number = int.from_bytes(data, "little")
    y = number & ((1 << 255) - 1)
    x = recover_x(y, number >> 255)
    return None if x is None else (x, y)


BASE: Point = (recover_x(4 * pow(5, -1, P) % P, 0) or 0, 4 * pow(5, -1, P) % P)


def order_of_torsion(point: Point) -> int:
    """The order of a point of the 8-torsion (1, 2, 4 or 8)."""
    current, order = point, 1
    while current != IDENTITY:
        current = add(current, point)
        order += 1
    return order


def eight_torsion() -> list[Point]:
    """The eight points of order dividing 8, as multiples of a point of order 8.

    A point of order 8 is L · Q for a curve point Q whose 8-torsion component has order 8
    (the curve has order 8·L); the tests try small y until one is found.
    """
    for y in range(2, 1000):
        x = recover_x(y, 0)
        if x is None:
            continue
        torsion = multiply(L, (x, y))
        if order_of_torsion(torsion) == 8:
            return [multiply(k, torsion) for k in range(8)]
    raise RuntimeError("no point of order 8 found")  # pragma: no cover


MONTGOMERY_A = 486662


def _is_square(value: int) -> bool:
    return pow(value % P, (P - 1) // 2, P) in (0, 1)


def _inverse_or_zero(value: int) -> int:
    # Field inversion as libsodium computes it (value^(p-2)): the inverse of 0 is 0.
    return pow(value % P, P - 2, P)


def from_uniform(data: bytes) -> bytes:
    """libsodium's crypto_core_ed25519_from_uniform, as docs/spec.md section 2.5 describes it.

    The top bit of the 32 bytes is the sign of the Edwards x; the other 255 bits, read
    little-endian and reduced mod p, are the Elligator 2 input r (Bernstein, Hamburg, Krasnova,
    Lange, "Elligator: elliptic-curve points indistinguishable from uniform random strings",
    CCS 2013, with the non-square 2): x1 = -A / (1 + 2r^2) on the Montgomery curve
    v^2 = u^3 + A u^2 + u; u = x1 if x1^3 + A x1^2 + x1 is a square, else -x1 - A. The Edwards
    point has y = (u - 1) / (u + 1) and the x of that sign; the result is 8 times that point.
    """
    x_sign = data[31] >> 7
    r = (int.from_bytes(data, "little") & ((1 << 255) - 1)) % P
    x1 = -MONTGOMERY_A * _inverse_or_zero(1 + 2 * r * r) % P
    gx1 = (x1**3 + MONTGOMERY_A * x1 * x1 + x1) % P
    u = x1 if _is_square(gx1) else (-x1 - MONTGOMERY_A) % P
    y = (u - 1) * _inverse_or_zero(u + 1) % P
    x = recover_x(y, x_sign)
    if x is None:
        x = recover_x(y, 0)
    if x is None:
        raise ValueError("Elligator output off the curve")  # pragma: no cover
    return encode(multiply(8, (x, y)))
