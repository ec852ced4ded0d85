"""The public status, results and lookup pages: pure functions from an :class:`ElectionView`
to an HTML document (a string), in English or French.

No web framework: ``evote serve`` and ``evote results --format html`` call these. The pages hold
no script and no inline style (one stylesheet, :func:`stylesheet_bytes`, served as a file), so
they work under ``Content-Security-Policy: default-src 'self'``. They follow WCAG 2.1 AA: a
``lang`` attribute, one ``h1`` and ordered headings, tables with captions and ``th`` scopes,
charts as images with a title and a description that say every figure, every figure also
written beside its bar and in a table, nothing told by colour alone, labelled form fields, a
skip link, text that reflows on a phone. Every text from the manifest, the board or the user is
HTML-escaped.

:class:`PageLinks` holds the addresses the pages link to: :meth:`PageLinks.served` those of the
service (docs/README.md and the service's routes), :meth:`PageLinks.static` those of a folder of
static files.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from html import escape
from importlib import resources
from typing import Final
from urllib.parse import quote

from evote import jsonstrict
from evote.ballots.manifest import (
    BudgetQuestion,
    GradesQuestion,
    Question,
    QuestionKind,
    RankingQuestion,
)
from evote.board.checkpoint import Checkpoint
from evote.errors import ElectionNotOpen, InvalidInput
from evote.pages.i18n import LANGUAGES, check_language, number, percent, word
from evote.pages.opendata import text_in
from evote.pages.outcome import MixnetOutcome, mixnet_outcome, votes_text
from evote.pages.svg import Bar, bar_chart
from evote.pages.view import ElectionView, checkpoint_file_bytes
from evote.tally.result import QuestionResult

STYLESHEET: Final = "pages.css"
LOOKUP_STATES: Final = ("counted", "superseded", "spoiled", "not-found", "malformed")


def stylesheet_bytes() -> bytes:
    """The pages' stylesheet, to serve at :attr:`PageLinks.stylesheet` (``text/css``)."""
    return resources.files("evote.pages").joinpath("static", STYLESHEET).read_bytes()


@dataclass(frozen=True, slots=True)
class PageLinks:
    """Where the pages link to. ``lang_switch`` holds ``{lang}``, replaced by the other language;
    ``booth`` (if any) is the voting booth, linked from the status page while voting is open."""

    stylesheet: str
    status: str
    results: str
    lookup: str
    checkpoint: str
    record: str
    open_data: str | None
    lang_switch: str
    booth: str | None = None

    @classmethod
    def served(cls, election_id: str) -> PageLinks:
        """The service's addresses (the HTTP contract of ``evote serve``)."""
        base = "/elections/" + quote(election_id, safe="")
        return cls(
            stylesheet="/static/pages/" + STYLESHEET,
            status=base + "/status?lang={lang}",
            results=base + "/results?lang={lang}",
            lookup=base + "/lookup",
            checkpoint=base + "/open-data/checkpoint.json",
            record="/api/v1/elections/" + quote(election_id, safe="") + "/record",
            open_data=base + "/open-data/datapackage.json",
            lang_switch="?lang={lang}",
            booth=base,
        )

    @classmethod
    def static(cls, record_url: str, lookup_url: str = "") -> PageLinks:
        """A folder of static files: ``results.{lang}.html``, the stylesheet, the checkpoint."""
        return cls(
            stylesheet=STYLESHEET,
            status="results.{lang}.html",
            results="results.{lang}.html",
            lookup=lookup_url,
            checkpoint="checkpoint.json",
            record=record_url,
            open_data=None,
            lang_switch="results.{lang}.html",
        )


@dataclass(frozen=True, slots=True)
class LookupAnswer:
    """What the board says of a typed tracking code (``GET .../ballots/{code}``).

    ``status``: ``counted``, ``superseded``, ``spoiled`` (the API's answers), ``not-found``
    (404) or ``malformed`` (400); ``tracking_code`` the normalised code when well formed.
    """

    typed: str
    status: str
    tracking_code: str | None = None
    position: int | None = None


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _link(template: str, lang: str) -> str:
    return template.replace("{lang}", lang)


