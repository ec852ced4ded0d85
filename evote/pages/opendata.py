"""The result as open data a city's portal can ingest: CSV, JSON, a Data Package and DCAT-AP.

:func:`open_data_files` gives the publication folder, file name to bytes, in a fixed order:

* ``results.csv``: one row per question and option, and one per blank column (RFC 4180, UTF-8,
  CRLF); labels in every language of the manifest;
* ``turnout.csv``: one row: ballots counted, their total weight, ballot entries, spoiled ballots;
* ``results-distribution.csv`` (only with a grades or ranking question): per such question,
  option and grade or rank, the ballots, with the option's majority grade, place and winner;
* ``stv-stages.csv`` (only with an STV question): per stage and option, the votes after it;
* ``results.json``: the same result, the manifest's public texts and the anchors (fingerprint,
  board key, last checkpoint) in one document;
* ``checkpoint.json``: the last signed checkpoint, byte for byte the file
  ``evote verify --checkpoint`` reads (docs/spec.md section 10.4);
* ``datapackage.json``: a Frictionless Data Package (v2) describing every file above, with a
  Table Schema for each CSV (types, required columns, allowed values);
* ``dcat.jsonld``: DCAT-AP metadata (JSON-LD): a ``dcat:Dataset`` and one
  ``dcat:Distribution`` per file above, with media type, download URL, size and SHA-256.

Why a Data Package rather than CSVW: the Table Schema is what data.gouv.fr's schema catalogue
(schema.data.gouv.fr) and its validator use, and the Data Package profile is published as a
JSON Schema, so a portal (and our tests) can validate the description with any JSON Schema
validator; CSVW metadata has no such schema (it is checked by RDF-aware processors).

Only public facts enter: aggregate counts, the manifest's texts, the fingerprint, the board key
and the signed checkpoint; never a credential, a ballot or anything the registrar holds. Every
file is byte-stable: sorted keys, fixed row and column order, and dates taken from the record
(the last checkpoint's time) unless :attr:`Publication.issued` says otherwise, so two runs on
the same record give the same bytes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from evote.ballots.manifest import (
    BudgetQuestion,
    GradesQuestion,
    Manifest,
    Question,
    QuestionKind,
    RankingQuestion,
)
from evote.errors import ElectionNotOpen, InvalidInput
from evote.pages.outcome import mixnet_outcome, votes_text
from evote.pages.view import ElectionView, checkpoint_file_bytes
from evote.tally.result import ElectionResult, QuestionResult

#: The Data Package profile the descriptor follows (its JSON Schema is published there).
DATAPACKAGE_PROFILE: Final = "https://datapackage.org/profiles/2.0/datapackage.json"


@dataclass(frozen=True, slots=True)
class Licence:
    """An open licence: its SPDX id, its name and the IRI a catalogue links to."""

    spdx: str
    title: str
    url: str


#: Licences ``evote results --licence`` offers. The default, the Etalab Licence Ouverte 2.0, is
#: the licence French public bodies publish open data under (data.gouv.fr's default); it is
#: compatible with CC-BY-4.0, which a city elsewhere may prefer.
LICENCES: Final = {
    "etalab-2.0": Licence(
        "etalab-2.0",
        "Licence Ouverte / Open Licence version 2.0",
        "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    ),
    "cc-by-4.0": Licence(
        "CC-BY-4.0",
        "Creative Commons Attribution 4.0 International",
        "https://creativecommons.org/licenses/by/4.0/",
    ),
    "cc0-1.0": Licence(
        "CC0-1.0",
        "Creative Commons Zero v1.0 Universal",
        "https://creativecommons.org/publicdomain/zero/1.0/",
    ),
}
DEFAULT_LICENCE: Final = "etalab-2.0"


@dataclass(frozen=True, slots=True)
class Publication:
    """Who publishes, under which licence, where the files will be downloaded from.

    ``base_url`` is the folder's public address (each file's download URL is ``base_url`` and
    its name); ``spatial`` an IRI of the place (e.g. a commune's in a gazetteer); ``issued``
    replaces the record's date (the last checkpoint's time).
    """

    base_url: str
    publisher: str
    licence: str = DEFAULT_LICENCE
    publisher_url: str | None = None
    spatial: str | None = None
    issued: datetime | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"https?://[^\s\"<>]+", self.base_url):
            raise InvalidInput(f"base URL {self.base_url!r}: expected an http(s) URL")
        if not self.publisher.strip():
            raise InvalidInput("publisher: give the publishing body's name")
        if self.licence not in LICENCES:
            raise InvalidInput(f"licence {self.licence!r}: expected one of {', '.join(LICENCES)}")
        for name in ("publisher_url", "spatial"):
            value = getattr(self, name)
            if value is not None and not re.fullmatch(r"[a-z][a-z0-9+.-]*:[^\s\"<>]+", value):
                raise InvalidInput(f"{name.replace('_', ' ')} {value!r}: expected an IRI")
        if self.issued is not None and self.issued.utcoffset() is None:
            raise InvalidInput("issued: give a date and time with a timezone")

    def url(self, name: str) -> str:
        return self.base_url.rstrip("/") + "/" + name


#: The result's own words in the CSV's label columns (the blank row), per language.
BLANK_LABEL: Final = {"en": "blank", "fr": "blanc"}
RESULTS_CSV: Final = "results.csv"
TURNOUT_CSV: Final = "turnout.csv"
DISTRIBUTION_CSV: Final = "results-distribution.csv"
STAGES_CSV: Final = "stv-stages.csv"
RESULTS_JSON: Final = "results.json"
CHECKPOINT_JSON: Final = "checkpoint.json"
DATAPACKAGE_JSON: Final = "datapackage.json"
DCAT_JSONLD: Final = "dcat.jsonld"


def manifest_languages(manifest: Manifest) -> tuple[str, ...]:
    """Every language any of the manifest's texts is written in, sorted."""
    languages = set(manifest.title)
    for question in manifest.questions:
        languages.update(question.title)
        for option in question.options:
            languages.update(option.label)
    return tuple(sorted(languages))


