"""``verify_record``: every numbered step of docs/spec.md section 11 on a published record.

Each step calls the same ``check_*`` function as the path that produced the object (the
board's cast, the ceremony, the tally), so there is one implementation of every rule and two
callers. A step that raises anything at all, expected or not, is a failed step: the verifier
never passes what it could not check. A step that needs the output of a failed step is
*blocked*; a step with nothing to check yet (no tally published) is *skipped*.

Step 11.0 is reading the record (:func:`read_record`): a record that was read and is wrong
fails it and blocks every other step; one that could not be read at all raises
:class:`~evote.errors.UnreadableRecord`. The ballot checks (step 11.7) and the Benaloh audits
of the spoiled ballots (11.7.1) run on any :class:`concurrent.futures.Executor` in chunks
(:mod:`evote.verify.work`); the board's rules (11.8), the counted set (11.9) and the
aggregation (11.10) are computed from the small facts and partial products the chunks return,
in board order, so memory stays bounded by the number of credentials, not of ballots.
"""

from __future__ import annotations

import hmac
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from evote.ballots.credentials import CredentialList
from evote.ballots.encrypted import EncryptedBallot, decode_ballot
from evote.ballots.manifest import RevotePolicy
from evote.board.chain import BoardEntry, EntryKind, genesis_hash, verify_chain
from evote.board.checkpoint import Checkpoint, check_checkpoint, check_consistent, check_extends
from evote.board.payloads import EVENT_KINDS, decode_event
from evote.board.rules import ALLOWED_AFTER
from evote.board.setup import decode_setup
from evote.ceremony.dkg import check_ceremony_result
from evote.crypto.elgamal import Ciphertext
from evote.crypto.groups import group_by_name
from evote.election import Election
from evote.errors import (
    BoardIntegrityError,
    CeremonyError,
    ContextMismatch,
    DuplicateBallot,
    InvalidBallot,
    InvalidInput,
    InvalidProof,
    InvalidRecord,
    InvalidResult,
    InvalidSignature,
    UnreadableRecord,
)
from evote.record.load import load_record
from evote.record.model import ElectionRecord
from evote.record.publish import published_tally_from_json_obj, result_from_json_obj
from evote.sysmem import release_free_memory
from evote.tally.aggregate import EncryptedTally, aggregate, multiply_tallies
from evote.tally.decryption import (
    CombinedTally,
    check_decryption_share,
    column_bounds,
    combine_shares,
    solve_counts,
)
from evote.tally.mixnet import (
    Mix,
    MixInput,
    check_mix_chain,
    check_mixed_share,
    combine_mixed_shares,
    mix_input,
    mixnet_questions,
)
from evote.tally.result import (
    DecryptedCounts,
    ElectionResult,
    MixedAnswers,
    check_result,
    turnout_of,
)
from evote.verify.cluster import SharingExecutor
from evote.verify.facts import FactStore
from evote.verify.report import Anchors, AuditReport, StepReport, StepStatus, VerificationReport
from evote.verify.work import (
    ChunkEntry,
    ChunkResult,
    ElectionSource,
    check_chunk,
    remember_election,
    setup_digest,
)

#: Ballots per task sent to a worker: enough to amortise the round trip and the partial
#: product (one multiplication per column per chunk in the main process).
DEFAULT_CHUNK_SIZE: Final = 500
#: Tasks in flight at once: enough to keep a large pool busy, few enough to bound memory.
DEFAULT_MAX_PENDING: Final = 32
#: Superseded ballots decoded and multiplied at once by step 11.10.
SUPERSEDED_BATCH: Final = 1000

Progress = Callable[[str, int, int], None]
#: Checkpoints an auditor holds: by name (the file they came from), or in a sequence.
HeldCheckpoints = Mapping[str, Checkpoint] | Sequence[Checkpoint]
#: The length of an election fingerprint (docs/spec.md section 6.3).
FINGERPRINT_BYTES: Final = 32

#: (number, name) of every step, in the order they run (docs/spec.md section 11).
STEPS: Final = (
    ("11.0", "record files"),
    ("11.1", "parameters"),
    ("11.2", "manifest and fingerprint"),
    ("11.3", "key ceremony"),
    ("11.4", "credential list"),
    ("11.5", "board chain and life cycle"),
    ("11.6", "checkpoints"),
    ("11.7", "ballots"),
    ("11.7.1", "Benaloh audits"),
    ("11.8", "duplicates and replays"),
    ("11.9", "counted ballots"),
    ("11.10", "aggregation"),
    ("11.11", "decryption shares"),
    ("11.12", "combination"),
    ("11.13", "discrete logarithms"),
    ("11.14", "result and winners"),
    ("11.16", "mix chain"),
    ("11.17", "mixed decryptions"),
    ("11.18", "count"),
)


class _Skip(Exception):
    """The step has nothing to check in this record (raised with the reason)."""