def _other_languages(lang: str) -> list[str]:
    return [other for other in LANGUAGES if other != lang]


def _document(lang: str, title: str, links: PageLinks, body: Iterable[str]) -> str:
    switch = " ".join(
        f'<a href="{_e(_link(links.lang_switch, other))}" hreflang="{other}"'
        f' lang="{other}">{_e(word(other, "language"))}</a>'
        for other in _other_languages(lang)
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            f'<html lang="{lang}">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title>",
            f'<link rel="stylesheet" href="{_e(links.stylesheet)}">',
            "</head>",
            "<body>",
            f'<a class="skip" href="#content">{_e(word(lang, "skip"))}</a>',
            f'<header><nav class="languages">{switch}</nav></header>',
            '<main id="content">',
            *body,
            "</main>",
            "</body>",
            "</html>",
            "",
        ]
    )


def _dl(rows: Sequence[tuple[str, str]], css: str = "facts") -> str:
    """A description list; values are already HTML."""
    items = "".join(f"<dt>{_e(term)}</dt><dd>{value}</dd>" for term, value in rows)
    return f'<dl class="{css}">{items}</dl>'


def _code(text: str) -> str:
    return f'<code class="hash">{_e(text)}</code>'


def _time(timestamp: int) -> str:
    moment = datetime.fromtimestamp(timestamp, UTC)
    return (
        f'<time datetime="{moment.strftime("%Y-%m-%dT%H:%M:%SZ")}">'
        + _e(moment.strftime("%Y-%m-%d %H:%M:%S UTC"))
        + "</time>"
    )


def _moment(moment: datetime) -> str:
    return (
        f'<time datetime="{_e(moment.isoformat())}">'
        + _e(moment.strftime("%Y-%m-%d %H:%M %z").rstrip())
        + "</time>"
    )


def _state_facts(view: ElectionView, lang: str, cast_key: str) -> list[tuple[str, str]]:
    return [
        (word(lang, "state"), _e(word(lang, f"state_{view.state}"))),
        (word(lang, "opens"), _moment(view.manifest.opens)),
        (word(lang, "closes"), _moment(view.manifest.closes)),
        (word(lang, cast_key), f'<span class="count">{_e(number(lang, view.ballots))}</span>'),
        (word(lang, "spoiled"), f'<span class="count">{_e(number(lang, view.spoiled))}</span>'),
    ]


def _checkpoint_section(view: ElectionView, lang: str, links: PageLinks) -> list[str]:
    """The anchors in full: fingerprint, board key, last checkpoint, and its file to download."""
    parts = [
        _dl(
            [
                (word(lang, "fingerprint"), _code(view.fingerprint.hex())),
                (word(lang, "board_key"), _code(view.board_key.hex())),
            ]
        ),
        f'<h3 id="checkpoint">{_e(word(lang, "checkpoint"))}</h3>',
    ]
    checkpoint = view.last_checkpoint
    if checkpoint is None:
        return [*parts, f"<p>{_e(word(lang, 'no_checkpoint'))}</p>"]
    parts.append(_checkpoint_facts(checkpoint, lang))
    parts.append(f"<h4>{_e(word(lang, 'checkpoint_file'))}</h4>")
    parts.append(f'<pre class="file">{_e(checkpoint_file_bytes(checkpoint).decode("utf-8"))}</pre>')
    parts.append(
        f'<p><a class="download" href="{_e(links.checkpoint)}" download="checkpoint.json">'
        f"{_e(word(lang, 'download_checkpoint'))}</a></p>"
    )
    return parts


def _checkpoint_facts(checkpoint: Checkpoint, lang: str) -> str:
    return _dl(
        [
            (word(lang, "election_id"), _code(checkpoint.election_id)),
            (word(lang, "position"), _e(number(lang, checkpoint.position))),
            (word(lang, "chain_hash"), _code(checkpoint.chain_hash.hex())),
            (word(lang, "time"), _time(checkpoint.timestamp)),
            (word(lang, "board_key"), _code(checkpoint.board_key.hex())),
            (word(lang, "signature"), _code(jsonstrict.b64encode(checkpoint.signature))),
        ]
    )


