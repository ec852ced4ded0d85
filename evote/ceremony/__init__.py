"""The key ceremony: trustees, threshold key generation, trustee key files, share transport.

See docs/spec.md section 8. :mod:`evote.ceremony.dkg` holds the
protocol (Pedersen DKG with Feldman commitments, proofs of knowledge and a commit-then-reveal
round) and runs it in one process; :mod:`evote.ceremony.stages` declares a trustee's stages and
the steps between them, once; :mod:`evote.ceremony.files` runs the same steps one trustee per
machine, exchanging files, each step one transaction of the trustee's folder;
:mod:`evote.ceremony.wire` reads and writes the public messages as strict JSON.
:mod:`evote.ceremony.keyfile` keeps a trustee's secrets under a passphrase;
:mod:`evote.ceremony.transport` carries shares between trustees, encrypted and authenticated.
"""

from evote.ceremony.dkg import (
    CeremonyResult,
    Trustee,
    TrusteeShare,
    check_ceremony_result,
    run_ceremony,
)

__all__ = [
    "CeremonyResult",
    "Trustee",
    "TrusteeShare",
    "check_ceremony_result",
    "run_ceremony",
]