def text_in(text: Mapping[str, str], lang: str) -> str:
    """``text`` in ``lang``, else in the first language it has (sorted), else empty."""
    if lang in text:
        return text[lang]
    return text[min(text)] if text else ""


def _require_result(view: ElectionView) -> ElectionResult:
    if view.result is None:
        raise ElectionNotOpen(f"election {view.election_id}: no result yet: tally it first")
    return view.result


def _pairs(manifest: Manifest, result: ElectionResult) -> list[tuple[Question, QuestionResult]]:
    return list(zip(manifest.questions, result.questions, strict=True))


def _csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _field(
    name: str, kind: str, title: str, description: str, **constraints: Any
) -> dict[str, Any]:
    field: dict[str, Any] = {
        "name": name,
        "type": kind,
        "title": title,
        "description": description,
    }
    if constraints:
        field["constraints"] = constraints
    return field


def results_schema(languages: tuple[str, ...]) -> dict[str, Any]:
    """The Table Schema of ``results.csv`` (columns in file order)."""
    fields = [
        _field("election_id", "string", "Election", "The election's id.", required=True),
        _field("question_id", "string", "Question", "The question's id.", required=True),
        _field(
            "question_kind",
            "string",
            "Kind",
            "The question's kind.",
            required=True,
            enum=[kind.value for kind in QuestionKind],
        ),
    ]
    fields += [
        _field(
            f"question_title_{lang}",
            "string",
            f"Question ({lang})",
            f"The question's title in language {lang}.",
            required=True,
        )
        for lang in languages
    ]
    fields.append(
        _field(
            "entry",
            "string",
            "Entry",
            "'option' for an option's count, 'blank' for the blank votes.",
            required=True,
            enum=["option", "blank"],
        )
    )
    fields.append(
        _field("option_id", "string", "Option", "The option's id (empty on the blank row).")
    )
    fields += [
        _field(
            f"option_label_{lang}",
            "string",
            f"Option ({lang})",
            f"The option's label in language {lang}.",
            required=True,
        )
        for lang in languages
    ]
    fields += [
        _field(
            "votes",
            "integer",
            "Votes",
            "The weighted count: the sum of the weights of the ballots that chose the option"
            " (for a score question, the sum of the weighted scores).",
            required=True,
            minimum=0,
        ),
        _field("cost", "integer", "Cost", "A budget project's cost (empty otherwise).", minimum=1),
        _field(
            "funded",
            "boolean",
            "Funded",
            "Whether a budget project is funded by the result (empty otherwise).",
        ),
    ]
    return {"fields": fields, "missingValues": [""]}