def _lookup_form(view: ElectionView, lang: str, links: PageLinks, typed: str = "") -> list[str]:
    if not links.lookup:
        # A static page has no service behind it: the voter checks the record themselves.
        return [f"<p>{_e(word(lang, 'lookup_offline'))}</p>"]
    value = f' value="{_e(typed)}"' if typed else ""
    return [
        f'<form class="lookup" method="get" action="{_e(links.lookup)}">',
        f'<input type="hidden" name="lang" value="{lang}">',
        f'<label for="code">{_e(word(lang, "lookup_label"))}</label>',
        f'<p id="code-hint" class="hint">{_e(word(lang, "lookup_hint"))}</p>',
        f'<input id="code" name="code" type="text" autocomplete="off" spellcheck="false"'
        f' autocapitalize="characters" aria-describedby="code-hint"{value}>',
        f'<button type="submit">{_e(word(lang, "lookup_button"))}</button>',
        "</form>",
    ]


def _lookup_section(view: ElectionView, lang: str, links: PageLinks) -> list[str]:
    return [
        '<section aria-labelledby="lookup">',
        f'<h2 id="lookup">{_e(word(lang, "lookup"))}</h2>',
        f"<p>{_e(word(lang, 'lookup_intro'))}</p>",
        *_lookup_form(view, lang, links),
        "</section>",
    ]


def _title(view: ElectionView, lang: str) -> str:
    return text_in(view.manifest.title, lang)


def static_results_files(view: ElectionView, record_url: str) -> dict[str, bytes]:
    """The results pages as static files: ``results.en.html``, ``results.fr.html``, the
    stylesheet and ``checkpoint.json`` (the pages' download), for a site without the service."""
    if view.result is None:
        raise ElectionNotOpen(f"election {view.election_id}: no result yet: tally it first")
    links = PageLinks.static(record_url)
    files = {
        f"results.{lang}.html": render_results_page(view, lang, links).encode("utf-8")
        for lang in LANGUAGES
    }
    files[STYLESHEET] = stylesheet_bytes()
    if view.last_checkpoint is not None:
        files["checkpoint.json"] = checkpoint_file_bytes(view.last_checkpoint)
    return files


def render_status_page(view: ElectionView, lang: str = "en", links: PageLinks | None = None) -> str:
    """The status page: open or closed, ballots cast so far, the latest signed checkpoint."""
    lang = check_language(lang)
    links = links or PageLinks.served(view.election_id)
    title = _title(view, lang)
    body = [
        f'<h1>{_e(title)} <span class="subtitle">{_e(word(lang, "page_status"))}</span></h1>',
        _dl(_state_facts(view, lang, "ballots_cast")),
    ]
    if view.state == "open" and links.booth:
        body.append(f'<p><a href="{_e(links.booth)}">{_e(word(lang, "to_booth"))}</a></p>')
    if view.result is not None:
        body.append(
            f'<p><a href="{_e(_link(links.results, lang))}">{_e(word(lang, "to_results"))}</a></p>'
        )
    body += [
        '<section aria-labelledby="anchors">',
        f'<h2 id="anchors">{_e(word(lang, "signed_state"))}</h2>',
        *_checkpoint_section(view, lang, links),
        "</section>",
        *_lookup_section(view, lang, links),
    ]
    return _document(lang, f"{title} – {word(lang, 'page_status')}", links, body)


def _question_bars(
    question: Question, outcome: QuestionResult, lang: str, weight: int
) -> list[tuple[str, int, str, bool | None]]:
    """(label, votes, share, funded or None) per option, then the blank row if any."""
    budget = isinstance(question, BudgetQuestion)
    with_share = outcome.kind is not QuestionKind.SCORE
    rows = []
    for option, (option_id, votes) in zip(question.options, outcome.counts, strict=True):
        share = percent(lang, votes, weight) if with_share else ""
        funded = (option_id in outcome.winners) if budget else None
        rows.append((text_in(option.label, lang), votes, share, funded))
    if outcome.blank is not None:
        share = percent(lang, outcome.blank, weight) if with_share else ""
        rows.append((word(lang, "blank"), outcome.blank, share, None))
    return rows


