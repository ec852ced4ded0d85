"""``evote results SOURCE --format table|json|csv|opendata``: the result as open data.

SOURCE is a published election record (directory or archive; the result is read from it and
the record is decoded strictly, but not verified: run ``evote verify`` for that) or the
officer's election directory (its ``result.json``). ``json`` is for programs: the record's
``result.json``, byte for byte (canonical JSON and a newline; docs/record-format.md, the one
format of a result: a program takes the labels from the manifest). ``table`` and ``csv`` are
for people: ``csv`` carries the labels in the chosen language along with the ids, one row per
option and one for the blank (columns: question_id, question, option_id, option, votes, cost,
winner, grade, rank); a grades or ranking question (docs/spec.md 6.2, 14.5) in long format,
one row per option and grade (``grade``: its label, best first) or rank (``rank``: 1..n), with
``votes`` the ballots that gave it. ``table`` shows such a question's ballots per grade (and
each option's majority grade) or per rank, its ranking with ties (``=``) or STV's elected,
quota and stages (:func:`mixnet_lines`, which ``evote demo`` prints too). ``--lang`` (en, fr:
the languages every manifest has) chooses the language of every label, the result's own words
("blank", "cost", "funded", the winner mark) included; the column names and ids stay as they
are (they are the data's schema).

``opendata`` writes a publication folder (``--out DIR``) for a city's open-data portal from a
published record: the result as CSV and JSON, the last signed checkpoint, a Frictionless Data
Package describing them and DCAT-AP metadata (:mod:`evote.pages.opendata`). ``--base-url`` (where
the folder will be downloaded from) and ``--publisher`` are required; ``--licence``,
``--publisher-url``, ``--spatial`` and ``--issued`` are optional. The files are byte-stable:
two runs on the same record give the same bytes. ``html`` writes the results page as static
files (``--out DIR``: ``results.en.html``, ``results.fr.html``, ``pages.css``,
``checkpoint.json``) for a city to publish without running ``evote serve``; ``--record-url``
is where the page links the record's download (default ``record.tar.gz``, beside the pages).
"""

from __future__ import annotations

import argparse
import csv
import io
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from evote.ballots.manifest import GradesQuestion, Manifest, RankingQuestion
from evote.cli.workspace import CONFIG_FILE, ElectionDir, read_file, write_public
from evote.errors import ContextMismatch, ElectionNotOpen, InvalidInput
from evote.pages.html import static_results_files
from evote.pages.opendata import DEFAULT_LICENCE, LICENCES, Publication, open_data_files
from evote.pages.outcome import mixnet_outcome, votes_text
from evote.pages.view import ElectionView, view_from_record
from evote.record import load_record
from evote.tally.result import ElectionResult, QuestionResult
from evote.tally.wire import result_from_json, result_to_json

Handler = Callable[[argparse.Namespace], int]
FORMATS = ("table", "json", "csv", "opendata", "html")
#: Formats that write a folder (``--out``) from a published record, rather than print.
FOLDER_FORMATS = ("opendata", "html")
RECORD_INDEX = "record.json"