class _Blocked(Exception):
    """The step cannot run: something it needs was not established (raised with the reason)."""


@dataclass
class _BallotPass:
    """What step 11.7 gathers for steps 11.8 to 11.10: counters here, per-ballot facts on disk."""

    facts: FactStore | None = None
    entries: int = 0
    ballot_errors: int = 0
    first_ballot_error: str | None = None
    undecoded: int = 0
    complete: bool = False
    product: EncryptedTally | None = None
    unaggregated: int = 0
    first_unaggregated: int | None = None
    # Spoiled ballots are few (a voter's challenge): their verdicts are kept for the report.
    audits: list[AuditReport] = field(default_factory=list)


def _quotient(a: Ciphertext, b: Ciphertext) -> Ciphertext:
    return Ciphertext(a.alpha / b.alpha, a.beta / b.beta)


def _divide(left: EncryptedTally, right: EncryptedTally) -> EncryptedTally:
    """``left`` with the ballots of ``right`` taken out again (right ⊆ left)."""
    return EncryptedTally(
        left.group,
        tuple(
            tuple(_quotient(a, b) for a, b in zip(row_a, row_b, strict=True))
            for row_a, row_b in zip(left.options, right.options, strict=True)
        ),
        tuple(
            None if a is None or b is None else _quotient(a, b)
            for a, b in zip(left.blanks, right.blanks, strict=True)
        ),
        left.ballot_count - right.ballot_count,
        left.total_weight - right.total_weight,
    )


def _same_tally(computed: EncryptedTally, published: EncryptedTally) -> None:
    """The same ciphertexts in every column (the counts and weights are step 11.9's)."""
    if computed.group is not published.group:
        raise InvalidResult("tally: published on another group")
    if computed.shape != published.shape:
        raise InvalidResult("tally: its questions and options differ from the manifest's")
    for (question, option, mine), (_, _, theirs) in zip(
        computed.columns(), published.columns(), strict=True
    ):
        if mine != theirs:
            raise InvalidResult(
                f"tally: question {question} option {option} is not the product of the"
                " counted ballots"
            )