def _figure_text(lang: str, votes: int, share: str, funded: bool | None) -> str:
    text = number(lang, votes)
    if share:
        text += f" ({share})"
    if funded is not None:
        text += " – " + word(lang, "funded_mark" if funded else "not_funded_mark")
    return text


def _mixnet_question_section(
    index: int, question: GradesQuestion | RankingQuestion, outcome: QuestionResult, lang: str
) -> list[str]:
    """A grades or ranking question: its rule and winners, its ballots per grade (with each
    option's majority grade) or per rank as a table, the ranking with ties or, for STV, the
    elected in order, the quota and the stages. No bars: its count is not votes per option."""
    heading_id = f"q{index}"
    question_title = text_in(question.title, lang)
    labels = {option.id: text_in(option.label, lang) for option in question.options}
    winners = ", ".join(labels.get(winner, winner) for winner in outcome.winners)
    seats = question.seats if isinstance(question, RankingQuestion) else None
    rule = word(lang, f"rule_{question.rule.value}", seats=seats)
    shown = mixnet_outcome(question, outcome)
    parts = [
        f'<section class="question" aria-labelledby="{heading_id}">',
        f'<h2 id="{heading_id}">{_e(question_title)}</h2>',
        f"<p>{_e(word(lang, 'mixnet_rule', rule=rule))}</p>",
        '<p class="winners">'
        + _e(word(lang, "mixnet_winners", winners=winners or word(lang, "mixnet_no_winner")))
        + "</p>",
        *_distribution_table(question, shown, labels, lang, question_title),
    ]
    heading = "elected_heading" if shown.stv else "ranking_heading"
    parts.append(f"<h3>{_e(word(lang, heading))}</h3>")
    if shown.ranking:
        # Each group numbered by its place (tied options share it, the next place skips), as
        # the open data's ``place``.
        items, place = [], 1
        for group in shown.ranking:
            items.append(f'<li value="{place}">{_e(" = ".join(labels[o] for o in group))}</li>')
            place += len(group)
        parts.append(f'<ol class="ranking">{"".join(items)}</ol>')
    else:
        parts.append(f"<p>{_e(word(lang, 'mixnet_no_winner'))}</p>")
    if shown.quota is not None:
        quota = votes_text(shown.quota, "," if lang == "fr" else ".")
        parts.append(f'<p class="quota">{_e(word(lang, "quota", quota=quota))}</p>')
    if shown.stages:
        parts += _stages_table(shown, labels, lang, question_title)
    parts += [f"<p>{_e(word(lang, 'mixnet_note'))}</p>", "</section>"]
    return parts


def _distribution_table(
    question: GradesQuestion | RankingQuestion,
    shown: MixnetOutcome,
    labels: dict[str, str],
    lang: str,
    question_title: str,
) -> list[str]:
    """Per option (a row) its ballots per grade, best first, and its majority grade, or its
    ballots per rank."""
    if isinstance(question, GradesQuestion):
        grades = {grade.id: text_in(grade.label, lang) for grade in question.grades}
        head = [*(grades[g] for g in shown.columns), word(lang, "majority_grade")]
        caption = word(lang, "grades_caption", question=question_title)
    else:
        grades = {}
        head = [word(lang, "rank_n", rank=rank) for rank in shown.columns]
        caption = word(lang, "ranks_caption", question=question_title)
    lines = [
        '<div class="table-wrap"><table class="distribution">',
        f"<caption>{_e(caption)}</caption>",
        "<thead><tr>"
        + "".join(f'<th scope="col">{_e(h)}</th>' for h in [word(lang, "option"), *head])
        + "</tr></thead>",
        "<tbody>",
    ]
    for option in shown.options:
        cells = "".join(f'<td class="num">{_e(number(lang, n))}</td>' for n in option.ballots)
        if grades:
            median = option.majority_grade
            cells += f"<td>{_e('' if median is None else grades[median])}</td>"
        lines.append(f'<tr><th scope="row">{_e(labels[option.option_id])}</th>{cells}</tr>')
    lines += ["</tbody>", "</table></div>"]
    return lines