def turnout_schema() -> dict[str, Any]:
    """The Table Schema of ``turnout.csv``."""
    return {
        "fields": [
            _field("election_id", "string", "Election", "The election's id.", required=True),
            _field(
                "ballots_counted",
                "integer",
                "Ballots counted",
                "Ballots counted in the tally (one per credential).",
                required=True,
                minimum=0,
            ),
            _field(
                "total_weight",
                "integer",
                "Total weight",
                "The sum of the counted ballots' weights.",
                required=True,
                minimum=0,
            ),
            _field(
                "ballot_entries",
                "integer",
                "Ballot entries",
                "Ballots cast on the board, revotes included.",
                required=True,
                minimum=0,
            ),
            _field(
                "spoiled_ballots",
                "integer",
                "Spoiled ballots",
                "Ballots opened for a Benaloh audit, never counted.",
                required=True,
                minimum=0,
            ),
        ],
        "missingValues": [""],
    }


def _language_fields(name: str, title: str, what: str, languages: tuple[str, ...],
                     required: bool) -> list[dict[str, Any]]:  # fmt: skip
    constraints = {"required": True} if required else {}
    return [
        _field(f"{name}_{lang}", "string", f"{title} ({lang})", f"{what} in language {lang}.",
               **constraints)
        for lang in languages
    ]  # fmt: skip


def distribution_schema(languages: tuple[str, ...]) -> dict[str, Any]:
    """The Table Schema of ``results-distribution.csv`` (grades and ranking questions)."""
    fields = [
        _field("election_id", "string", "Election", "The election's id.", required=True),
        _field("question_id", "string", "Question", "The question's id.", required=True),
        _field("question_kind", "string", "Kind", "The question's kind.", required=True,
               enum=[QuestionKind.GRADES.value, QuestionKind.RANKING.value]),
        _field("rule", "string", "Rule", "How the question is counted (docs/spec.md 13).",
               required=True, enum=["majority-judgment", "schulze", "stv"]),
        *_language_fields("question_title", "Question", "The question's title", languages, True),
        _field("option_id", "string", "Option", "The option's id.", required=True),
        *_language_fields("option_label", "Option", "The option's label", languages, True),
        _field("grade_id", "string", "Grade",
               "A grades question: the grade's id (grades best first); empty otherwise."),
        *_language_fields("grade_label", "Grade", "The grade's label", languages, False),
        _field("rank", "integer", "Rank",
               "A ranking question: the rank (1: most preferred); empty otherwise.", minimum=1),
        _field("ballots", "integer", "Ballots",
               "The ballots that gave the option this grade, or ranked it at this rank.",
               required=True, minimum=0),
        _field("majority_grade", "string", "Majority grade",
               "A grades question: the option's majority grade (the lower middlemost grade of"
               " its ballots), the same on each of its rows; empty otherwise."),
        _field("place", "integer", "Place",
               "The option's place in the rule's ranking (tied options share a place; for STV"
               " the order of election); empty for an option not placed.", minimum=1),
        _field("winner", "boolean", "Winner", "Whether the result names the option a winner.",
               required=True),
    ]  # fmt: skip
    return {"fields": fields, "missingValues": [""]}


def stages_schema() -> dict[str, Any]:
    """The Table Schema of ``stv-stages.csv`` (STV questions, docs/spec.md 13.3)."""
    fields = [
        _field("election_id", "string", "Election", "The election's id.", required=True),
        _field("question_id", "string", "Question", "The question's id.", required=True),
        _field("stage", "integer", "Stage", "The stage's number, from 1.", required=True,
               minimum=1),
        _field("action", "string", "Action",
               "first (first preferences), surplus (an elected option's surplus transferred),"
               " exclusion (an option excluded, its votes transferred) or fill (the remaining"
               " seats filled).", required=True, enum=["first", "surplus", "exclusion", "fill"]),
        _field("action_option_id", "string", "Option moved",
               "The option whose votes the stage transferred; empty otherwise."),
        _field("option_id", "string", "Option", "The option's id.", required=True),
        _field("votes", "number", "Votes",
               "The option's votes after the stage, exact to 10^-5 of a vote.", required=True,
               minimum=0),
        _field("status", "string", "Status", "The option after the stage.", required=True,
               enum=["elected", "excluded", "continuing"]),
        _field("non_transferable", "number", "Non-transferable",
               "The votes set aside as non-transferable after the stage (the same on each of"
               " its rows).", required=True, minimum=0),
    ]  # fmt: skip
    return {"fields": fields, "missingValues": [""]}


