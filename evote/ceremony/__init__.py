"""The key ceremony: trustees, threshold key generation, trustee key files, share transport.

See DESIGN.md section 7. :mod:`evote.ceremony.keyfile` keeps a trustee's secret share under a
passphrase; :mod:`evote.ceremony.transport` carries shares between trustees, encrypted and
authenticated.
"""