def _stages_table(
    shown: MixnetOutcome, labels: dict[str, str], lang: str, question_title: str
) -> list[str]:
    """STV's stages (spec 13.3): a row per stage, what happened and every option's votes."""
    decimal = "," if lang == "fr" else "."
    head = [word(lang, "stage"), word(lang, "action")]
    head += [labels[option.option_id] for option in shown.options]
    head.append(word(lang, "non_transferable"))
    lines = [
        '<div class="table-wrap"><table class="stages">',
        f"<caption>{_e(word(lang, 'stages_caption', question=question_title))}</caption>",
        "<thead><tr>" + "".join(f'<th scope="col">{_e(h)}</th>' for h in head) + "</tr></thead>",
        "<tbody>",
    ]
    for number_, stage in enumerate(shown.stages, start=1):
        moved = "" if stage.option is None else labels[stage.option]
        cells = [f"<td>{_e(word(lang, f'action_{stage.action}', option=moved))}</td>"]
        cells += [
            f'<td class="num">{_e(votes_text(units, decimal))}</td>' for _, units in stage.votes
        ]
        cells.append(f'<td class="num">{_e(votes_text(stage.non_transferable, decimal))}</td>')
        lines.append(f'<tr><th scope="row">{number_}</th>{"".join(cells)}</tr>')
    lines += ["</tbody>", "</table></div>", f"<p>{_e(word(lang, 'stv_note'))}</p>"]
    return lines


def _question_section(
    index: int, question: Question, outcome: QuestionResult, lang: str, weight: int
) -> list[str]:
    if isinstance(question, (GradesQuestion, RankingQuestion)):
        return _mixnet_question_section(index, question, outcome, lang)
    heading_id = f"q{index}"
    question_title = text_in(question.title, lang)
    rows = _question_bars(question, outcome, lang, weight)
    budget = question if isinstance(question, BudgetQuestion) else None
    parts = [
        f'<section class="question" aria-labelledby="{heading_id}">',
        f'<h2 id="{heading_id}">{_e(question_title)}</h2>',
    ]
    if budget is not None:
        parts.append(
            '<p class="budget">'
            + _e(word(lang, "budget_line", budget=number(lang, budget.budget),
                      spent=number(lang, outcome.spent or 0), count=len(outcome.winners)))
            + "</p>"
        )  # fmt: skip
    bars = [
        Bar(label, votes, _figure_text(lang, votes, share, funded), funded is True)
        for label, votes, share, funded in rows
    ]
    parts += [
        "<figure>",
        bar_chart(
            f"chart-{index}",
            word(lang, "chart_title", question=question_title),
            bars,
            colon=word(lang, "colon"),
        ),
        f"<figcaption>{_e(word(lang, 'chart_note'))}</figcaption>",
        "</figure>",
        *_votes_table(lang, question_title, rows, budget, outcome),
    ]
    if budget is not None:
        parts += _budget_part(index, lang, question_title, budget, outcome)
    parts.append("</section>")
    return parts


def _votes_table(
    lang: str,
    question_title: str,
    rows: Sequence[tuple[str, int, str, bool | None]],
    budget: BudgetQuestion | None,
    outcome: QuestionResult,
) -> list[str]:
    head = [word(lang, "project" if budget else "option"), word(lang, "votes")]
    if rows and rows[0][2]:
        head.append(word(lang, "share"))
    if budget is not None:
        head += [word(lang, "cost"), word(lang, "funded")]
    costs = [] if budget is None else [option.cost or 0 for option in budget.options]
    lines = [
        '<div class="table-wrap"><table>',
        f"<caption>{_e(word(lang, 'table_caption', question=question_title))}</caption>",
        "<thead><tr>" + "".join(f'<th scope="col">{_e(h)}</th>' for h in head) + "</tr></thead>",
        "<tbody>",
    ]
    for index, (label, votes, share, funded) in enumerate(rows):
        cells = [f'<td class="num">{_e(number(lang, votes))}</td>']
        if share:
            cells.append(f'<td class="num">{_e(share)}</td>')
        if budget is not None:
            cost = number(lang, costs[index]) if index < len(costs) else ""
            mark = "" if funded is None else word(lang, "yes" if funded else "no")
            cells += [f'<td class="num">{_e(cost)}</td>', f"<td>{_e(mark)}</td>"]
        lines.append(f'<tr><th scope="row">{_e(label)}</th>{"".join(cells)}</tr>')
    lines += ["</tbody>", "</table></div>"]
    return lines