def _mixnet_pairs(
    view: ElectionView,
) -> list[tuple[GradesQuestion | RankingQuestion, QuestionResult]]:
    return [
        (question, outcome)
        for question, outcome in _pairs(view.manifest, _require_result(view))
        if isinstance(question, (GradesQuestion, RankingQuestion))
    ]


def distribution_csv(view: ElectionView) -> bytes:
    """``results-distribution.csv``: per grades or ranking question, option (manifest order) and
    grade (best first) or rank (1..n), the ballots, with the option's majority grade, place and
    whether it wins."""
    languages = manifest_languages(view.manifest)
    rows = [[field["name"] for field in distribution_schema(languages)["fields"]]]
    for question, outcome in _mixnet_pairs(view):
        shown = mixnet_outcome(question, outcome)
        head = [view.election_id, outcome.question_id, outcome.kind.value, question.rule.value]
        head += [text_in(question.title, lang) for lang in languages]
        grades = (
            {grade.id: grade.label for grade in question.grades}
            if isinstance(question, GradesQuestion)
            else None
        )
        for option, row in zip(question.options, shown.options, strict=True):
            tail = [
                row.majority_grade or "",
                "" if row.place is None else str(row.place),
                "true" if row.winner else "false",
            ]
            for column, ballots in zip(shown.columns, row.ballots, strict=True):
                if grades is not None:
                    grade = [column, *(text_in(grades[column], lang) for lang in languages), ""]
                else:
                    grade = ["", *("" for _ in languages), column]
                rows.append(
                    [*head, option.id, *(text_in(option.label, lang) for lang in languages),
                     *grade, str(ballots), *tail]
                )  # fmt: skip
    return _csv_bytes(rows)


def stages_csv(view: ElectionView) -> bytes:
    """``stv-stages.csv``: per STV question, stage and option (manifest order), its votes."""
    rows = [[field["name"] for field in stages_schema()["fields"]]]
    for question, outcome in _mixnet_pairs(view):
        if outcome.stages is None:
            continue
        for number, stage in enumerate(outcome.stages, start=1):
            for option_id, units in stage.votes:
                status = (
                    "elected"
                    if option_id in stage.elected
                    else "excluded"
                    if option_id in stage.excluded
                    else "continuing"
                )
                rows.append(
                    [view.election_id, question.id, str(number), stage.action,
                     stage.option or "", option_id, votes_text(units), status,
                     votes_text(stage.non_transferable)]
                )  # fmt: skip
    return _csv_bytes(rows)


def results_csv(view: ElectionView) -> bytes:
    """``results.csv``: a header, then per question its options in manifest order, then blank.

    A grades or ranking question has no votes per option (its count is the record's decrypted
    answers, docs/spec.md section 14): it is left out here and given in ``results.json``.
    """
    result = _require_result(view)
    languages = manifest_languages(view.manifest)
    rows = [[field["name"] for field in results_schema(languages)["fields"]]]
    for question, outcome in _pairs(view.manifest, result):
        if question.counted_by_mixnet:
            continue
        head = [view.election_id, outcome.question_id, outcome.kind.value]
        head += [text_in(question.title, lang) for lang in languages]
        budget = isinstance(question, BudgetQuestion)
        for option, (option_id, votes) in zip(question.options, outcome.counts, strict=True):
            rows.append(
                [*head, "option", option_id]
                + [text_in(option.label, lang) for lang in languages]
                + [
                    str(votes),
                    "" if option.cost is None else str(option.cost),
                    ("true" if option_id in outcome.winners else "false") if budget else "",
                ]
            )
        if outcome.blank is not None:
            rows.append(
                [*head, "blank", ""]
                + [BLANK_LABEL.get(lang, BLANK_LABEL["en"]) for lang in languages]
                + [str(outcome.blank), "", ""]
            )
    return _csv_bytes(rows)


def turnout_csv(view: ElectionView) -> bytes:
    """``turnout.csv``: the header and one row."""
    result = _require_result(view)
    header = [field["name"] for field in turnout_schema()["fields"]]
    row = [
        view.election_id,
        str(result.turnout.ballots),
        str(result.turnout.weight),
        str(view.ballots),
        str(view.spoiled),
    ]
    return _csv_bytes([header, row])


