"""The status, results and lookup pages, parsed back with the standard library's HTML parser:
the numbers shown are the result's, every chart mark says its number, the structure is
accessible, manifest texts are escaped, and no personal data or inline style or script."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from evote.ballots.manifest import Option
from evote.cli import main
from evote.errors import ElectionNotOpen, InvalidInput
from evote.pages.html import (
    LookupAnswer,
    PageLinks,
    render_lookup_page,
    render_results_page,
    render_status_page,
    static_results_files,
    stylesheet_bytes,
)
from evote.pages.i18n import WORDS, number
from evote.pages.view import checkpoint_file_bytes
from tests.pages.conftest import Demo, chart_values

VOID = {"meta", "link", "input", "br", "img", "hr", "rect"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def all_text(self) -> str:
        return "".join(self.text) + "".join(child.all_text() for child in self.children)

    def find_all(self, tag: str, **attrs: str) -> list[Node]:
        found = []
        if self.tag == tag and all(self.attrs.get(k) == v for k, v in attrs.items()):
            found.append(self)
        for child in self.children:
            found += child.find_all(tag, **attrs)
        return found

    def with_class(self, css: str) -> list[Node]:
        found = [self] if css in self.attrs.get("class", "").split() else []
        for child in self.children:
            found += child.with_class(css)
        return found


class TreeBuilder(HTMLParser):
    """A strict tree: an unclosed or mismatched element fails the test."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]
        self.doctype = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        opened = self.stack.pop()
        if opened.tag != tag:
            raise AssertionError(f"</{tag}> closes <{opened.tag}>")

    def handle_data(self, data: str) -> None:
        self.stack[-1].text.append(data)


def parse(page: str) -> Node:
    builder = TreeBuilder()
    builder.feed(page)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    assert builder.doctype.lower() == "doctype html"
    return builder.root


def read_number(text: str) -> int:
    """The leading integer of a figure as written in either language (1,234 or 1 234)."""
    digits = ""
    for char in text.strip():
        if char.isdigit():
            digits += char
        elif char in ",\u202f":
            continue
        else:
            break
    return int(digits)


@pytest.fixture(params=["en", "fr"])
def lang(request: pytest.FixtureRequest) -> str:
    language: str = request.param
    return language


def check_accessible(root: Node, lang: str) -> None:
    html = root.find_all("html")[0]
    assert html.attrs["lang"] == lang
    assert len(root.find_all("h1")) == 1
    assert root.find_all("meta", name="viewport")
    assert root.find_all("script") == [] and root.find_all("style") == []

    def walk(node: Node) -> None:
        assert "style" not in node.attrs, node.tag
        assert not any(name.startswith("on") for name in node.attrs), node.tag
        for child in node.children:
            walk(child)

    walk(root)
    for table in root.find_all("table"):
        assert table.find_all("caption"), "a table without a caption"
        for header in table.find_all("th"):
            assert header.attrs.get("scope") in ("col", "row")
    for svg in root.find_all("svg"):
        assert svg.attrs["role"] == "img"
        ids = svg.attrs["aria-labelledby"].split()
        assert [node.attrs["id"] for node in svg.find_all("title")] == ids[:1]
        assert [node.attrs["id"] for node in svg.find_all("desc")] == ids[1:]
    for field_input in root.find_all("input", type="text"):
        assert root.find_all("label", **{"for": field_input.attrs["id"]})
    ids = [node.attrs["id"] for node in walk_all(root) if "id" in node.attrs]
    assert len(ids) == len(set(ids)), "duplicate ids"


def walk_all(node: Node) -> list[Node]:
    nodes = [node]
    for child in node.children:
        nodes += walk_all(child)
    return nodes


def test_every_chart_mark_says_the_results_number(demo: Demo, lang: str) -> None:
    root = parse(render_results_page(demo.view, lang))
    check_accessible(root, lang)
    charts = [
        svg for svg in root.find_all("svg") if svg.attrs["aria-labelledby"].startswith("chart")
    ]
    shown = []
    for svg in charts:
        values = []
        for mark in svg.with_class("mark"):
            (value_text,) = mark.with_class("value")
            assert mark.find_all("rect"), "a mark without its bar"
            value = read_number(value_text.all_text())
            assert value == int(mark.attrs["data-value"])
            values.append(value)
        shown.append(values)
        description = svg.find_all("desc")[0].all_text()
        for value in values:
            assert number(lang, value) in description
    assert shown == chart_values(demo.view.result)


def test_the_tables_hold_the_same_numbers(demo: Demo, lang: str) -> None:
    view = demo.view
    assert view.result is not None
    root = parse(render_results_page(view, lang))
    tables = [t for t in root.find_all("table") if "%" in t.all_text()]
    assert len(tables) == len(view.result.questions)
    for table, values in zip(tables, chart_values(view.result), strict=True):
        rows = table.find_all("tbody")[0].find_all("tr")
        assert [read_number(row.find_all("td")[0].all_text()) for row in rows] == values
    turnout = root.with_class("turnout")[0]
    counts = [read_number(node.all_text()) for node in turnout.with_class("count")]
    assert counts == [view.result.turnout.ballots, view.result.turnout.weight, view.ballots,
                      view.spoiled]  # fmt: skip