def _budget_part(
    index: int, lang: str, question_title: str, budget: BudgetQuestion, outcome: QuestionResult
) -> list[str]:
    """The funded projects against the budget: each project's cost, then the total spent."""
    by_id = {option.id: option for option in budget.options}
    bars = [
        Bar(text_in(by_id[project].label, lang), by_id[project].cost or 0,
            word(lang, "of_budget", spent=number(lang, by_id[project].cost or 0),
                 budget=number(lang, budget.budget)), True)
        for project in outcome.winners
    ]  # fmt: skip
    spent = outcome.spent or 0
    bars.append(
        Bar(word(lang, "total_spent"), spent,
            word(lang, "of_budget", spent=number(lang, spent), budget=number(lang, budget.budget)))
    )  # fmt: skip
    caption = word(lang, "budget_chart", question=question_title)
    rows = "".join(
        f'<tr><th scope="row">{_e(bar.label)}</th><td class="num">{_e(number(lang, bar.value))}'
        "</td></tr>"
        for bar in bars
    )
    return [
        f"<h3>{_e(caption)}</h3>",
        "<figure>",
        bar_chart(f"budget-{index}", caption, bars, scale=budget.budget, colon=word(lang, "colon")),
        f"<figcaption>{_e(word(lang, 'chart_note'))}</figcaption>",
        "</figure>",
        '<div class="table-wrap"><table>',
        f"<caption>{_e(word(lang, 'budget_table', question=question_title))}</caption>",
        f'<thead><tr><th scope="col">{_e(word(lang, "project"))}</th>'
        f'<th scope="col">{_e(word(lang, "cost"))}</th></tr></thead>',
        f"<tbody>{rows}</tbody>",
        "</table></div>",
    ]


def _audits_section(view: ElectionView, lang: str) -> list[str]:
    parts = [
        '<section aria-labelledby="audits">',
        f'<h2 id="audits">{_e(word(lang, "audits"))}</h2>',
        f"<p>{_e(word(lang, 'audits_intro'))}</p>",
    ]
    if not view.audits:
        return [*parts, f"<p>{_e(word(lang, 'no_audits'))}</p>", "</section>"]
    parts += [
        '<div class="table-wrap"><table>',
        f"<caption>{_e(word(lang, 'audits_caption'))}</caption>",
        f'<thead><tr><th scope="col">{_e(word(lang, "tracking_code"))}</th>'
        f'<th scope="col">{_e(word(lang, "position"))}</th>'
        f'<th scope="col">{_e(word(lang, "verdict"))}</th></tr></thead>',
        "<tbody>",
    ]
    for audit in view.audits:
        code = audit.tracking_code or word(lang, "undecodable")
        verdict = (
            word(lang, "audit_holds")
            if audit.error is None
            else word(lang, "audit_failed", error=audit.error)
        )
        css = "holds" if audit.holds else "failed"
        parts.append(
            f'<tr><th scope="row"><code>{_e(code)}</code></th>'
            f'<td class="num">{_e(number(lang, audit.position))}</td>'
            f'<td class="{css}">{_e(verdict)}</td></tr>'
        )
    parts += ["</tbody>", "</table></div>", "</section>"]
    return parts


def _verify_section(view: ElectionView, lang: str, links: PageLinks) -> list[str]:
    command = f"evote verify record.tar.gz --fingerprint {view.fingerprint.hex()}"
    if view.last_checkpoint is not None:
        command += " --checkpoint checkpoint.json"
    downloads = [
        f'<li><a class="download" href="{_e(links.record)}">'
        f"{_e(word(lang, 'download_record'))}</a></li>"
    ]
    if links.open_data is not None:
        downloads.append(
            f'<li><a href="{_e(links.open_data)}">{_e(word(lang, "open_data"))}</a></li>'
        )
    return [
        '<section aria-labelledby="anchors">',
        f'<h2 id="anchors">{_e(word(lang, "anchors"))}</h2>',
        f"<p>{_e(word(lang, 'anchors_intro'))}</p>",
        f'<ul class="downloads">{"".join(downloads)}</ul>',
        f"<p>{_e(word(lang, 'verify_command'))}</p>",
        f'<pre class="command"><code>{_e(command)}</code></pre>',
        *_checkpoint_section(view, lang, links),
        "</section>",
    ]


