"""``evote serve``: the voting service, an HTTP API over the bulletin board (docs/service.md).

Voters' devices cast ballots and look up tracking codes; portals read elections' state and
counts; auditors download the record. Officers keep running open, close and tally with the
``evote`` command against the same database, and the service sees each step at once: it
caches only what never changes (an election's setup, a tallied election's record).

Nothing here is imported by ``import evote``: the web framework loads only when a program
builds the service (:func:`evote.service.app.create_app`).
"""
