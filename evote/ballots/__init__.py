"""Ballots: the manifest, plaintext and encrypted ballots, their checks and the Benaloh audit.

See docs/spec.md section 6. Eligibility credentials and ballot signatures live in
:mod:`evote.ballots.credentials` and :mod:`evote.ballots.signature`.
"""