class _Verifier:
    def __init__(
        self,
        record: ElectionRecord,
        executor: Executor | None,
        progress: Progress | None,
        chunk_size: int,
        max_pending: int,
        loaded: StepReport | None = None,
        expected_fingerprint: bytes | None = None,
        held_checkpoints: HeldCheckpoints = (),
    ) -> None:
        if chunk_size < 1 or max_pending < 1:
            raise InvalidInput("verify: chunk size and tasks in flight must be at least 1")
        if expected_fingerprint is not None and (
            not isinstance(expected_fingerprint, bytes)
            or len(expected_fingerprint) != FINGERPRINT_BYTES
        ):
            raise InvalidInput(f"verify: an expected fingerprint is {FINGERPRINT_BYTES} bytes")
        self.expected_fingerprint = expected_fingerprint
        self.held: tuple[tuple[str, Checkpoint], ...] = (
            tuple(held_checkpoints.items())
            if isinstance(held_checkpoints, Mapping)
            else tuple((f"#{number}", held) for number, held in enumerate(held_checkpoints, 1))
        )
        self.record = record
        self.loaded = loaded
        self.election: Election = record.election
        self.executor = executor
        self.progress = progress
        self.chunk_size = chunk_size
        self.max_pending = max_pending
        self.reports: dict[str, StepReport] = {}
        self.setup_digest: bytes | None = None
        self.kinds: dict[EntryKind, int] = dict.fromkeys(EntryKind, 0)
        self.ballots = _BallotPass()
        self.combined: CombinedTally | None = None
        self.counts: DecryptedCounts | None = None
        self.mix_source: MixInput | None = None
        self.mixed: MixedAnswers | None = None

    # -- the runner ---------------------------------------------------------------------

    def run(self) -> VerificationReport:
        steps: dict[str, tuple[Callable[[], int], tuple[str, ...]]] = {
            "11.0": (self.record_files, ()),
            "11.1": (self.parameters, ()),
            "11.2": (self.manifest_and_fingerprint, ()),
            "11.3": (self.ceremony, ()),
            "11.4": (self.credentials, ()),
            "11.5": (self.chain, ("11.2",)),
            "11.6": (self.checkpoints, ()),
            "11.7": (self.ballot_checks, ("11.2",)),
            "11.7.1": (self.audits, ()),
            "11.8": (self.board_rules, ()),
            "11.9": (self.counted, ()),
            "11.10": (self.aggregation, ()),
            "11.11": (self.shares, ("11.10",)),
            "11.12": (self.combination, ("11.11",)),
            "11.13": (self.discrete_logs, ("11.12",)),
            "11.14": (self.result, ("11.13",)),
            "11.16": (self.mix_chain, ("11.7", "11.8", "11.9")),
            "11.17": (self.mixed_decryptions, ("11.12", "11.16")),
            "11.18": (self.count, ("11.13", "11.17")),
        }
        try:
            for number, name in STEPS:
                function, needs = steps[number]
                if number == "11.0" and self.loaded is not None:
                    self.reports[number] = self.loaded
                    continue
                self.reports[number] = self._run_step(number, name, function, needs)
        finally:
            if self.ballots.facts is not None:
                self.ballots.facts.close()
        return VerificationReport(
            self.record.election_id,
            tuple(self.reports.values()),
            tuple(self.ballots.audits),
            self._anchors(),
        )

    def _anchors(self) -> Anchors:
        """What the auditor compares with what the officers announced (docs/spec.md 11.0)."""
        election = self.election
        checkpoints = self.record.checkpoints
        return Anchors(
            election.fingerprint,
            election.board_key,
            checkpoints[-1] if checkpoints else None,
            self.expected_fingerprint,
            tuple(name for name, _ in self.held),
        )

    def _run_step(
        self, number: str, name: str, function: Callable[[], int], needs: tuple[str, ...]
    ) -> StepReport:
        started = time.perf_counter()
        for need in needs:
            if not self.reports[need].ok:
                return StepReport(
                    number, name, 0, False, 0.0,
                    f"not run: step {need} ({self.reports[need].name}) did not pass",
                    StepStatus.BLOCKED, None,
                )  # fmt: skip
        try:
            items = function()
        except _Skip as reason:
            return StepReport(number, name, 0, True, time.perf_counter() - started,
                              str(reason), StepStatus.SKIPPED, None)  # fmt: skip
        except _Blocked as reason:
            return StepReport(number, name, 0, False, time.perf_counter() - started,
                              f"not run: {reason}", StepStatus.BLOCKED, None)  # fmt: skip
        except Exception as error:
            return StepReport(
                number, name, 0, False, time.perf_counter() - started,
                f"{type(error).__name__}: {error}", StepStatus.FAILED, type(error).__name__,
            )  # fmt: skip
        return StepReport(number, name, items, True, time.perf_counter() - started, None)

    def _tick(self, label: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(label, done, total)

    # -- 11.0 to 11.4: the record and the election ---------------------------------------

    def record_files(self) -> int:
        """11.0: the record was read strictly (an ElectionRecord exists only once it was)."""
        return sum(1 for path in self.record.path.iterdir() if path.is_file())

    def parameters(self) -> int:
        """11.1: the group is one of the two known groups, used by every part of the record."""
        election = self.election
        group = election.group
        if group_by_name(group.name) is not group:
            raise InvalidInput(f"group {group.name!r} is not one of evote's groups")
        if election.manifest.group_name != group.name:
            raise ContextMismatch(
                f"manifest names group {election.manifest.group_name!r}, the election"
                f" uses {group.name!r}"
            )
        if self.record.ceremony.group is not group:
            raise ContextMismatch("the key ceremony ran on another group")
        key = election.public_key.element
        if key.group is not group or key == group.identity:
            raise InvalidInput("the election public key is not a non-identity element")
        return 1

    def _setup_entry(self) -> BoardEntry:
        for entry in self.record.entries(index=False):
            if entry.position != 1 or entry.kind is not EntryKind.SETUP:
                raise BoardIntegrityError(
                    f"board entry {entry.position} is a {entry.kind.value}, expected the setup"
                    " entry at position 1"
                )
            return entry
        raise InvalidRecord("board.jsonl: no entries")

    def manifest_and_fingerprint(self) -> int:
        """11.2: the board's setup entry describes this election; the fingerprint recomputed."""
        election = self.election
        rebuilt = Election(
            election.manifest,
            election.group,
            election.public_key,
            election.credentials,
            election.ceremony_digest,
            election.board_key,
        )
        announced = self.expected_fingerprint
        if announced is not None and not hmac.compare_digest(announced, rebuilt.fingerprint):
            raise ContextMismatch(
                f"fingerprint: the record's election has {rebuilt.fingerprint.hex()}, not the"
                f" announced {announced.hex()}: this is not the election that was announced"
            )
        entry = self._setup_entry()
        setup = decode_setup(entry.payload, "board entry 1 (setup)")
        pairs: tuple[tuple[str, bytes, bytes], ...] = (
            ("fingerprint", rebuilt.fingerprint, election.fingerprint),
            ("fingerprint on the board", setup.election.fingerprint, election.fingerprint),
            ("manifest", setup.election.manifest.digest(), election.manifest.digest()),
            ("credential list", setup.election.credentials.digest(),
             election.credentials.digest()),
            ("public key", setup.election.public_key.element.to_bytes(),
             election.public_key.element.to_bytes()),
            ("ceremony digest", setup.election.ceremony_digest, election.ceremony_digest),
            ("board key", setup.election.board_key, election.board_key),
        )  # fmt: skip
        for what, expected, given in pairs:
            if not hmac.compare_digest(expected, given):
                raise ContextMismatch(f"{what}: the record and its board's setup entry differ")
        if setup.launch_code != self.record.launch_code:
            raise ContextMismatch("launch code: the record and its board's setup entry differ")
        # The workers' election: in this process's cache before the first task, so that a
        # forking pool shares it instead of every task carrying the setup payload.
        self.setup_digest = setup_digest(entry.payload)
        remember_election(self.setup_digest, setup.election)
        return len(election.manifest.questions)

    def ceremony(self) -> int:
        """11.3: the ceremony recomputed; its joint key and transcript are the election's."""
        ceremony = self.record.ceremony
        election = self.election
        check_ceremony_result(ceremony)
        if ceremony.setup.election_id != election.election_id:
            raise CeremonyError(
                f"ceremony of election {ceremony.setup.election_id!r}, not"
                f" {election.election_id!r}"
            )
        if ceremony.joint_key != election.public_key.element:
            raise CeremonyError("the election public key is not the ceremony's joint key")
        if not hmac.compare_digest(ceremony.transcript_hash, election.ceremony_digest):
            raise CeremonyError("the election's ceremony digest is not the transcript hash")
        return ceremony.setup.trustee_count

    def credentials(self) -> int:
        """11.4: every public credential valid (in the group, not 1), distinct, sorted, weighted.

        The list is rebuilt from its encodings and weights with the checks of its decoder
        (sorted, distinct, weights in range, membership in batches; a process checks the
        membership of the same bytes once) and its digest recomputed.
        """
        listed = self.election.credentials
        group = self.election.group
        rebuilt = CredentialList.from_encodings(
            group, listed.encodings(), listed.weights(), "credential list"
        )
        if len(rebuilt) != len(listed) or not hmac.compare_digest(
            rebuilt.digest(), listed.digest()
        ):
            raise InvalidInput("credential list: differs once rebuilt from its entries")
        return len(listed)

    # -- 11.5 and 11.6: the board ----------------------------------------------------------

    def _life_cycle(self, entries: Iterable[BoardEntry]) -> Iterator[BoardEntry]:
        election_id = self.record.election_id
        previous: EntryKind | None = None
        for entry in entries:
            where = f"board entry {entry.position}"
            if entry.election_id != election_id:
                raise ContextMismatch(f"{where} belongs to election {entry.election_id!r}")
            if previous is None:
                if entry.kind is not EntryKind.SETUP:
                    raise BoardIntegrityError(f"{where}: the board must start with its setup")
            elif entry.kind is EntryKind.SETUP or previous not in ALLOWED_AFTER[entry.kind]:
                raise BoardIntegrityError(
                    f"{where}: a {entry.kind.value} entry cannot follow a {previous.value} entry"
                )
            if entry.kind in EVENT_KINDS:
                self._event(entry, f"{where}: payload")
            self.kinds[entry.kind] += 1
            previous = entry.kind
            yield entry

    def _event(self, entry: BoardEntry, where: str) -> None:
        """A life-cycle payload strictly decoded; a tally's or result's body on its schema."""
        body = decode_event(entry.kind, entry.payload, where, InvalidRecord)
        if entry.kind is EntryKind.TALLY:
            published_tally_from_json_obj(body, self.election, f"{where}.body")
        elif entry.kind is EntryKind.RESULT:
            result_from_json_obj(body, self.election, f"{where}.body")

    def chain(self) -> int:
        """11.5: every link recomputed from the genesis; the life cycle in its order."""
        record = self.record
        election = self.election
        genesis = genesis_hash(record.election_id, election.fingerprint, record.launch_code)
        head = verify_chain(self._life_cycle(record.entries(index=False)), genesis)
        if record.entry_count and head.position != record.entry_count:
            raise InvalidRecord(
                f"board.jsonl: {head.position} entries, record.json lists {record.entry_count}"
            )
        return head.position

    def _held_checkpoints(self) -> None:
        """The checkpoints an auditor holds: signed by the election's key, extended by the board.

        An auditor's checkpoint comes from outside the record (saved when it was published),
        so a board rolled back or rewritten behind it, re-chained and re-signed, cannot pass.
        """
        board_key = self.election.board_key
        for name, held in self.held:
            where = f"held checkpoint {name} (position {held.position})"
            try:
                if held.election_id != self.record.election_id:
                    raise ContextMismatch(f"of election {held.election_id!r}")
                check_checkpoint(held, board_key)
                check_extends(held, self.record.entries(index=False))
            except (ContextMismatch, InvalidSignature, BoardIntegrityError) as fault:
                raise type(fault)(f"{where}: {fault}") from fault

    def checkpoints(self) -> int:
        """11.6: the held checkpoints, then every checkpoint of the record, signed by the
        election's board key; the board extends each of them."""
        record = self.record
        board_key = self.election.board_key
        if not hmac.compare_digest(record.board_key, board_key):
            raise InvalidSignature(
                f"checkpoints.json names board key {record.board_key.hex()}, not the election's"
                f" board key {board_key.hex()} (bound by its fingerprint)"
            )
        self._held_checkpoints()
        checkpoints = record.checkpoints
        if not checkpoints:
            raise BoardIntegrityError("no signed checkpoint of the board in the record")
        positions = {checkpoint.position for checkpoint in checkpoints}
        previous = 0
        for checkpoint in checkpoints:
            if checkpoint.election_id != record.election_id:
                raise ContextMismatch(
                    f"checkpoint at {checkpoint.position}: of election {checkpoint.election_id!r}"
                )
            check_checkpoint(checkpoint, board_key)
            if checkpoint.position < previous:
                raise BoardIntegrityError(
                    f"checkpoint at {checkpoint.position} listed after one at {previous}"
                )
            previous = checkpoint.position
        check_consistent(checkpoints)
        seen: dict[int, bytes] = {}
        events: dict[EntryKind, list[int]] = {EntryKind.OPEN: [], EntryKind.CLOSE: []}

        def observed(stream: Iterator[BoardEntry]) -> Iterator[BoardEntry]:
            for entry in stream:
                if entry.position in positions:
                    seen[entry.position] = entry.chain_hash
                if entry.kind in events:
                    events[entry.kind].append(entry.position)
                yield entry

        check_extends(checkpoints[0], observed(record.entries(index=False)), checkpoints[-1])
        for checkpoint in checkpoints:
            if not hmac.compare_digest(seen.get(checkpoint.position, b""), checkpoint.chain_hash):
                raise BoardIntegrityError(
                    f"checkpoint at {checkpoint.position}: the board's chain hash there differs"
                )
        for kind, places in events.items():
            for position in places:
                if position not in positions:
                    raise BoardIntegrityError(
                        f"the {kind.value} event at {position} has no signed checkpoint"
                    )
        return len(checkpoints) + len(self.held)

    # -- 11.7 to 11.10: the ballots ----------------------------------------------------------

    def _chunks(self) -> Iterator[tuple[ChunkEntry, ...]]:
        chunk: list[ChunkEntry] = []
        for entry in self.record.entries(index=False):
            if entry.kind is EntryKind.BALLOT or entry.kind is EntryKind.SPOILED:
                chunk.append(ChunkEntry(entry.position, entry.kind is EntryKind.SPOILED,
                                        entry.payload))  # fmt: skip
                if len(chunk) >= self.chunk_size:
                    yield tuple(chunk)
                    chunk = []
        if chunk:
            yield tuple(chunk)

    def _results(self, source: ElectionSource) -> Iterator[ChunkResult]:
        """Chunk results in board order, with at most ``max_pending`` tasks in flight."""
        if self.executor is None:
            for chunk in self._chunks():
                yield check_chunk(source, chunk)
            return
        pending: deque[Future[ChunkResult]] = deque()
        # On a cluster the election goes to each worker once, not with every chunk.
        shipped: Any = (
            self.executor.share(source) if isinstance(self.executor, SharingExecutor) else source
        )
        try:
            for chunk in self._chunks():
                pending.append(self.executor.submit(check_chunk, shipped, chunk))
                while len(pending) >= self.max_pending:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()

    def ballot_checks(self) -> int:
        """11.7: every ballot and spoiled ballot decoded and checked with ``check_ballot``."""
        if self.setup_digest is None:
            raise _Blocked("the setup entry was not read")
        state = self.ballots
        state.facts = FactStore()
        total = self.kinds[EntryKind.BALLOT] + self.kinds[EntryKind.SPOILED]
        self._tick("ballots", 0, total)
        source = self._election_source(self.setup_digest)
        # Before the pool forks its workers: they would each start with the loader's peak.
        release_free_memory()
        for result in self._results(source):
            self._absorb(result)
            self._tick("ballots", state.entries, total)
        state.complete = True
        if state.ballot_errors:
            more = state.ballot_errors - 1
            suffix = f" (and {more} more ballot(s) failed)" if more else ""
            raise InvalidBallot(f"{state.first_ballot_error}{suffix}")
        return state.entries

    def _election_source(self, digest: bytes) -> ElectionSource:
        """The digest and the record's path for a local process pool; else the payload inline.

        A process pool runs on this machine: its workers inherit the election (fork) or read
        line 1 of the record once. Another executor (Dask) may run where the record is not:
        its tasks carry the setup payload, as a thread pool's do at no cost, and an executor
        that shares (:class:`~evote.verify.cluster.DaskExecutor`) sends it to each worker once.
        """
        if self.executor is None or isinstance(self.executor, ProcessPoolExecutor):
            return ElectionSource(None, digest, str(self.record.board_path))
        return ElectionSource(self._setup_entry().payload, digest)

    def _absorb(self, result: ChunkResult) -> None:
        state = self.ballots
        if result.unaggregated:
            if state.first_unaggregated is None:
                state.first_unaggregated = result.unaggregated[0]
            state.unaggregated += len(result.unaggregated)
        state.audits.extend(result.audits)
        state.product = (
            result.partial
            if state.product is None
            else multiply_tallies(state.product, result.partial)
        )
        for fact in result.facts:
            state.entries += 1
            if fact.error is not None:
                state.ballot_errors += 1
                if state.first_ballot_error is None:
                    state.first_ballot_error = fact.error
            if fact.ballot_hash is None or fact.marks is None or fact.credential is None:
                state.undecoded += 1
        if state.facts is not None:
            state.facts.add(result.facts)

    def _finished_pass(self) -> tuple[_BallotPass, FactStore]:
        state = self.ballots
        if not state.complete or state.facts is None:
            raise _Blocked("the ballots were not all read (step 11.7)")
        return state, state.facts

    def audits(self) -> int:
        """11.7.1: every spoiled ballot's reveal re-encrypts to its ciphertexts (``check_audit``).

        Judged by the workers of step 11.7, in the same pass; a failed audit is evidence that
        the voting device that made the ballot cheated.
        """
        state, _ = self._finished_pass()
        failed = [audit for audit in state.audits if not audit.holds]
        if failed:
            first = failed[0]
            more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
            raise InvalidBallot(
                f"{len(failed)} of {len(state.audits)} Benaloh audits FAILED: board entry"
                f" {first.position} (tracking code {first.tracking_code}): {first.error}{more}"
            )
        return len(state.audits)

    def board_rules(self) -> int:
        """11.8: every ballot entry is one the board's judge accepts, given the entries before it.

        Replays, ciphertext alphas seen twice, second ballots under the ``single`` policy: the
        rules are the board's own (:func:`evote.board.rules.judge_cast`), replayed entry by
        entry over the facts the fact store streams.
        """
        state, facts = self._finished_pass()
        if state.undecoded:
            raise _Blocked(f"{state.undecoded} ballot entries could not be decoded (step 11.7)")
        single = self.election.manifest.revote is RevotePolicy.SINGLE
        found = facts.violations(
            election_id=self.record.election_id, one_ballot_per_credential=single
        )
        if found.count:
            more = found.count - 1
            suffix = f" (and {more} more)" if more else ""
            raise DuplicateBallot(f"{found.first}{suffix}")
        return state.entries

    def counted(self) -> int:
        """11.9: the last ballot of each credential; their number and weight are the tally's."""
        _, facts = self._finished_pass()
        counted = facts.counted()
        tally = self.record.tally
        if tally is None:
            return counted.ballots
        if counted.weighed != counted.ballots:
            raise _Blocked("a counted ballot's credential has no weight (step 11.7)")
        if tally.ballot_count != counted.ballots or tally.total_weight != counted.total_weight:
            raise InvalidResult(
                f"tally: {tally.ballot_count} ballots of total weight {tally.total_weight}; the"
                f" board has {counted.ballots} counted ballots of total weight"
                f" {counted.total_weight}"
            )
        return counted.ballots

    def _published_tally(self) -> EncryptedTally:
        record = self.record
        if record.tally is None:
            if record.result is not None or self.kinds[EntryKind.TALLY]:
                raise InvalidRecord("a tally is on the board or a result is published, but the"
                                    " record holds no tally")  # fmt: skip
            raise _Skip("no tally published yet")
        if not self.kinds[EntryKind.TALLY] and self.reports["11.5"].ok:
            raise InvalidRecord("the record holds a tally that is not on its board")
        return record.tally

    def _published_result(self) -> ElectionResult:
        result = self.record.result
        if result is None:
            if self.kinds[EntryKind.RESULT]:
                raise InvalidRecord("a result is on the board, but the record holds none")
            raise _Skip("no result published yet")
        return result

    def _superseded_tally(self, facts: FactStore) -> EncryptedTally:
        """The product of the superseded ballots, read again from board.jsonl in one merge pass."""
        product = aggregate(self.election, ())
        batch: list[tuple[EncryptedBallot, int]] = []
        wanted = facts.superseded()
        target = next(wanted, None)
        for position, payload in self.record.ballot_lines():
            if target is None:
                break
            if position != target[0]:
                continue
            weight = target[1]
            if weight is None:
                raise _Blocked(f"the superseded ballot at {position} has no weight")
            batch.append((decode_ballot(self.election, payload), weight))
            if len(batch) >= SUPERSEDED_BATCH:
                product = multiply_tallies(product, aggregate(self.election, batch))
                batch.clear()
            target = next(wanted, None)
        if target is not None:
            raise InvalidRecord("board.jsonl changed while it was read (superseded ballots)")
        return multiply_tallies(product, aggregate(self.election, batch))

    def aggregation(self) -> int:
        """11.10: the product of the counted ballots' ciphertexts is the published tally."""
        tally = self._published_tally()
        state, facts = self._finished_pass()
        if state.unaggregated:
            raise _Blocked(
                f"{state.unaggregated} cast ballot(s) could not be decoded or weighed,"
                f" first at {state.first_unaggregated} (step 11.7)"
            )
        product = state.product if state.product is not None else aggregate(self.election, ())
        computed = (
            _divide(product, self._superseded_tally(facts))
            if facts.has_superseded()
            else product
        )
        _same_tally(computed, tally)
        return computed.ballot_count

    # -- 11.11 to 11.14: the tally ----------------------------------------------------------

    def shares(self) -> int:
        """11.11: every decryption share's proofs against its trustee's verification key."""
        tally = self._published_tally()
        keys = self.record.ceremony.verification_key_map()
        context = self.election.proof_context()
        seen: set[int] = set()
        checked = 0
        total = len(self.record.shares)
        for number, share in enumerate(self.record.shares):
            key = keys.get(share.trustee)
            if key is None:
                raise InvalidProof(
                    f"decryption share from trustee {share.trustee}: no such trustee"
                )
            if share.trustee in seen:
                raise InvalidProof(f"two decryption shares from trustee {share.trustee}")
            seen.add(share.trustee)
            check_decryption_share(self.election.group, share, key, tally, context)
            checked += len(share.factors)
            self._tick("decryption shares", number + 1, total)
        threshold = self.record.ceremony.threshold
        if len(seen) < threshold:
            raise InvalidProof(f"{len(seen)} decryption shares, the threshold is {threshold}")
        return checked

    def combination(self) -> int:
        """11.12: the shares combined (Lagrange at 0); the tallier combined the t lowest valid."""
        tally = self._published_tally()
        ceremony = self.record.ceremony
        keys = ceremony.verification_key_map()
        context = self.election.proof_context()
        combined = combine_shares(tally, self.record.shares, ceremony.threshold, keys, context)
        if combined.rejected:
            raise InvalidProof(f"rejected share: {combined.rejected[0].reason}")
        chosen = self.record.combined_trustees
        if tuple(chosen) != combined.trustees:
            raise InvalidResult(
                f"tally: the tallier says it combined trustees {list(chosen)}; section 9.3"
                f" combines the {ceremony.threshold} lowest valid ones,"
                f" {list(combined.trustees)}"
            )
        self.combined = combined
        return len(combined.plaintexts)

    def discrete_logs(self) -> int:
        """11.13: every count found within its bound (weight times the option's maximum)."""
        tally = self._published_tally()
        if self.combined is None:
            raise _Blocked("no combined plaintexts (step 11.12)")
        maxima = [question.option_maximum for question in self.election.manifest.questions]
        options, blanks = solve_counts(tally, self.combined, column_bounds(tally, maxima))
        self.counts = DecryptedCounts(options, blanks)
        return len(self.combined.plaintexts)

    def result(self) -> int:
        """11.14: the published result (counts, blanks, turnout, winners) follows the counts."""
        tally = self._published_tally()
        result = self._published_result()
        if self.counts is None:
            raise _Blocked("no decrypted counts (step 11.13)")
        check_result(self.election.manifest, self.counts, turnout_of(tally), result)
        return len(result.questions)

    # -- 11.16 to 11.18: the questions counted by the mixnet (spec 14) -------------------------

    def _mixes(self) -> tuple[Mix, ...] | None:
        """The published chain; None (the step passes with 0 items) without mixnet questions."""
        if not mixnet_questions(self.election.manifest):
            return None
        self._published_tally()
        mixes = self.record.mixes
        if mixes is None:
            raise InvalidRecord("the tally holds no mixes for the election's mixnet questions")
        return mixes

    def _counted_ballots(self) -> Iterator[EncryptedBallot]:
        """The counted ballots in board order: every ballot entry that no later one replaced."""
        _, facts = self._finished_pass()
        superseded = {position for position, _ in facts.superseded()}
        for position, payload in self.record.ballot_lines():
            if position not in superseded:
                yield decode_ballot(self.election, payload)

    def mix_chain(self) -> int:
        """11.16: the mix input recomputed from the counted ballots; every mix's position,
        signature and trustee, the number of mixes, every proof of shuffle (spec 14.3)."""
        mixes = self._mixes()
        if mixes is None:
            return 0
        source = mix_input(self.election, self._counted_ballots())
        check_mix_chain(self.election, self.record.ceremony, source, mixes)
        self.mix_source = source
        return len(mixes)

    def mixed_decryptions(self) -> int:
        """11.17: every mixed factor's proof against K_j; the combined trustees' factors give
        every mixed answer in [0, the option's maximum] (spec 14.4)."""
        mixes = self._mixes()
        if mixes is None:
            return 0
        source = self.mix_source
        if source is None or self.combined is None:
            raise _Blocked("no mix input or no combination (steps 11.12, 11.16)")
        keys = self.record.ceremony.verification_key_map()
        checked = 0
        for share in self.record.shares:
            if share.mixed is None or share.mixed.trustee != share.trustee:
                raise InvalidProof(f"trustee {share.trustee}: no mixed decryption")
            check_mixed_share(
                self.election,
                share.mixed,
                keys[share.trustee],
                source,
                mixes,
                executor=self.executor,
            )
            checked += len(share.mixed.factors)
        chosen = [s.mixed for s in self.record.shares if s.trustee in self.combined.trustees]
        manifest = self.election.manifest
        decrypted = combine_mixed_shares(
            self.election,
            self.record.ceremony,
            source,
            mixes,
            [share for share in chosen if share is not None],
            {q: manifest.questions[q].option_maximum for q in source.questions},
            checked=True,  # every share was checked above
        )
        if decrypted.trustees != self.combined.trustees:
            raise InvalidResult(
                f"mixed answers combined by trustees {list(decrypted.trustees)}, the tally by"
                f" {list(self.combined.trustees)}"
            )
        self.mixed = dict(zip(decrypted.questions, decrypted.answers, strict=True))
        return checked

    def count(self) -> int:
        """11.18: the result's entries for the mixnet questions recounted from the decrypted
        answers with the question's rule (spec 13, 14.6), and the whole result compared."""
        mixes = self._mixes()
        if mixes is None:
            return 0
        tally = self._published_tally()
        result = self._published_result()
        if self.counts is None or self.mixed is None:
            raise _Blocked("no decrypted counts or answers (steps 11.13, 11.17)")
        check_result(self.election.manifest, self.counts, turnout_of(tally), result, self.mixed)
        return sum(len(answers) for answers in self.mixed.values())


def read_record(path: Path) -> tuple[ElectionRecord | None, StepReport]:
    """Step 11.0: load the record at ``path`` strictly; (record or None, the step's report).

    A record that was read and is wrong (a size, a hash, canonical form, a schema, a document
    that disagrees with the board) is a failed step 11.0, which blocks every other step.
    Raises :class:`~evote.errors.UnreadableRecord` when nothing could be judged (no such
    path, permission denied, neither a directory nor an archive, no record.json).
    """
    number, name = STEPS[0]
    started = time.perf_counter()
    try:
        record = load_record(path)
    except UnreadableRecord:
        raise
    except Exception as error:
        return None, StepReport(
            number, name, 0, False, time.perf_counter() - started,
            f"{type(error).__name__}: {error}", StepStatus.FAILED, type(error).__name__,
        )  # fmt: skip
    files = sum(1 for item in record.path.iterdir() if item.is_file())
    return record, StepReport(number, name, files, True, time.perf_counter() - started, None)


def unread_report(loaded: StepReport) -> VerificationReport:
    """The report of a record whose step 11.0 failed: every other step blocked by it."""
    reason = f"not run: step {loaded.number} ({loaded.name}) did not pass"
    blocked = tuple(
        StepReport(number, name, 0, False, 0.0, reason, StepStatus.BLOCKED, None)
        for number, name in STEPS[1:]
    )
    return VerificationReport("", (loaded, *blocked))


def verify_record(
    record: ElectionRecord,
    *,
    executor: Executor | None = None,
    progress: Progress | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    max_pending: int = DEFAULT_MAX_PENDING,
    loaded: StepReport | None = None,
    expected_fingerprint: bytes | None = None,
    held_checkpoints: HeldCheckpoints = (),
) -> VerificationReport:
    """Run every step of docs/spec.md section 11 on ``record``; never raises for a failed check.

    The ballot checks run on ``executor`` (any :class:`concurrent.futures.Executor`: a process
    pool, a Dask client's executor) in chunks of ``chunk_size``; without one, in this process.
    ``progress(label, done, total)`` is called as long steps advance. ``loaded`` is step 11.0's
    report from :func:`read_record`; without it, step 11.0 is run again on the loaded record.

    ``expected_fingerprint`` is the fingerprint the officers announced: step 11.2 fails if the
    record's election has another. ``held_checkpoints`` are checkpoints an auditor saved
    earlier (by name, e.g. their file, or in a sequence): step 11.6 fails, naming the first
    one, unless each is signed by the election's board key and the record's board extends it.
    Raises InvalidInput only for malformed arguments.
    """
    return _Verifier(
        record, executor, progress, chunk_size, max_pending, loaded, expected_fingerprint,
        held_checkpoints,
    ).run()  # fmt: skip
