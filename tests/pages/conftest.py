"""A demo-like election carried to its published record, once per test session (ed25519).

`evote demo`'s own run (a referendum with blank and a participatory budget, a Benaloh audit,
revotes, trustee 2 absent) on a few voters: the pages and the open data are rendered from the
record it exports.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path

import pytest

from evote.cli.demo import run_demo
from evote.crypto.groups import ED25519
from evote.pages.opendata import Publication
from evote.pages.view import ElectionView, view_from_record
from evote.record import ElectionRecord, load_record
from evote.tally.result import ElectionResult


@dataclass(frozen=True)
class Demo:
    record_path: Path
    record: ElectionRecord
    view: ElectionView


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    out = tmp_path_factory.mktemp("pages-demo")
    with contextlib.redirect_stdout(io.StringIO()):
        run_demo(8, ED25519, out, workers=1, seed=11)
    record = load_record(out / "record")
    return Demo(out / "record", record, view_from_record(record))


def chart_values(result: ElectionResult | None) -> list[list[int]]:
    """Each question's numbers as its chart should draw them: the options' votes, then blank."""
    assert result is not None
    charts = []
    for outcome in result.questions:
        values = [votes for _, votes in outcome.counts]
        if outcome.blank is not None:
            values.append(outcome.blank)
        charts.append(values)
    return charts


@pytest.fixture
def publication() -> Publication:
    return Publication(
        base_url="https://data.example.org/elections/demo/",
        publisher="Ville d'Exemple",
        publisher_url="https://www.example.org/",
        spatial="https://www.geonames.org/2988507",
    )
