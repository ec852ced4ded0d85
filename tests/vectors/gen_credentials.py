"""Write tests/vectors/credentials.json: known answers for credentials and their signatures.

Run from the repository root: ``python tests/vectors/gen_credentials.py``. The file pins, for
fixed codes and election ids on both groups, every intermediate value of the derivation (the
HKDF info and output, the scalar, the public credential), the digest of a credential list and a
signature made with a fixed nonce, so that a second implementation of docs/spec.md section 7
can be checked value by value. tests/ballots/test_credentials.py and test_signature.py recompute
everything and compare.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.hashes import SHA512
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from evote.ballots.credentials import (
    CredentialEntry,
    CredentialList,
    check_symbol,
    credential_keypair,
    format_credential_code,
    kdf_info,
    parse_credential_code,
)
from evote.ballots.signature import Signature, message_digest, signature_to_json_obj
from evote.crypto.groups import Group, all_groups
from evote.crypto.hashing import Purpose
from evote.crypto.proofs import Proof, ProofContext, challenge

OUTPUT = Path(__file__).with_name("credentials.json")

# Data symbols chosen to cover every value of the alphabet at least once across the codes.
DATA = ("0123456789ABCDEFGHJ", "KMNPQRSTVWXYZ000000", "ZYXWVTSRQPNMKJHGFED")
ELECTION_IDS = ("vector-2025", "référendum-communal-2026")
FINGERPRINT = bytes(range(32))
MESSAGE = b"evote/1 credential signature test vector"
# A fixed signing nonce: only a test vector may fix it; sign_message always draws it fresh.
NONCE = int.from_bytes(bytes(range(64, 96)), "big")


def codes() -> list[str]:
    return [format_credential_code(data + check_symbol(data)) for data in DATA]


def derivation(group: Group, election_id: str, code: str) -> dict[str, Any]:
    symbols = parse_credential_code(code).replace("-", "")
    info = kdf_info(group, election_id)
    okm = HKDF(algorithm=SHA512(), length=64, salt=None, info=info).derive(symbols.encode())
    secret, public = credential_keypair(group, election_id, code)
    return {
        "code": code,
        "election_id": election_id,
        "kdf_info": info.hex(),
        "kdf_output": okm.hex(),
        "secret": Group.scalar_to_bytes(secret).hex(),
        "public": public.to_bytes().hex(),
    }


def fixed_signature(group: Group, election_id: str, code: str) -> dict[str, Any]:
    secret, public = credential_keypair(group, election_id, code)
    nonce = NONCE % group.order
    context = ProofContext(FINGERPRINT, (message_digest(MESSAGE),))
    commitment = group.base_exp(nonce)
    c = challenge(
        group, Purpose.CREDENTIAL_SIGNATURE, context, [group.generator, public], [commitment]
    )
    v = (nonce - c * secret) % group.order
    return {
        "code": code,
        "election_id": election_id,
        "fingerprint": FINGERPRINT.hex(),
        "message": MESSAGE.hex(),
        "message_digest": message_digest(MESSAGE).hex(),
        "nonce": Group.scalar_to_bytes(nonce).hex(),
        "commitment": commitment.to_bytes().hex(),
        "signature": signature_to_json_obj(Signature(Proof(c, v))),
    }


def credential_list(group: Group, election_id: str) -> dict[str, Any]:
    entries = tuple(
        CredentialEntry(credential_keypair(group, election_id, code)[1], weight)
        for weight, code in enumerate(codes(), start=1)
    )
    listed = CredentialList(group, entries)
    return {
        "election_id": election_id,
        "codes": codes(),
        "weights": [1, 2, 3],
        "json": listed.to_json_obj(),
        "digest": listed.digest().hex(),
    }


def vectors() -> dict[str, Any]:
    return {
        "description": "evote credential vectors; see docs/spec.md section 7",
        "check_symbols": [
            {"data": data, "code": code} for data, code in zip(DATA, codes(), strict=True)
        ],
        "groups": {
            group.name: {
                "derivations": [
                    derivation(group, election_id, code)
                    for election_id in ELECTION_IDS
                    for code in codes()
                ],
                "signature": fixed_signature(group, ELECTION_IDS[0], codes()[0]),
                "list": credential_list(group, ELECTION_IDS[0]),
            }
            for group in all_groups()
        },
    }


def main() -> None:
    OUTPUT.write_text(json.dumps(vectors(), indent=1, ensure_ascii=False) + "\n", "utf-8")
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
