"""The published election record: export from the board, strict import (docs/record-format.md).

:func:`export_record` writes one election's complete public record (a directory of JSON
documents and ``board.jsonl``, optionally also one archive file); :func:`load_record` reads it
back strictly into an :class:`ElectionRecord` for the verifier. Reading loads no database code:
the board the export reads is the caller's. :func:`publish_tally` and :func:`publish_result`,
which put the tally and the result on the board where the record finds them, are the tally's
acts (:mod:`evote.tallying`); they are kept here by name, imported on first use (PEP 562).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from evote.lazy import lazy_names
from evote.record.export import export_record, reseal_record
from evote.record.load import load_record
from evote.record.model import FORMAT_NAME, FORMAT_VERSION, ElectionRecord
from evote.record.publish import (
    PublishedTally,
    published_tally_from_json_obj,
    result_from_json_obj,
)

if TYPE_CHECKING:
    from evote.tallying import publish_result, publish_tally

#: The tally's board-writing acts, imported from evote.tallying on first use.
_TALLY_ACTS: dict[str, str] = {
    "publish_result": "evote.tallying",
    "publish_tally": "evote.tallying",
}

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "ElectionRecord",
    "PublishedTally",
    "export_record",
    "load_record",
    "publish_result",
    "publish_tally",
    "published_tally_from_json_obj",
    "reseal_record",
    "result_from_json_obj",
]


__getattr__, __dir__ = lazy_names(__name__, _TALLY_ACTS, globals())