def test_the_budget_is_drawn_against_its_cost(demo: Demo, lang: str) -> None:
    view = demo.view
    assert view.result is not None
    budget_question = view.manifest.questions[1]
    outcome = view.result.questions[1]
    root = parse(render_results_page(view, lang))
    (svg,) = [s for s in root.find_all("svg") if s.attrs["aria-labelledby"].startswith("budget")]
    costs = {option.id: option.cost for option in budget_question.options}
    marks = svg.with_class("mark")
    assert [int(mark.attrs["data-value"]) for mark in marks] == [
        *(costs[project] for project in outcome.winners), outcome.spent,
    ]  # fmt: skip
    for mark in marks:
        assert read_number(mark.with_class("value")[0].all_text()) == int(mark.attrs["data-value"])
    text = root.all_text()
    assert WORDS[lang]["funded_mark"] in text and WORDS[lang]["not_funded_mark"] in text


def test_the_anchors_and_audits_are_shown_in_full(demo: Demo, lang: str) -> None:
    view = demo.view
    checkpoint = view.last_checkpoint
    assert checkpoint is not None
    page = render_results_page(view, lang)
    root = parse(page)
    text = root.all_text()
    assert view.fingerprint.hex() in text
    assert view.board_key.hex() in text
    assert checkpoint.chain_hash.hex() in text
    assert base64.b64encode(checkpoint.signature).decode() in text
    (pre,) = root.with_class("file")
    assert pre.all_text().encode() == checkpoint_file_bytes(checkpoint)
    links = {a.attrs["href"] for a in root.find_all("a")}
    eid = view.election_id
    assert f"/elections/{eid}/open-data/checkpoint.json" in links
    assert f"/api/v1/elections/{eid}/record" in links
    (form,) = root.find_all("form")
    assert form.attrs["action"] == f"/elections/{eid}/lookup"
    assert form.attrs["method"] == "get"
    assert root.find_all("input", name="code")
    (audit,) = view.audits
    assert audit.tracking_code is not None and audit.tracking_code in text
    assert WORDS[lang]["audit_holds"] in text


def test_a_failed_audit_is_said_in_words(demo: Demo) -> None:
    (audit,) = demo.view.audits
    failed = replace(demo.view, audits=(replace(audit, error="InvalidProof: forged reveal"),))
    root = parse(render_results_page(failed, "en"))
    (cell,) = root.with_class("failed")
    assert cell.all_text() == "the audit FAILED: InvalidProof: forged reveal"


MALICIOUS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_manifest_texts_are_escaped(demo: Demo, lang: str) -> None:
    manifest = demo.view.manifest
    question = manifest.questions[0]
    evil_option = Option(question.options[0].id, {"en": MALICIOUS, "fr": MALICIOUS})
    evil_question = replace(question, title={"en": MALICIOUS, "fr": MALICIOUS},
                            options=(evil_option, *question.options[1:]))  # fmt: skip
    evil = replace(
        manifest,
        title={"en": MALICIOUS, "fr": MALICIOUS},
        questions=(evil_question, *manifest.questions[1:]),
    )
    view = replace(demo.view, manifest=evil)
    for page in (
        render_results_page(view, lang),
        render_status_page(view, lang),
        render_lookup_page(view, LookupAnswer(MALICIOUS, "malformed"), lang),
    ):
        root = parse(page)
        assert root.find_all("script") == [] and root.find_all("img") == []
        assert MALICIOUS in root.all_text()
        assert "<script>" not in page


def test_no_personal_data(demo: Demo, lang: str) -> None:
    pages = render_results_page(demo.view, lang) + render_status_page(demo.view, lang)
    for credential in demo.record.election.credentials.encodings():
        assert base64.b64encode(credential).decode() not in pages
        assert credential.hex() not in pages


def test_the_status_page(demo: Demo, lang: str) -> None:
    open_view = replace(demo.view, state="open", result=None, audits=())
    root = parse(render_status_page(open_view, lang))
    check_accessible(root, lang)
    text = root.all_text()
    assert WORDS[lang]["state_open"] in text
    assert WORDS[lang]["to_results"] not in text
    facts = root.with_class("count")
    assert [read_number(node.all_text()) for node in facts] == [open_view.ballots, 1]
    checkpoint = open_view.last_checkpoint
    assert checkpoint is not None
    assert checkpoint.chain_hash.hex() in text
    assert json.loads(root.with_class("file")[0].all_text()) == checkpoint.to_json_obj()
    tallied = parse(render_status_page(demo.view, lang))
    assert f"/elections/{demo.view.election_id}/results?lang={lang}" in {
        a.attrs["href"] for a in tallied.find_all("a")
    }


