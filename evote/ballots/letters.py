"""Credential letters fit to post, as a PDF: one A4 page per voter and language.

A letter carries the organiser's name, the voter's postal address (placed for a window
envelope), the code in large monospace type with its check character, the election's title, the
voting address, the opening and closing dates, how to vote, how to check one's ballot with its
tracking code, and that the code must stay secret. An election in two languages gives each
voter one page per language (French first: print them on both sides of one sheet). The
large-print variant has the same content in bigger type; a letter that does not fit its page
goes on to the next, which repeats the voter's reference. The layout is docs/spec.md
section 7.6.

The PDF uses the 14 standard fonts (Helvetica, Courier) in WinAnsiEncoding (Windows-1252), which
every PDF reader has: nothing is embedded, pages stay small and fast to write. Windows-1252 has
the French letters, the guillemets, the typographic apostrophe and quotes; a name or an address
with a character outside it is printed with its accents dropped where that gives a Windows-1252
letter (ő -> o), and refused otherwise (:func:`printable`), rather than printed as a blank box.

Names and addresses go to the letters only: nothing here logs or keeps them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO, Final

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from evote.ballots.credentials import LETTER_LANGUAGES, parse_credential_code
from evote.errors import InvalidInput

ENCODING: Final = "cp1252"
"""What the standard PDF fonts print (WinAnsiEncoding): names outside it are transliterated."""

MAX_ADDRESS_LINES: Final = 6
"""Lines in the address block, the name included (a window envelope, AFNOR NF Z 10-011)."""

MAX_LINE_CHARACTERS: Final = 60
"""Characters in one line of the address block."""

EXAMPLE_TRACKING_CODE: Final = "A4P0-BEY8-AGXN-K7FP-T6YFM"

_FONT: Final = "Helvetica"
_BOLD: Final = "Helvetica-Bold"
_MONO: Final = "Courier-Bold"
_PAGE_WIDTH, _PAGE_HEIGHT = A4
_MARGIN: Final = 20 * mm
_ADDRESS_LEFT: Final = 110 * mm  # a right-hand window (C5, C4, DL envelopes)
_ADDRESS_TOP: Final = 50 * mm
# Letters without a Windows-1252 form that NFKD does not reduce to one.
_FALLBACK: Final = {"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "ħ": "h", "Ħ": "H"}


@dataclass(frozen=True, slots=True)
class TypeSizes:
    """Font sizes and leading (points) of one variant."""

    organiser: float
    small: float
    address: float
    body: float
    heading: float
    code: float
    code_label: float
    leading: float


NORMAL: Final = TypeSizes(13, 8.5, 11, 10, 11, 24, 10, 13)
LARGE: Final = TypeSizes(17, 13, 15, 16, 17, 32, 15, 20.5)


def printable(text: str, where: str) -> str:
    """``text`` in Windows-1252: accents dropped where needed (Nguyễn -> Nguyen), else refused.

    InvalidInput names ``where`` and the character, never the rest of the text (a voter's name
    must not reach a log).
    """
    out: list[str] = []
    for character in text:
        if unicodedata.category(character).startswith("C"):
            raise InvalidInput(f"{where}: control character {character!r} in a letter")
        if _encodable(character):
            out.append(character)
            continue
        base = "".join(
            part
            for part in unicodedata.normalize("NFKD", character)
            if not unicodedata.combining(part)
        )
        base = _FALLBACK.get(character, base)
        if not base or not all(_encodable(part) for part in base):
            raise InvalidInput(
                f"{where}: the character {character!r} (U+{ord(character):04X}) cannot be"
                " printed on a letter; write it in Latin letters"
            )
        out.append(base)
    return "".join(out)


def _encodable(character: str) -> bool:
    try:
        character.encode(ENCODING)
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who a letter goes to: the voter's id, and the name and address lines (printable text)."""

    voter_id: str
    name: str | None = None
    address: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        lines = self.block()
        if len(lines) > MAX_ADDRESS_LINES:
            raise InvalidInput(
                f"{len(lines)} address lines with the name, at most"
                f" {MAX_ADDRESS_LINES} fit a window envelope"
            )
        for number, line in enumerate(lines, start=1):
            printable(line, f"address line {number}")
            if len(line) > MAX_LINE_CHARACTERS:
                raise InvalidInput(
                    f"address line {number} has {len(line)}"
                    f" characters, at most {MAX_LINE_CHARACTERS}"
                )

    def block(self) -> tuple[str, ...]:
        """The lines of the address block: the name (if any) then the address."""
        return ((self.name,) if self.name else ()) + self.address