def _json_bytes(document: Any) -> bytes:
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _mixnet_entry(
    question: GradesQuestion | RankingQuestion, outcome: QuestionResult
) -> dict[str, Any]:
    """A grades or ranking question in ``results.json``: its rule, winners, ballots per grade
    or rank, ranking and (STV) quota; no votes. Every decrypted answer and STV's stages are in
    the record's result.json (the stages also in ``stv-stages.csv``)."""
    entry: dict[str, Any] = {
        "id": outcome.question_id,
        "kind": outcome.kind.value,
        "title": dict(question.title),
        "rule": question.rule.value,
        "options": [{"id": option.id, "label": dict(option.label)} for option in question.options],
        "winners": list(outcome.winners),
    }
    if isinstance(question, RankingQuestion) and question.seats is not None:
        entry["seats"] = question.seats
    shown = mixnet_outcome(question, outcome)
    if isinstance(question, GradesQuestion):
        entry["grades"] = [
            {"id": grade.id, "label": dict(grade.label)} for grade in question.grades
        ]
    distribution = []
    for row in shown.options:
        item: dict[str, Any] = {"option": row.option_id, "ballots": list(row.ballots)}
        if isinstance(question, GradesQuestion):
            item["majority_grade"] = row.majority_grade
        distribution.append(item | {"place": row.place})
    entry["distribution"] = distribution
    entry["ranking"] = [list(group) for group in shown.ranking]
    if shown.quota is not None:
        entry["quota"] = votes_text(shown.quota)
    return entry


def results_document(view: ElectionView) -> dict[str, Any]:
    """``results.json``'s object: the result with the manifest's texts and the anchors."""
    result = _require_result(view)
    questions = []
    for question, outcome in _pairs(view.manifest, result):
        if isinstance(question, (GradesQuestion, RankingQuestion)):
            questions.append(_mixnet_entry(question, outcome))
            continue
        budget = isinstance(question, BudgetQuestion)
        options = []
        for option, (option_id, votes) in zip(question.options, outcome.counts, strict=True):
            item: dict[str, Any] = {"id": option_id, "label": dict(option.label), "votes": votes}
            if budget:
                item["cost"] = option.cost
                item["funded"] = option_id in outcome.winners
            options.append(item)
        entry: dict[str, Any] = {
            "id": outcome.question_id,
            "kind": outcome.kind.value,
            "title": dict(question.title),
            "options": options,
            "blank": outcome.blank,
        }
        if isinstance(question, BudgetQuestion):
            entry |= {
                "budget": question.budget,
                "spent": outcome.spent,
                "funded": list(outcome.winners),
            }
        questions.append(entry)
    checkpoint = view.last_checkpoint
    return {
        "election_id": view.election_id,
        "title": dict(view.manifest.title),
        "opens": view.manifest.opens.isoformat(),
        "closes": view.manifest.closes.isoformat(),
        "fingerprint": view.fingerprint.hex(),
        "board_key": view.board_key.hex(),
        "last_checkpoint": None if checkpoint is None else checkpoint.to_json_obj(),
        "turnout": {"ballots": result.turnout.ballots, "weight": result.turnout.weight},
        "ballot_entries": view.ballots,
        "spoiled_ballots": view.spoiled,
        "questions": questions,
    }