#: The words the result adds to the manifest's labels, in each language of ``--lang``.
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "blank": "blank",
        "counted": "{ballots} ballots counted (total weight {weight})",
        "cost": "cost {cost}",
        "funded": "funded (*): {projects}; spent {spent}",
        "mixnet": "counted by {rule}; winners: {winners} (every answer and the count: result.json)",
        "none": "none",
        "yes": "yes",
        "per_grade": "ballots per grade",
        "per_rank": "ballots per rank",
        "majority_grade": "majority grade",
        "ranking": "ranking (*: winners): {order}",
        "elected": "elected (*), in order: {elected}; quota {quota} votes",
        "stages": "stages (votes after each stage):",
        "stage": "{number}. {action}{option}: {votes}",
        "non_transferable": "; non-transferable {votes}",
        "action_first": "first preferences",
        "action_surplus": "surplus of",
        "action_exclusion": "exclusion of",
        "action_fill": "remaining seats filled",
    },
    "fr": {
        "blank": "blanc",
        "counted": "{ballots} bulletins comptés (poids total {weight})",
        "cost": "coût {cost}",
        "funded": "financés (*) : {projects} ; dépensé {spent}",
        "mixnet": (
            "décompte : {rule} ; gagnants : {winners} (chaque réponse et le décompte : result.json)"
        ),
        "none": "aucun",
        "yes": "oui",
        "per_grade": "bulletins par mention",
        "per_rank": "bulletins par rang",
        "majority_grade": "mention majoritaire",
        "ranking": "classement (* : gagnants) : {order}",
        "elected": "élus (*), dans l'ordre : {elected} ; quota {quota} voix",
        "stages": "étapes (voix après chaque étape) :",
        "stage": "{number}. {action}{option} : {votes}",
        "non_transferable": " ; non transférables {votes}",
        "action_first": "premières préférences",
        "action_surplus": "surplus de",
        "action_exclusion": "exclusion de",
        "action_fill": "sièges restants pourvus",
    },
}
LANGUAGES = tuple(WORDS)


def _word(lang: str, key: str, **values: object) -> str:
    return WORDS[lang][key].format(**values)


def _label(text: Mapping[str, str], lang: str) -> str:
    return text.get(lang) or next(iter(text.values()), "")


def load_result(source: Path) -> tuple[Manifest, ElectionResult]:
    """The manifest and the result from an election directory or a published record."""
    # A record has a record.json (and an election.json of its own, in another format).
    if (source / CONFIG_FILE).exists() and not (source / RECORD_INDEX).exists():
        election_dir = ElectionDir(source)
        manifest = election_dir.manifest()
        if not election_dir.result_path.exists():
            raise ElectionNotOpen(
                f"{source}: no result yet: run 'evote tally combine --election {source} SHARES'"
            )
        result = result_from_json(
            read_file(election_dir.result_path, "result", "written by 'evote tally combine'"),
            str(election_dir.result_path),
        )
    else:
        record = load_record(source)
        manifest = record.election.manifest
        if record.result is None:
            raise ElectionNotOpen(
                f"{source}: this record was published before the result; publish it again"
                " after 'evote tally combine'"
            )
        result = record.result
    if result.election_id != manifest.election_id:
        raise ContextMismatch(f"{source}: the result is of election {result.election_id!r}")
    check_result_shape(manifest, result, str(source))
    return manifest, result


def check_result_shape(manifest: Manifest, result: ElectionResult, where: str) -> None:
    """InvalidInput unless the result has the manifest's questions (ids and kinds, in order)
    and each question counted by the tally its options' counts (ids, in order): the views
    read both side by side, and a result read here (a record, result.json) is not verified."""
    if len(result.questions) != len(manifest.questions):
        raise InvalidInput(
            f"{where}: the result has {len(result.questions)} questions, the manifest"
            f" {len(manifest.questions)}"
        )
    for q, (question, outcome) in enumerate(zip(manifest.questions, result.questions, strict=True)):
        if (outcome.question_id, outcome.kind) != (question.id, question.kind):
            raise InvalidInput(
                f"{where}: result question {q} is {outcome.question_id!r}"
                f" ({outcome.kind.value}), the manifest's is {question.id!r}"
                f" ({question.kind.value})"
            )
        if not question.counted_by_mixnet and (
            tuple(option_id for option_id, _ in outcome.counts) != question.option_ids
        ):
            raise InvalidInput(
                f"{where}: result question {q} ({question.id}) does not count its options"
                f" {list(question.option_ids)}"
            )