@dataclass(frozen=True, slots=True)
class LetterSettings:
    """What every letter of an election shares.

    ``title`` maps languages to the election's title (the manifest's); ``languages`` are the
    letter's, in order; ``organiser`` and ``vote_url`` are printed when given.
    """

    title: Mapping[str, str]
    opens: datetime
    closes: datetime
    languages: tuple[str, ...]
    organiser: str | None = None
    vote_url: str | None = None
    revote_allowed: bool = True

    def __post_init__(self) -> None:
        if not self.languages or any(lang not in LETTER_LANGUAGES for lang in self.languages):
            raise InvalidInput(
                f"letter languages {self.languages!r}: expected some of"
                f" {', '.join(LETTER_LANGUAGES)}"
            )
        if not self.title:
            raise InvalidInput("letter: the election has no title")
        for moment in (self.opens, self.closes):
            if moment.utcoffset() is None:
                raise InvalidInput("letter: the opening and closing dates need a timezone")
        if self.organiser is not None:
            printable(self.organiser, "--organiser")
        if self.vote_url is not None:
            printable(self.vote_url, "--vote-url")
        for lang, title in self.title.items():
            printable(title, f"manifest.title.{lang}")

    def title_in(self, lang: str) -> str:
        return self.title.get(lang) or next(iter(self.title.values()))


def letter_languages(
    manifest_languages: Sequence[str], forced: str | None = None
) -> tuple[str, ...]:
    """The letter's languages: ``forced`` alone, else the manifest's, French first if there."""
    if forced is not None:
        if forced not in LETTER_LANGUAGES:
            raise InvalidInput(f"--lang {forced!r}: expected one of {', '.join(LETTER_LANGUAGES)}")
        return (forced,)
    known = [lang for lang in manifest_languages if lang in LETTER_LANGUAGES]
    if not known:
        return ("en",)
    return tuple(sorted(dict.fromkeys(known), key=lambda lang: lang != "fr"))


# -- dates --------------------------------------------------------------------------------

_DAYS: Final = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
}
_MONTHS: Final = {
    "en": (
        "January", "February", "March", "April", "May", "June", "July", "August",
        "September", "October", "November", "December",
    ),
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
        "septembre", "octobre", "novembre", "décembre",
    ),
}  # fmt: skip


def utc_offset(moment: datetime) -> str:
    """``UTC``, ``UTC+2``, ``UTC-3:30``: the moment's offset, as short as it reads."""
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def format_moment(moment: datetime, lang: str) -> str:
    """A date and time in the letter's language, in the moment's own offset (no zone)."""
    day = _DAYS[lang][moment.weekday()]
    month = _MONTHS[lang][moment.month - 1]
    if lang == "fr":
        number = "1er" if moment.day == 1 else str(moment.day)
        return (
            f"{day} {number} {month} {moment.year} à {moment.hour}\u00a0h\u00a0{moment.minute:02d}"
        )
    return f"{day} {moment.day} {month} {moment.year} at {moment.hour:02d}:{moment.minute:02d}"


def format_period(opens: datetime, closes: datetime, lang: str) -> str:
    """``du … au … (UTC+2)`` / ``from … to … (UTC+2)``, each offset shown once."""
    first, last = format_moment(opens, lang), format_moment(closes, lang)
    if utc_offset(opens) != utc_offset(closes):
        first += f" ({utc_offset(opens)})"
    if lang == "fr":
        return f"du {first} au {last} ({utc_offset(closes)})"
    return f"from {first} to {last} ({utc_offset(closes)})"


# -- texts --------------------------------------------------------------------------------

NBSP: Final = "\u00a0"