def render_results_page(
    view: ElectionView, lang: str = "en", links: PageLinks | None = None
) -> str:
    """The results page: every question's counts as a chart and a table, a budget's funded
    projects against the budget, the turnout, the anchors in full with the checkpoint file and
    the record to download, the audited ballots and the tracking-code lookup."""
    lang = check_language(lang)
    links = links or PageLinks.served(view.election_id)
    title = _title(view, lang)
    body = [f'<h1>{_e(title)} <span class="subtitle">{_e(word(lang, "page_results"))}</span></h1>']
    result = view.result
    if result is None:
        body += [
            f"<p>{_e(word(lang, 'no_result'))}</p>",
            f'<p><a href="{_e(_link(links.status, lang))}">{_e(word(lang, "to_status"))}</a></p>',
        ]
        return _document(lang, f"{title} – {word(lang, 'page_results')}", links, body)
    turnout = [
        (word(lang, "ballots_counted"),
         f'<span class="count">{_e(number(lang, result.turnout.ballots))}</span>'),
        (word(lang, "total_weight"),
         f'<span class="count">{_e(number(lang, result.turnout.weight))}</span>'),
    ]  # fmt: skip
    body += [
        '<section aria-labelledby="turnout">',
        f'<h2 id="turnout">{_e(word(lang, "turnout"))}</h2>',
        _dl(turnout + _state_facts(view, lang, "ballot_entries")[3:], "facts turnout"),
        "</section>",
    ]
    for index, (question, outcome) in enumerate(
        zip(view.manifest.questions, result.questions, strict=True), start=1
    ):
        body += _question_section(index, question, outcome, lang, result.turnout.weight)
    body += _verify_section(view, lang, links)
    body += _audits_section(view, lang)
    body += _lookup_section(view, lang, links)
    return _document(lang, f"{title} – {word(lang, 'page_results')}", links, body)


def render_lookup_page(
    view: ElectionView, answer: LookupAnswer | None, lang: str = "en",
    links: PageLinks | None = None,
) -> str:  # fmt: skip
    """The answer to a tracking-code lookup (``None``: no code typed yet), and the form again."""
    lang = check_language(lang)
    links = links or PageLinks.served(view.election_id)
    if answer is not None and links.lang_switch.startswith("?"):
        # The other language's page answers the same code.
        links = replace(links, lang_switch=links.lang_switch + "&code=" + quote(answer.typed))
    title = _title(view, lang)
    body = [f'<h1>{_e(title)} <span class="subtitle">{_e(word(lang, "page_lookup"))}</span></h1>']
    if answer is not None:
        if answer.status not in LOOKUP_STATES:
            raise InvalidInput(
                f"lookup status {answer.status!r}: expected one of {', '.join(LOOKUP_STATES)}"
            )
        key = "lookup_" + answer.status.replace("-", "_")
        code = answer.tracking_code or answer.typed
        position = "" if answer.position is None else number(lang, answer.position)
        css = "answer good" if answer.status == "counted" else "answer"
        body.append(
            f'<p class="{css}" role="status">'
            f"{_e(word(lang, key, code=code, position=position))}</p>"
        )
    body += [
        f"<p>{_e(word(lang, 'lookup_intro'))}</p>",
        *_lookup_form(view, lang, links, "" if answer is None else answer.typed),
        f'<p><a href="{_e(_link(links.results if view.result else links.status, lang))}">'
        f"{_e(word(lang, 'to_results' if view.result else 'to_status'))}</a></p>",
    ]
    return _document(lang, f"{title} – {word(lang, 'page_lookup')}", links, body)