def result_rows(manifest: Manifest, result: ElectionResult, lang: str) -> list[dict[str, Any]]:
    """One dict per question: ids, labels, votes per option, blank, winners, spent.

    A grades or ranking question has no votes per option (its count is the decrypted answers,
    docs/spec.md section 14): no options; its ``rule``, ``winners``, ``outcome`` (the ballots
    per grade or rank, :func:`~evote.pages.outcome.mixnet_outcome`) and the table's ``lines``.
    """
    questions: list[dict[str, Any]] = []
    for question, outcome in zip(manifest.questions, result.questions, strict=True):
        if isinstance(question, (GradesQuestion, RankingQuestion)):
            questions.append(
                {
                    "id": outcome.question_id,
                    "title": _label(question.title, lang),
                    "kind": outcome.kind.value,
                    "rule": question.rule.value,
                    "options": [],
                    "blank": None,
                    "winners": list(outcome.winners),
                    "spent": None,
                    "lines": mixnet_lines(question, outcome, lang),
                    "outcome": mixnet_outcome(question, outcome),
                }
            )
            continue
        options = []
        for option, (option_id, votes) in zip(question.options, outcome.counts, strict=True):
            options.append(
                {
                    "id": option_id,
                    "label": _label(option.label, lang),
                    "votes": votes,
                    "cost": option.cost,
                    "winner": option_id in outcome.winners,
                }
            )
        questions.append(
            {
                "id": outcome.question_id,
                "title": _label(question.title, lang),
                "kind": outcome.kind.value,
                "options": options,
                "blank": outcome.blank,
                "winners": list(outcome.winners),
                "spent": outcome.spent,
            }
        )
    return questions


def _grid(rows: list[list[str]]) -> list[str]:
    """Rows of cells: the first column left-aligned, the others right-aligned, two spaces apart."""
    columns = max(len(row) for row in rows)
    widths = [max(len(row[c]) for row in rows if c < len(row)) for c in range(columns)]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(widths[c]) for c, cell in enumerate(row[1:], start=1)]
        lines.append("  ".join(cells).rstrip())
    return lines


def mixnet_lines(
    question: GradesQuestion | RankingQuestion, outcome: QuestionResult, lang: str
) -> list[str]:
    """A grades or ranking question as text lines: per option its ballots per grade (best
    first) or per rank and, for majority judgment, its majority grade (``*`` marks a winner);
    the ranking with ties (``=``), or for STV the elected in order, the quota and the stages
    (the votes after each stage of every option not excluded; STV counts in 10^-5 votes,
    docs/spec.md 13.3)."""
    shown = mixnet_outcome(question, outcome)
    labels = {option.id: _label(option.label, lang) for option in question.options}
    decimal = "," if lang == "fr" else "."
    if isinstance(question, GradesQuestion):
        grade_labels = {grade.id: _label(grade.label, lang) for grade in question.grades}
        head = [_word(lang, "per_grade"), *(grade_labels[g] for g in shown.columns)]
        head.append(_word(lang, "majority_grade"))
    else:
        grade_labels = {}
        head = [_word(lang, "per_rank"), *shown.columns]
    rows = [head]
    for option in shown.options:
        row = [labels[option.option_id], *(str(n) for n in option.ballots)]
        if isinstance(question, GradesQuestion):
            median = option.majority_grade
            row.append("" if median is None else grade_labels[median])
        row.append("*" if option.winner else "")
        rows.append(row)
    lines = _grid(rows)
    if not shown.stv:
        order = " > ".join(" = ".join(labels[o] for o in group) for group in shown.ranking)
        lines.append(_word(lang, "ranking", order=order or _word(lang, "none")))
        return lines
    elected = ", ".join(labels[group[0]] for group in shown.ranking) or _word(lang, "none")
    quota = "-" if shown.quota is None else votes_text(shown.quota, decimal)
    lines += [_word(lang, "elected", elected=elected, quota=quota), _word(lang, "stages")]
    for number, stage in enumerate(shown.stages, start=1):
        # Compact: an excluded option's votes (0, moved on) are left out of its stages.
        votes = ", ".join(
            f"{labels[option_id]} {votes_text(units, decimal)}"
            for option_id, units in stage.votes
            if option_id not in stage.excluded
        )
        if stage.non_transferable:
            spare = votes_text(stage.non_transferable, decimal)
            votes += _word(lang, "non_transferable", votes=spare)
        moved = "" if stage.option is None else " " + labels[stage.option]
        action = _word(lang, f"action_{stage.action}")
        lines.append("  " + _word(lang, "stage", number=number, action=action, option=moved,
                                  votes=votes))  # fmt: skip
    return lines