@dataclass(frozen=True, slots=True)
class _Block:
    """A run of text: a heading, a paragraph, a numbered item or the voting address."""

    kind: str  # "heading", "paragraph", "item", "url"
    text: str
    label: str = ""


def _texts(settings: LetterSettings, lang: str, check: str) -> list[_Block]:
    """The language's section of a letter; ``check`` is the code's check character."""
    title = settings.title_in(lang)
    period = format_period(settings.opens, settings.closes, lang)
    url = settings.vote_url
    organiser = settings.organiser
    if lang == "fr":
        whom = "l’organisateur du vote" + (f" ({organiser})" if organiser else "")
        blocks = [
            _Block("heading", f"Objet{NBSP}: votre code de vote pour «{NBSP}{title}{NBSP}»"),
            _Block("paragraph", "Madame, Monsieur,"),
            _Block(
                "paragraph",
                f"Vous êtes invité(e) à voter pour «{NBSP}{title}{NBSP}». Le vote a lieu en ligne"
                f" {period}" + (f", à l’adresse suivante{NBSP}:" if url else "."),
            ),
        ]
        if url:
            blocks.append(_Block("url", url))
        again = (
            " Vous pouvez voter à nouveau jusqu’à la clôture{NBSP}: seul votre dernier vote"
            " compte.".replace("{NBSP}", NBSP)
            if settings.revote_allowed
            else ""
        )
        blocks += [
            _Block("heading", "Comment voter"),
            _Block(
                "item",
                "Rendez-vous à l’adresse ci-dessus et suivez les indications."
                if url
                else "Rendez-vous sur le site de vote de l’élection et suivez les indications.",
                "1.",
            ),
            _Block(
                "item",
                "Saisissez le code de vote ci-dessus lorsqu’il vous est demandé. Majuscules ou"
                " minuscules, tirets et espaces n’ont pas d’importance, et le code ne contient"
                f" jamais les lettres I, L, O et U. Son dernier caractère ({check}) sert de"
                f" contrôle{NBSP}: une faute de frappe vous est signalée aussitôt.",
                "2.",
            ),
            _Block("item", "Faites vos choix, puis validez votre vote." + again, "3."),
            _Block(
                "item",
                f"Notez le code de suivi qui s’affiche alors (par exemple {EXAMPLE_TRACKING_CODE})"
                f"{NBSP}: il désigne votre bulletin chiffré sans révéler votre choix.",
                "4.",
            ),
            _Block("heading", "Vérifier votre bulletin"),
            _Block(
                "paragraph",
                "Avec ce code de suivi, vous pouvez vérifier sur le site de vote, pendant le"
                " scrutin puis après la publication des résultats, que votre bulletin figure"
                " dans l’urne et qu’il a été compté. Personne ne peut en déduire pour qui vous"
                " avez voté.",
            ),
            _Block("heading", "Gardez ce code secret"),
            _Block(
                "paragraph",
                "Toute personne qui connaît ce code peut voter à votre place. Ne le montrez à"
                " personne, ne l’envoyez pas par courriel et ne le communiquez jamais, même à"
                " quelqu’un qui vous le demande au nom des organisateurs. Personne ne peut le"
                f" retrouver pour vous{NBSP}: en cas de perte, adressez-vous à {whom}.",
            ),
        ]
        return blocks
    whom = "the organiser of the vote" + (f" ({organiser})" if organiser else "")
    blocks = [
        _Block("heading", f"Subject: your voting code for “{title}”"),
        _Block("paragraph", "Dear voter,"),
        _Block(
            "paragraph",
            f"You are invited to vote in “{title}”. Voting takes place online {period}"
            + (", at the following address:" if url else "."),
        ),
    ]
    if url:
        blocks.append(_Block("url", url))
    again = (
        " You may vote again until voting closes: only your last vote counts."
        if settings.revote_allowed
        else ""
    )
    blocks += [
        _Block("heading", "How to vote"),
        _Block(
            "item",
            "Go to the address above and follow the instructions."
            if url
            else "Go to the election’s voting website and follow the instructions.",
            "1.",
        ),
        _Block(
            "item",
            "Enter the voting code above when asked. Upper or lower case, dashes and spaces do"
            " not matter, and the code never contains the letters I, L, O or U. Its last"
            f" character ({check}) is a check character: a typing mistake is reported at once.",
            "2.",
        ),
        _Block("item", "Make your choices, then confirm your vote." + again, "3."),
        _Block(
            "item",
            f"Write down the tracking code then shown (for example {EXAMPLE_TRACKING_CODE}): it"
            " identifies your encrypted ballot without revealing your choice.",
            "4.",
        ),
        _Block("heading", "Checking your ballot"),
        _Block(
            "paragraph",
            "With this tracking code you can check on the voting website, while voting is open"
            " and after the results are published, that your ballot is in the ballot box and"
            " was counted. Nobody can tell from it how you voted.",
        ),
        _Block("heading", "Keep this code secret"),
        _Block(
            "paragraph",
            "Anyone who knows this code can vote in your place. Do not show it to anyone, do not"
            " send it by e-mail, and never give it to anyone, even someone who asks for it in"
            " the name of the organisers. Nobody can recover it for you: if you lose it, contact"
            f" {whom}.",
        ),
    ]
    return blocks