def issued_time(view: ElectionView, publication: Publication) -> datetime:
    """When the data was issued: as given, else the last checkpoint's time (the board's clock
    when it signed its last head, after the result), never the time of the run."""
    if publication.issued is not None:
        return publication.issued.astimezone(UTC)
    if view.last_checkpoint is None:
        raise InvalidInput(
            f"election {view.election_id}: the record has no checkpoint to date the data by:"
            " give the issue date"
        )
    return datetime.fromtimestamp(view.last_checkpoint.timestamp, UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


#: What each file is: (title, media type, EU file type, description).
FILE_KINDS: Final = {
    RESULTS_CSV: (
        "Results per question and option",
        "text/csv",
        "CSV",
        "One row per question and option (and blank), with the weighted count; grades and"
        " ranking questions, which have no votes per option, are in results-distribution.csv.",
    ),
    DISTRIBUTION_CSV: (
        "Ballots per grade or rank",
        "text/csv",
        "CSV",
        "Grades and ranking questions: one row per option and grade or rank, with the ballots,"
        " the majority grade, the place in the ranking and the winners.",
    ),
    STAGES_CSV: (
        "Stages of the STV count",
        "text/csv",
        "CSV",
        "STV questions: one row per stage and option, with its votes after the stage.",
    ),
    TURNOUT_CSV: (
        "Turnout",
        "text/csv",
        "CSV",
        "Ballots counted, their total weight, ballot entries and spoiled ballots.",
    ),
    RESULTS_JSON: (
        "Results (JSON)",
        "application/json",
        "JSON",
        "The result, the manifest's texts and the record's anchors.",
    ),
    CHECKPOINT_JSON: (
        "Last signed checkpoint",
        "application/json",
        "JSON",
        "The board's last signed checkpoint: pass it to"
        " 'evote verify --checkpoint' to pin the published record.",
    ),
    DATAPACKAGE_JSON: (
        "Data Package descriptor",
        "application/json",
        "JSON",
        "Frictionless Data Package (v2): the files and the CSV Table Schemas.",
    ),
}


def _description(view: ElectionView, lang: str) -> str:
    result = _require_result(view)
    title = text_in(view.manifest.title, lang)
    if lang == "fr":
        return (
            f"Résultat du vote « {title} » (identifiant {view.election_id}) :"
            f" {result.turnout.ballots} bulletins comptés, poids total {result.turnout.weight}."
            " Comptes agrégés par question et par option ; aucune donnée personnelle. Le"
            " registre de l'élection se vérifie avec « evote verify » contre l'empreinte"
            f" {view.fingerprint.hex()}."
        )
    return (
        f'Result of the vote "{title}" (id {view.election_id}): {result.turnout.ballots}'
        f" ballots counted, total weight {result.turnout.weight}. Aggregate counts per question"
        " and option; no personal data. The election record is checked with 'evote verify'"
        f" against the fingerprint {view.fingerprint.hex()}."
    )


def _package_name(election_id: str) -> str:
    return re.sub(r"[^a-z0-9._-]", "-", election_id.lower())


def datapackage(
    view: ElectionView, publication: Publication, files: Mapping[str, bytes]
) -> dict[str, Any]:
    """The Data Package descriptor of ``files`` (the data files, already rendered)."""
    languages = manifest_languages(view.manifest)
    licence = LICENCES[publication.licence]
    schemas = {
        RESULTS_CSV: results_schema(languages),
        TURNOUT_CSV: turnout_schema(),
        DISTRIBUTION_CSV: distribution_schema(languages),
        STAGES_CSV: stages_schema(),
    }
    resources = []
    for name in files:
        title, mediatype, file_type, description = FILE_KINDS[name]
        data = files[name]
        resource: dict[str, Any] = {
            "name": name.rsplit(".", 1)[0],
            "path": name,
            "title": title,
            "description": description,
            "format": file_type.lower(),
            "mediatype": mediatype,
            "encoding": "utf-8",
            "bytes": len(data),
            "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
        }
        if name in schemas:
            resource |= {"type": "table", "schema": schemas[name]}
        resources.append(resource)
    contributor: dict[str, Any] = {"title": publication.publisher, "roles": ["publisher"]}
    if publication.publisher_url is not None:
        contributor["path"] = publication.publisher_url
    return {
        "$schema": DATAPACKAGE_PROFILE,
        "name": _package_name(view.election_id),
        "id": publication.base_url,
        "title": text_in(view.manifest.title, "en"),
        "description": _description(view, "en"),
        "created": _iso(issued_time(view, publication)),
        "keywords": ["election", "results", "verifiable", view.election_id],
        "licenses": [{"name": licence.spdx, "path": licence.url, "title": licence.title}],
        "contributors": [contributor],
        "resources": resources,
    }


#: The JSON-LD context: DCAT-AP's vocabularies (https://semiceu.github.io/DCAT-AP/).
DCAT_CONTEXT: Final = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "spdx": "http://spdx.org/rdf/terms#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
EU_FILE_TYPE: Final = "http://publications.europa.eu/resource/authority/file-type/"
EU_THEME_GOVERNMENT: Final = "http://publications.europa.eu/resource/authority/data-theme/GOVE"
IANA_MEDIA_TYPES: Final = "http://www.iana.org/assignments/media-types/"
KEYWORDS: Final = {
    "en": ("election", "results", "vote", "verifiable election"),
    "fr": ("élection", "résultats", "vote", "scrutin vérifiable"),
}


def _literals(text: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"@language": lang, "@value": text[lang]} for lang in sorted(text)]