def test_results_before_the_tally(demo: Demo, lang: str) -> None:
    root = parse(render_results_page(replace(demo.view, state="closed", result=None), lang))
    check_accessible(root, lang)
    assert WORDS[lang]["no_result"] in root.all_text()
    assert root.find_all("svg") == []


@pytest.mark.parametrize(
    ("status", "position", "phrase"),
    [
        ("counted", 5, {"en": "it is counted", "fr": "il est compté"}),
        ("superseded", 5, {"en": "later ballot is the one counted", "fr": "qui est compté"}),
        ("spoiled", 11, {"en": "it is not counted", "fr": "n'est pas compté"}),
        ("not-found", None, {"en": "No ballot", "fr": "Aucun bulletin"}),
        ("malformed", None, {"en": "is not a tracking code", "fr": "n'est pas un code"}),
    ],
)
def test_the_lookup_page(
    demo: Demo, lang: str, status: str, position: int | None, phrase: dict[str, str]
) -> None:
    answer = LookupAnswer("7k3m q2pa", status, "7K3M-Q2PA-9XRT-B4WD-H6N8C", position)
    root = parse(render_lookup_page(demo.view, answer, lang))
    check_accessible(root, lang)
    (said,) = root.find_all("p", role="status")
    assert phrase[lang] in said.all_text()
    if position is not None:
        assert number(lang, position) in said.all_text()
    assert root.find_all("input", name="code")[0].attrs["value"] == "7k3m q2pa"
    (switch,) = root.find_all("nav")[0].find_all("a")
    assert switch.attrs["href"].endswith("&code=7k3m%20q2pa")


def test_the_lookup_page_refuses_an_unknown_status(demo: Demo) -> None:
    with pytest.raises(InvalidInput, match="lookup status 'lost': expected one of counted"):
        render_lookup_page(demo.view, LookupAnswer("x", "lost"))


def test_unknown_language(demo: Demo) -> None:
    with pytest.raises(InvalidInput, match="language 'de': the pages are in en, fr"):
        render_results_page(demo.view, "de")


def test_both_languages_have_every_word() -> None:
    assert set(WORDS["en"]) == set(WORDS["fr"])
    for key, text in WORDS["en"].items():
        fields = {part.split("}")[0] for part in text.split("{")[1:]}
        assert fields == {part.split("}")[0] for part in WORDS["fr"][key].split("{")[1:]}, key


def test_static_links_and_stylesheet(demo: Demo) -> None:
    links = PageLinks.static("https://data.example.org/record.tar.gz")
    root = parse(render_results_page(demo.view, "fr", links))
    hrefs = {a.attrs["href"] for a in root.find_all("a")}
    assert {"checkpoint.json", "https://data.example.org/record.tar.gz",
            "results.en.html"} <= hrefs  # fmt: skip
    assert root.find_all("form") == []
    assert root.find_all("link")[0].attrs["href"] == "pages.css"
    css = stylesheet_bytes().decode()
    assert "svg.chart rect.bar" in css and "@media" in css


def test_the_cli_writes_the_static_results_page(
    demo: Demo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "site"
    args = ["results", str(demo.record_path), "--format", "html", "--out", str(out)]
    assert main([*args, "--record-url", "https://data.example.org/r.tgz"]) == 0
    assert sorted(path.name for path in out.iterdir()) == [
        "checkpoint.json", "pages.css", "results.en.html", "results.fr.html",
    ]  # fmt: skip
    checkpoint = demo.view.last_checkpoint
    assert checkpoint is not None
    assert (out / "checkpoint.json").read_bytes() == checkpoint_file_bytes(checkpoint)
    for lang in ("en", "fr"):
        root = parse((out / f"results.{lang}.html").read_text(encoding="utf-8"))
        check_accessible(root, lang)
        assert "https://data.example.org/r.tgz" in {a.attrs["href"] for a in root.find_all("a")}
        assert WORDS[lang]["lookup_offline"] in root.all_text()
    first = (out / "results.fr.html").read_bytes()
    assert main([*args]) == 0
    assert b"record.tar.gz" in (out / "results.fr.html").read_bytes()
    assert first != (out / "results.fr.html").read_bytes()
    capsys.readouterr()


def test_the_cli_wants_a_record_for_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    election = tmp_path / "election"
    election.mkdir()
    (election / "election.json").write_text("{}")
    code = main(["results", str(election), "--format", "html", "--out", str(tmp_path / "o")])
    assert code == 2
    err = capsys.readouterr().err
    assert "--format html needs the published record, not the election directory" in err
    assert not (tmp_path / "o").exists()


def test_no_static_page_before_the_result(demo: Demo) -> None:
    with pytest.raises(ElectionNotOpen, match="no result yet"):
        static_results_files(replace(demo.view, result=None), "record.tar.gz")


def test_a_view_refuses_an_unknown_state_or_a_bad_count(demo: Demo) -> None:
    with pytest.raises(InvalidInput, match="election state 'paused': expected one of setup"):
        replace(demo.view, state="paused")
    with pytest.raises(InvalidInput, match="ballots -1: expected a count"):
        replace(demo.view, ballots=-1)