_CODE_LABEL: Final = {"en": "Your voting code", "fr": "Votre code de vote"}
_REFERENCE: Final = {"en": "Voter reference: ", "fr": f"Référence électeur{NBSP}: "}
_CONTINUED: Final = {"en": "continued", "fr": "suite"}


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy line breaking at ordinary spaces (a no-break space holds its words together)."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if current and stringWidth(candidate, font, size) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


# -- pages ----------------------------------------------------------------------------------

#: A prepared line: (font, size, x, y offset below the section's top, text).
_Line = tuple[str, float, float, float, str]


class LetterWriter:
    """Writes letters to a PDF: per voter, one letter per language, each on its own page(s).

    The texts shared by every letter are laid out once per language and check character (the
    only part of the text that depends on the code); a page then costs its address block and
    its code.
    """

    def __init__(self, stream: BinaryIO, settings: LetterSettings, large_print: bool) -> None:
        self.settings = settings
        self.sizes = LARGE if large_print else NORMAL
        self.large_print = large_print
        self.pages = 0
        self._canvas = Canvas(stream, pagesize=A4, pageCompression=1, invariant=1)
        self._canvas.setTitle(printable(settings.title_in(settings.languages[0]), "title"))
        self._canvas.setCreator("evote credentials generate")
        self._prepared: dict[tuple[str, str], list[str]] = {}
        sizes = self.sizes
        # The address block keeps room for its longest form, so that the rest stays in place.
        self._code_box_top = (
            _PAGE_HEIGHT - _ADDRESS_TOP - MAX_ADDRESS_LINES * sizes.address * 1.25 - 6 * mm
        )
        box_height = sizes.code_label + sizes.code + 8 * mm
        self._code_baseline = self._code_box_top - box_height + 3.5 * mm
        self._text_top = self._code_box_top - box_height - 7 * mm

    def add(self, recipient: Recipient, code: str) -> None:
        """The letter of one voter: ``code`` is checked and printed in canonical form."""
        canonical = parse_credential_code(code)
        for lang in self.settings.languages:
            self._page(recipient, canonical, lang)

    def close(self) -> None:
        self._canvas.save()

    def _page(self, recipient: Recipient, code: str, lang: str) -> None:
        canvas, sizes = self._canvas, self.sizes
        forms = self._forms(lang, code[-1])
        reference = _REFERENCE[lang] + recipient.voter_id
        canvas.doForm(forms[0])
        canvas.setFont(_FONT, sizes.small)
        canvas.drawString(_MARGIN, _PAGE_HEIGHT - 18 * mm - sizes.organiser - 2, reference)
        canvas.setFont(_FONT, sizes.address)
        y = _PAGE_HEIGHT - _ADDRESS_TOP
        for line in recipient.block():
            canvas.drawString(_ADDRESS_LEFT, y, printable(line, ""))
            y -= sizes.address * 1.25
        canvas.setFont(_MONO, sizes.code)
        canvas.drawCentredString(_PAGE_WIDTH / 2, self._code_baseline, code)
        canvas.showPage()
        self.pages += 1
        for form in forms[1:]:  # the letter goes on over the page
            canvas.doForm(form)
            canvas.setFont(_FONT, sizes.small)
            canvas.drawString(_MARGIN, _PAGE_HEIGHT - 15 * mm, f"{reference} ({_CONTINUED[lang]})")
            canvas.showPage()
            self.pages += 1

    def _forms(self, lang: str, check: str) -> list[str]:
        """The PDF forms (XObjects) of a letter's fixed parts, drawn once and shared by pages.

        The first holds the organiser, the code's frame and label and the start of the text;
        any other, the text that goes on over the page. A page then draws only its voter's
        reference, address and code: pages stay small and quick to write.
        """
        key = (lang, check)
        if key in self._prepared:
            return self._prepared[key]
        canvas, sizes = self._canvas, self.sizes
        names: list[str] = []
        lines = self._layout(lang, check)
        name = f"letter-{lang}-{check}-{len(names)}"
        canvas.beginForm(name)
        if self.settings.organiser:
            canvas.setFont(_BOLD, sizes.organiser)
            canvas.drawString(
                _MARGIN, _PAGE_HEIGHT - 18 * mm, printable(self.settings.organiser, "")
            )
        canvas.setLineWidth(1.2)
        box_top = self._code_box_top
        height = box_top - self._text_top - 7 * mm
        canvas.roundRect(_MARGIN, box_top - height, _PAGE_WIDTH - 2 * _MARGIN, height, 3 * mm)
        canvas.setFont(_FONT, sizes.code_label)
        canvas.drawCentredString(
            _PAGE_WIDTH / 2, box_top - 3 * mm - sizes.code_label, _CODE_LABEL[lang]
        )
        y, shift = self._text_top, 0.0
        for font, size, x, offset, text in lines:
            if y - offset + shift < _MARGIN:
                canvas.endForm()
                names.append(name)
                name = f"letter-{lang}-{check}-{len(names)}"
                canvas.beginForm(name)
                shift = _PAGE_HEIGHT - 15 * mm - 2 * sizes.leading - (y - offset)
            canvas.setFont(font, size)
            canvas.drawString(x, y - offset + shift, text)
        canvas.endForm()
        names.append(name)
        self._prepared[key] = names
        return names

    def _layout(self, lang: str, check: str) -> list[_Line]:
        sizes = self.sizes
        width = _PAGE_WIDTH - 2 * _MARGIN
        indent = 6 * mm if not self.large_print else 9 * mm
        lines: list[_Line] = []
        offset = 0.0
        for block in _texts(self.settings, lang, check):
            text = printable(block.text, f"letter text ({lang})")
            if block.kind == "heading":
                offset += sizes.leading * 0.45
                for line in wrap(text, _BOLD, sizes.heading, width):
                    lines.append((_BOLD, sizes.heading, _MARGIN, offset, line))
                    offset += sizes.leading * sizes.heading / sizes.body
            elif block.kind == "url":
                for line in wrap(text, _MONO, sizes.body + 1, width - indent):
                    lines.append((_MONO, sizes.body + 1, _MARGIN + indent, offset, line))
                    offset += sizes.leading
                offset += sizes.leading * 0.3
            elif block.kind == "item":
                lines.append((_BOLD, sizes.body, _MARGIN, offset, block.label))
                for line in wrap(text, _FONT, sizes.body, width - indent):
                    lines.append((_FONT, sizes.body, _MARGIN + indent, offset, line))
                    offset += sizes.leading
                offset += sizes.leading * 0.2
            else:
                for line in wrap(text, _FONT, sizes.body, width):
                    lines.append((_FONT, sizes.body, _MARGIN, offset, line))
                    offset += sizes.leading
                offset += sizes.leading * 0.3
        return lines


def write_letters(
    stream: BinaryIO,
    settings: LetterSettings,
    letters: Iterator[tuple[Recipient, str]],
    large_print: bool = False,
) -> int:
    """Write every letter to ``stream`` as one PDF; return the number of pages."""
    writer = LetterWriter(stream, settings, large_print)
    for recipient, code in letters:
        writer.add(recipient, code)
    writer.close()
    return writer.pages
