"""The trustee's state machine: its stages and the steps that move it, declared once.

A trustee goes through the stages of the ceremony (docs/spec.md section 8) in one order; each
step needs one stage and leaves the trustee at the next. The table below is the only place
this order is written: the in-memory trustee (:class:`evote.ceremony.dkg.Trustee`), the
folder a trustee keeps on disk (:mod:`evote.ceremony.files`, whose ``state.json`` and key file
persist the stage) and the ``evote trustee`` commands (:mod:`evote.cli.trustee`) all check a
step against it, so that a step run out of order is refused with the same message, naming the
step that comes next.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from evote.errors import CeremonyError


class Stage(StrEnum):
    """How far a trustee has gone. The value is what ``state.json`` and the key file hold."""

    ANNOUNCED = "announced"
    COMMITTED = "committed"
    REVEALED = "revealed"
    SENT = "sent"
    RECEIVED = "received"
    CONFIRMED = "confirmed"


@dataclass(frozen=True)
class Step:
    """One step: the stage it needs and the stage it leaves (the same for a step that repeats)."""

    name: str
    action: str
    needs: Stage | None
    gives: Stage

    @property
    def command(self) -> str:
        return f"evote trustee {self.name}"


INIT: Final = Step("init", "start", None, Stage.ANNOUNCED)
COMMIT: Final = Step("commit", "commit", Stage.ANNOUNCED, Stage.COMMITTED)
REVEAL: Final = Step("reveal", "reveal", Stage.COMMITTED, Stage.REVEALED)
SEND: Final = Step("send", "send shares", Stage.REVEALED, Stage.SENT)
RECEIVE: Final = Step("receive", "receive shares", Stage.SENT, Stage.RECEIVED)
ANSWER: Final = Step("answer", "answer complaints", Stage.RECEIVED, Stage.RECEIVED)
CONFIRM: Final = Step("confirm", "confirm", Stage.RECEIVED, Stage.CONFIRMED)
MIX: Final = Step("mix", "mix", Stage.CONFIRMED, Stage.CONFIRMED)
DECRYPT: Final = Step("decrypt", "decrypt", Stage.CONFIRMED, Stage.CONFIRMED)
STEPS: Final = (INIT, COMMIT, REVEAL, SEND, RECEIVE, ANSWER, CONFIRM, MIX, DECRYPT)
STEPS_BY_NAME: Final = {step.name: step for step in STEPS}

# What to say a trustee at each stage does next (the steps that need it, with when).
_NEXT: Final = {
    Stage.ANNOUNCED: COMMIT.command,
    Stage.COMMITTED: REVEAL.command,
    Stage.REVEALED: SEND.command,
    Stage.SENT: RECEIVE.command,
    Stage.RECEIVED: f"{ANSWER.command} (if a complaint names this trustee), then"
    f" {CONFIRM.command}",
    Stage.CONFIRMED: f"evote ceremony finalize, then {DECRYPT.command} once the tally exists"
    f" (first {MIX.command}, in turn, for an election with graded or ranked questions)",
}


def next_step(stage: Stage) -> str:
    """The command(s) a trustee at ``stage`` runs next."""
    return _NEXT[stage]


def stage_from_text(text: object, where: str) -> Stage:
    """The stage a file holds; CeremonyError naming the file for anything else."""
    for stage in Stage:
        if text == stage.value:
            return stage
    raise CeremonyError(
        f"{where}: unknown trustee stage {text!r} (one of {', '.join(s.value for s in Stage)})"
    )


def require(index: int, stage: Stage, step: Step) -> None:
    """CeremonyError unless a trustee at ``stage`` may take ``step``; it names the next step."""
    if step.needs is None or stage != step.needs:
        raise CeremonyError(
            f"trustee {index}: cannot {step.action} now; it is at stage {stage.value!r} and"
            f" its next step is {next_step(stage)}"
        )
