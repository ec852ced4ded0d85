"""``evote credentials generate``: letters fit to post, progress lines, and a clean rerun.

The letters are read back from the PDF with pypdf: one letter a page, each page with its own
voter's name, code and the dates, and nothing of another voter.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pypdf
import pytest

from evote.ballots.letters import LetterWriter, Recipient
from evote.cli import credentials as credentials_cli
from evote.cli import main
from evote.cli import progress as progress_module
from tests.cli.test_workflow import REFERENDUM, fails, read_codes

VOTERS = [
    {
        "voter_id": "v-001",
        "name": "Zoë Lefèvre",
        "address": "Appartement 12, bâtiment B\n3 rue de l’Église",
        "postcode": "69100",
        "city": "VILLEURBANNE",
        "country": "",
    },
    {
        "voter_id": "v-002",
        "name": "John\u00a0O’Brien",
        "address": "Flat 2\\n10 High Street",
        "postcode": "SW1A 1AA",
        "city": "LONDON",
        "country": "UNITED KINGDOM",
    },
    {
        "voter_id": "v-003",
        "name": "Nguyễn Thị Hoa",
        "address": "",
        "postcode": "69003",
        "city": "LYON",
        "country": "",
    },
]
#: What each voter's page must show of the name (accents outside Windows-1252 are dropped).
PRINTED_NAMES = {"v-001": "Zoë Lefèvre", "v-002": "John O’Brien", "v-003": "Nguyen Thi Hoa"}
ORGANISER = "Ville de Villeurbanne"
URL = "https://vote.villeurbanne.example/tram"


def _election(tmp_path: Path) -> Path:
    """An election whose manifest is in English and French (as every manifest is)."""
    election = tmp_path / "election"
    assert main(["election", "init", str(REFERENDUM), "--election", str(election)]) == 0
    return election


def _voters(tmp_path: Path) -> Path:
    path = tmp_path / "voters.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(VOTERS[0]))
        writer.writeheader()
        writer.writerows(VOTERS)
    return path


def _generate(tmp_path: Path, election: Path, *options: str) -> int:
    return main(
        [
            "credentials", "generate", str(_voters(tmp_path)), "--election", str(election),
            "--out", str(tmp_path / "registrar"), "--organiser", ORGANISER, "--vote-url", URL,
            *options,
        ]
    )  # fmt: skip


def _pages(path: Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


def _check_pages_belong_to_their_voter(
    pages: list[str], codes: dict[str, str], per_voter: int
) -> None:
    assert len(pages) == per_voter * len(VOTERS)
    for number, text in enumerate(pages):
        voter_id = VOTERS[number // per_voter]["voter_id"]
        assert codes[voter_id] in text
        assert PRINTED_NAMES[voter_id] in text
        assert voter_id in text
        for other, code in codes.items():
            if other != voter_id:
                assert code not in text and other not in text
                assert PRINTED_NAMES[other] not in text


def test_letters_in_french_then_english(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    election = _election(tmp_path)
    assert _generate(tmp_path, election) == 0
    out = capsys.readouterr()
    private = tmp_path / "registrar"
    codes = read_codes(private)
    pages = _pages(private / "letters.pdf")
    _check_pages_belong_to_their_voter(pages, codes, per_voter=2)
    for french, english in zip(pages[::2], pages[1::2], strict=True):
        assert "Votre code de vote" in french and "Your voting code" not in french
        assert "Your voting code" in english and "Votre code de vote" not in english
        assert "du lundi 1er mars 2027 à 8 h 00 au dimanche 14 mars 2027 à 20 h 00 (UTC+1)" in (
            french.replace("\xa0", " ").replace("\n", " ")
        )
        assert "from Monday 1 March 2027 at 08:00 to Sunday 14 March 2027 at 20:00 (UTC+1)" in (
            english.replace("\n", " ")
        )
        for text in (french, english):
            assert ORGANISER in text and URL in text
        assert "voter pour « Référendum métropolitain" in french.replace("\xa0", " ")
        assert "vote in “Metropolitan referendum" in english
    first = pages[0]
    assert "Appartement 12, bâtiment B\n3 rue de l’Église\n69100 VILLEURBANNE" in first
    assert "Flat 2\n10 High Street\nSW1A 1AA LONDON\nUNITED KINGDOM" in pages[2]
    # Names and addresses stay in the letters: not in the public list, codes.csv or the output.
    public = (election / "credentials.json").read_text()
    mapping = (private / "codes.csv").read_text()
    for voter in VOTERS:
        for secret in (voter["name"], "Lefèvre", "High Street", "VILLEURBANNE"):
            assert secret not in public and secret not in mapping
            assert secret not in out.out and secret not in out.err
    assert mapping.splitlines()[0] == "voter_id,code"
    assert "6 A4 pages" in out.out and "2 per voter: fr, en" in out.out
    text_letter = (private / "letters" / "v-001.txt").read_text()
    assert "Zoë Lefèvre" in text_letter and codes["v-001"] in text_letter
    assert "voter pour « Référendum" in text_letter


@pytest.mark.parametrize("expected", ["en", "fr"])
def test_one_language(tmp_path: Path, expected: str) -> None:
    election = _election(tmp_path)
    assert _generate(tmp_path, election, "--lang", expected) == 0
    private = tmp_path / "registrar"
    pages = _pages(private / "letters.pdf")
    _check_pages_belong_to_their_voter(pages, read_codes(private), per_voter=1)
    label = {"en": "Your voting code", "fr": "Votre code de vote"}
    for text in pages:
        assert label[expected] in text
        assert label["fr" if expected == "en" else "en"] not in text


def _font_sizes(path: Path, heading: str) -> set[float]:
    """The font sizes at which ``heading`` is drawn in the PDF."""
    sizes: set[float] = set()

    def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        if heading in text:
            sizes.add(round(size, 1))

    for page in pypdf.PdfReader(path).pages:
        page.extract_text(visitor_text=visit)
    return sizes


def test_large_print_has_bigger_type(tmp_path: Path) -> None:
    election = _election(tmp_path)
    assert _generate(tmp_path, election, "--large-print") == 0
    private = tmp_path / "registrar"
    normal, large = private / "letters.pdf", private / "letters-large.pdf"
    (normal_size,) = _font_sizes(normal, "Comment voter")
    (large_size,) = _font_sizes(large, "Comment voter")
    assert large_size >= 1.4 * normal_size
    (normal_code,) = _font_sizes(normal, read_codes(private)["v-001"])
    (large_code,) = _font_sizes(large, read_codes(private)["v-001"])
    assert large_code > normal_code
    large_pages = _pages(large)
    assert len(large_pages) > len(_pages(normal))
    codes = read_codes(private)
    # A voter's pages are consecutive; a continued page names its voter and nobody else.
    owners = [
        next(v for v in codes if re.search(rf"\b{re.escape(v)}\b", text)) for text in large_pages
    ]
    assert owners == sorted(owners)
    for text, owner in zip(large_pages, owners, strict=True):
        assert all(other not in text for other in codes if other != owner)
        assert all(code not in text for other, code in codes.items() if other != owner)


def test_no_large_print_file_unless_asked(tmp_path: Path) -> None:
    election = _election(tmp_path)
    assert _generate(tmp_path, election, "--lang", "fr") == 0
    assert not (tmp_path / "registrar" / "letters-large.pdf").exists()


def test_progress_lines_when_not_on_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress_module, "LINE_INTERVAL", 0.0)
    election = _election(tmp_path)
    assert _generate(tmp_path, election, "--lang", "fr") == 0
    err = capsys.readouterr().err
    assert re.search(r"^credentials: 1/3 \(33%\), \d+/s, \d+ s$", err, re.MULTILINE), err
    assert re.search(r"^credentials: 3/3 \(100%\)", err, re.MULTILINE)
    assert re.search(r"^letters: 3/3 \(100%\)", err, re.MULTILINE)
    assert re.search(r"^letters: writing letters.pdf$", err, re.MULTILINE)
    assert "\r" not in err  # no bar drawn off a terminal


def test_short_run_is_quiet_when_not_on_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    election = _election(tmp_path)
    assert _generate(tmp_path, election, "--lang", "fr") == 0
    assert capsys.readouterr().err == ""


def _interrupt_after_first_letter(monkeypatch: pytest.MonkeyPatch) -> None:
    real_add: Callable[..., None] = LetterWriter.add
    calls = []

    def add(self: LetterWriter, recipient: Recipient, code: str) -> None:
        calls.append(recipient.voter_id)
        if len(calls) > 1:
            raise KeyboardInterrupt
        real_add(self, recipient, code)

    monkeypatch.setattr(LetterWriter, "add", add)


@pytest.mark.parametrize("out_exists", [False, True], ids=["new-out", "empty-out"])
def test_interrupted_run_leaves_nothing_and_reruns(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    out_exists: bool,
) -> None:
    election = _election(tmp_path)
    if out_exists:
        (tmp_path / "registrar").mkdir()
    with monkeypatch.context() as patch:
        _interrupt_after_first_letter(patch)
        assert _generate(tmp_path, election) == 130
    assert "interrupted" in capsys.readouterr().err
    assert not (election / "credentials.json").exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        ["election", "voters.csv", *(["registrar"] if out_exists else [])]
    )
    if out_exists:
        assert list((tmp_path / "registrar").iterdir()) == []
    assert _generate(tmp_path, election) == 0
    assert len(_pages(tmp_path / "registrar" / "letters.pdf")) == 6


def _stop(*_: Any, **__: Any) -> Any:
    raise KeyboardInterrupt


@pytest.mark.parametrize("write", ["write_secret", "_install", "write_public"])
def test_a_run_stopped_at_each_write_after_the_letters_leaves_nothing_and_reruns(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    write: str,
) -> None:
    """The writes after the letters: codes.csv, the folder moved into place, the public list."""
    election = _election(tmp_path)
    with monkeypatch.context() as patch:
        patch.setattr(credentials_cli, write, _stop)
        assert _generate(tmp_path, election) == 130
    assert "interrupted" in capsys.readouterr().err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["election", "voters.csv"]
    assert not (election / "credentials.json").exists()
    assert _generate(tmp_path, election) == 0
    codes = read_codes(tmp_path / "registrar")
    listed = (election / "credentials.json").read_text()
    assert len(codes) == 3 and listed.count('"public"') == 3


def test_failure_after_the_letters_keeps_the_folder_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    election = _election(tmp_path)

    def broken(path: Path, data: bytes) -> Path:
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(credentials_cli, "write_public", broken)
    assert _generate(tmp_path, election) == 2
    assert not (tmp_path / "registrar").exists()
    assert not any(path.name.startswith(".registrar") for path in tmp_path.iterdir())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("voter_id,nom\nv1,Zoé\n", "unknown column(s) 'nom'"),
        ("voter_id,name,name\nv1,a,b\n", "column(s) name twice"),
        ("name\nZoé\n", "no voter_id column"),
        (
            "voter_id,name\nv1,王小明\n",
            "line 2: address line 1: the character '王' (U+738B) cannot be printed",
        ),
        ("voter_id,city\nv1,Lyon\x07\n", "line 2, city: a control character"),
        ("voter_id,weight\nv1,²\n", "weight '²' is not a whole number"),
        (
            'voter_id,name,address\nv1,A,"1\n2\n3\n4\n5\n6"\n',
            "7 address lines with the name, at most 6",
        ),
        ("voter_id,name\nv1," + "x" * 61 + "\n", "address line 1 has 61 characters, at most 60"),
    ],
)
def test_bad_address_columns(tmp_path: Path, content: str, message: str) -> None:
    election = _election(tmp_path)
    voters = tmp_path / "voters.csv"
    voters.write_text(content, encoding="utf-8")
    line = fails(
        "credentials", "generate", voters, "--election", election, "--out", tmp_path / "out"
    )
    assert message in line
    assert "小明" not in line  # the rest of a name is not repeated
    assert not (election / "credentials.json").exists()
    assert not (tmp_path / "out").exists()