def render_table(manifest: Manifest, result: ElectionResult, lang: str) -> str:
    lines = [
        _label(manifest.title, lang),
        _word(lang, "counted", ballots=result.turnout.ballots, weight=result.turnout.weight),
    ]
    for question in result_rows(manifest, result, lang):
        lines += ["", question["title"]]
        if "rule" in question:
            winners = ", ".join(question["winners"]) or _word(lang, "none")
            lines.append("  " + _word(lang, "mixnet", rule=question["rule"], winners=winners))
            lines += ["  " + line for line in question["lines"]]
            continue
        blank = _word(lang, "blank")
        width = max([len(o["label"]) for o in question["options"]] + [len(blank)])
        for option in question["options"]:
            cost = (
                f"  ({_word(lang, 'cost', cost=option['cost'])})"
                if option["cost"] is not None
                else ""
            )
            mark = "  *" if option["winner"] else ""
            lines.append(f"  {option['label']:<{width}}  {option['votes']:>10}{cost}{mark}")
        if question["blank"] is not None:
            lines.append(f"  {blank:<{width}}  {question['blank']:>10}")
        if question["spent"] is not None:
            projects = ", ".join(question["winners"]) or _word(lang, "none")
            lines.append("  " + _word(lang, "funded", projects=projects, spent=question["spent"]))
    return "\n".join(lines) + "\n"


def render_json(manifest: Manifest, result: ElectionResult, lang: str) -> str:
    """The record's ``result.json``: the one format of a result, whatever the language."""
    return (result_to_json(result) + b"\n").decode("utf-8")


def render_csv(manifest: Manifest, result: ElectionResult, lang: str) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["question_id", "question", "option_id", "option", "votes", "cost", "winner", "grade",
         "rank"]
    )  # fmt: skip
    for question, row in zip(manifest.questions, result_rows(manifest, result, lang), strict=True):
        if isinstance(question, (GradesQuestion, RankingQuestion)):
            writer.writerows(_mixnet_csv_rows(question, row, lang))
            continue
        for option in row["options"]:
            writer.writerow(
                [
                    row["id"],
                    row["title"],
                    option["id"],
                    option["label"],
                    option["votes"],
                    "" if option["cost"] is None else option["cost"],
                    _word(lang, "yes") if option["winner"] else "",
                    "",
                    "",
                ]
            )
        if row["blank"] is not None:
            writer.writerow(
                [
                    row["id"],
                    row["title"],
                    "",
                    _word(lang, "blank"),
                    row["blank"],
                    "",
                    "",
                    "",
                    "",
                ]
            )
    return buffer.getvalue()


def _mixnet_csv_rows(
    question: GradesQuestion | RankingQuestion, row: dict[str, Any], lang: str
) -> list[list[object]]:
    """A grades or ranking question in long format: one row per option and grade (``grade``:
    its label, best first) or per option and rank (``rank``: 1..n), ``votes`` the ballots."""
    labels = {option.id: _label(option.label, lang) for option in question.options}
    grades = (
        {grade.id: _label(grade.label, lang) for grade in question.grades}
        if isinstance(question, GradesQuestion)
        else None
    )
    shown = row["outcome"]
    rows: list[list[object]] = []
    for option in shown.options:
        winner = _word(lang, "yes") if option.winner else ""
        for column, ballots in zip(shown.columns, option.ballots, strict=True):
            grade, rank = (grades[column], "") if grades is not None else ("", column)
            rows.append(
                [row["id"], row["title"], option.option_id, labels[option.option_id], ballots,
                 "", winner, grade, rank]
            )  # fmt: skip
    return rows


_RENDERERS: dict[str, Callable[[Manifest, ElectionResult, str], str]] = {
    "table": render_table,
    "json": render_json,
    "csv": render_csv,
}


