"""Ballots: the manifest, plaintext and encrypted ballots, their checks and the Benaloh audit.

See docs/spec-ballots.md. Eligibility credentials and ballot signatures live in
:mod:`evote.ballots.credentials` and :mod:`evote.ballots.signature`.
"""