def _date_time(moment: datetime) -> dict[str, str]:
    return {"@type": "xsd:dateTime", "@value": _iso(moment)}


def dcat_document(
    view: ElectionView, publication: Publication, files: Mapping[str, bytes]
) -> dict[str, Any]:
    """The DCAT-AP dataset of ``files`` (every file but this one), as JSON-LD."""
    issued = _date_time(issued_time(view, publication))
    licence = {"@id": LICENCES[publication.licence].url}
    distributions = []
    for name, data in files.items():
        title, mediatype, file_type, description = FILE_KINDS[name]
        distributions.append(
            {
                "@id": publication.url(name) + "#distribution",
                "@type": "dcat:Distribution",
                "dct:title": {"@language": "en", "@value": title},
                "dct:description": {"@language": "en", "@value": description},
                "dcat:accessURL": {"@id": publication.url(name)},
                "dcat:downloadURL": {"@id": publication.url(name)},
                "dcat:mediaType": {"@id": IANA_MEDIA_TYPES + mediatype},
                "dct:format": {"@id": EU_FILE_TYPE + file_type},
                "dcat:byteSize": {"@type": "xsd:nonNegativeInteger", "@value": str(len(data))},
                "spdx:checksum": {
                    "@type": "spdx:Checksum",
                    "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
                    "spdx:checksumValue": {
                        "@type": "xsd:hexBinary",
                        "@value": hashlib.sha256(data).hexdigest(),
                    },
                },
                "dct:license": licence,
                "dct:issued": issued,
            }
        )
    publisher: dict[str, Any] = {"@type": "foaf:Agent", "foaf:name": publication.publisher}
    if publication.publisher_url is not None:
        publisher["@id"] = publication.publisher_url
    languages = manifest_languages(view.manifest)
    dataset: dict[str, Any] = {
        "@id": publication.base_url,
        "@type": "dcat:Dataset",
        "dct:identifier": view.election_id,
        "dct:title": _literals(view.manifest.title),
        "dct:description": _literals({lang: _description(view, lang) for lang in languages}),
        "dct:publisher": publisher,
        "dct:issued": issued,
        "dct:modified": issued,
        "dcat:keyword": [
            {"@language": lang, "@value": word}
            for lang in sorted(KEYWORDS)
            for word in KEYWORDS[lang]
        ],
        "dcat:theme": {"@id": EU_THEME_GOVERNMENT},
        "dct:temporal": {
            "@type": "dct:PeriodOfTime",
            "dcat:startDate": _date_time(view.manifest.opens),
            "dcat:endDate": _date_time(view.manifest.closes),
        },
        "dcat:distribution": distributions,
    }
    if publication.spatial is not None:
        dataset["dct:spatial"] = {"@id": publication.spatial}
    return {"@context": DCAT_CONTEXT, "@graph": [dataset]}


def open_data_files(view: ElectionView, publication: Publication) -> dict[str, bytes]:
    """The publication folder: file name to bytes, in the order listed in this module's doc."""
    _require_result(view)
    if view.last_checkpoint is None:
        raise InvalidInput(
            f"election {view.election_id}: the record has no signed checkpoint to publish"
        )
    files = {RESULTS_CSV: results_csv(view), TURNOUT_CSV: turnout_csv(view)}
    # Present only when there is something to put in them: a publication without grades or
    # ranking questions keeps its files and bytes.
    mixnet = _mixnet_pairs(view)
    if mixnet:
        files[DISTRIBUTION_CSV] = distribution_csv(view)
    if any(outcome.stages is not None for _, outcome in mixnet):
        files[STAGES_CSV] = stages_csv(view)
    files |= {
        RESULTS_JSON: _json_bytes(results_document(view)),
        CHECKPOINT_JSON: checkpoint_file_bytes(view.last_checkpoint),
    }
    files[DATAPACKAGE_JSON] = _json_bytes(datapackage(view, publication, files))
    files[DCAT_JSONLD] = _json_bytes(dcat_document(view, publication, files))
    return files