def _record_view(source: Path, what: str) -> ElectionView:
    """The view of a published record (a folder format needs the record's anchors)."""
    if (source / CONFIG_FILE).exists() and not (source / RECORD_INDEX).exists():
        raise InvalidInput(
            f"{source}: --format {what} needs the published record, not the election"
            f" directory: run 'evote publish' and give the record"
        )
    view = view_from_record(load_record(source))
    if view.result is None:
        raise ElectionNotOpen(
            f"{source}: this record was published before the result; publish it again"
            " after 'evote tally combine'"
        )
    check_result_shape(view.manifest, view.result, str(source))
    return view


def _parse_issued(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise InvalidInput(
            f"--issued {text!r}: expected an ISO 8601 date and time with a timezone,"
            " e.g. 2027-03-09T12:00:00+01:00"
        )
    return moment


def _publication(args: argparse.Namespace) -> Publication:
    for option in ("base_url", "publisher"):
        if getattr(args, option) is None:
            flag = "--" + option.replace("_", "-")
            raise InvalidInput(f"--format {args.format} needs {flag}")
    return Publication(
        base_url=args.base_url,
        publisher=args.publisher,
        licence=args.licence,
        publisher_url=args.publisher_url,
        spatial=args.spatial,
        issued=_parse_issued(args.issued),
    )


def _write_folder(out: Path, files: Mapping[str, bytes]) -> None:
    """Write every file (each whole or not at all), then name them on standard output."""
    if out.exists() and not out.is_dir():
        raise InvalidInput(f"--out {out}: not a directory")
    for name, data in files.items():
        write_public(out / name, data)
    for name in files:
        print(out / name)


def _results_folder(args: argparse.Namespace, source: Path) -> int:
    if args.out is None:
        raise InvalidInput(f"--format {args.format} needs --out DIR (the folder to write)")
    if args.format == "html":
        view = _record_view(source, args.format)
        files = static_results_files(view, args.record_url)
    else:
        publication = _publication(args)
        files = open_data_files(_record_view(source, args.format), publication)
    # Everything is rendered before the first file is written: an error writes nothing.
    _write_folder(Path(args.out), files)
    return 0


def _results(args: argparse.Namespace) -> int:
    source = Path(args.source)
    if not source.exists():
        raise InvalidInput(f"{source}: no such record or election directory")
    if args.format in FOLDER_FORMATS:
        return _results_folder(args, source)
    manifest, result = load_result(source)
    text = _RENDERERS[args.format](manifest, result, args.lang)
    print(text, end="")
    return 0


def register(commands: Any) -> None:
    results = commands.add_parser(
        "results", help="print the result (table, JSON, CSV) or write it as open data"
    )
    results.add_argument(
        "source", metavar="RECORD_OR_DIR", help="a published record, or the election directory"
    )
    results.add_argument(
        "--format", default="table", choices=FORMATS,
        help="table (default), json, csv; opendata (open data) and html (the results page as"
        " static files) write a folder (--out)",
    )  # fmt: skip
    results.add_argument("--out", metavar="DIR", help="the folder opendata or html writes")
    results.add_argument(
        "--record-url", metavar="URL", default="record.tar.gz",
        help="html: where the page links the record's download (record.tar.gz)",
    )  # fmt: skip
    results.add_argument(
        "--base-url", metavar="URL", help="the folder's public address (opendata; required)"
    )
    results.add_argument(
        "--publisher", metavar="NAME", help="the publishing body (opendata; required)"
    )
    results.add_argument("--publisher-url", metavar="IRI", help="the publisher's web address")
    results.add_argument(
        "--licence", default=DEFAULT_LICENCE, choices=tuple(LICENCES),
        help=f"the open-data licence ({DEFAULT_LICENCE}: Etalab Licence Ouverte 2.0)",
    )  # fmt: skip
    results.add_argument(
        "--spatial", metavar="IRI", help="the place the election covers (a gazetteer IRI)"
    )
    results.add_argument(
        "--issued", metavar="DATETIME",
        help="the issue date (ISO 8601 with timezone); default: the record's last checkpoint",
    )  # fmt: skip
    results.add_argument(
        "--lang",
        default="en",
        choices=LANGUAGES,
        help="language of every label: the manifest's and the result's own words (en)",
    )
    handler: Handler = _results
    results.set_defaults(handler=handler)
