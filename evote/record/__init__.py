"""The published election record: export from the board, strict import (docs/record-format.md).

:func:`export_record` writes one election's complete public record (a directory of JSON
documents and ``board.jsonl``, optionally also one archive file); :func:`load_record` reads it
back strictly into an :class:`ElectionRecord` for the verifier. :func:`publish_tally` and
:func:`publish_result` put the tally and the result on the board, where the record finds them.
"""

from evote.record.export import export_record, reseal_record
from evote.record.model import FORMAT_NAME, FORMAT_VERSION, ElectionRecord, load_record
from evote.record.publish import (
    PublishedTally,
    publish_result,
    publish_tally,
    result_from_body,
    tally_from_body,
)

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "ElectionRecord",
    "PublishedTally",
    "export_record",
    "load_record",
    "publish_result",
    "publish_tally",
    "reseal_record",
    "result_from_body",
    "tally_from_body",
]
