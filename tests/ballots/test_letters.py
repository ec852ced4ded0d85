"""The letters' pieces (docs/spec.md section 7.6): dates, languages, printable names."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pypdf
import pytest

from evote.ballots.credentials import generate_credential_code
from evote.ballots.letters import (
    LetterSettings,
    Recipient,
    format_moment,
    format_period,
    letter_languages,
    printable,
    utc_offset,
    write_letters,
)
from evote.errors import InvalidCredential, InvalidInput

PARIS_SUMMER = timezone(timedelta(hours=2))
OPENS = datetime(2026, 6, 1, 8, 0, tzinfo=PARIS_SUMMER)
CLOSES = datetime(2026, 6, 14, 20, 5, tzinfo=PARIS_SUMMER)


def test_dates_in_each_language() -> None:
    assert format_moment(OPENS, "fr") == "lundi 1er juin 2026 à 8\xa0h\xa000"
    assert format_moment(CLOSES, "fr") == "dimanche 14 juin 2026 à 20\xa0h\xa005"
    assert format_moment(OPENS, "en") == "Monday 1 June 2026 at 08:00"
    assert format_period(OPENS, CLOSES, "en") == (
        "from Monday 1 June 2026 at 08:00 to Sunday 14 June 2026 at 20:05 (UTC+2)"
    )
    winter = datetime(2026, 11, 2, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    assert format_period(datetime(2026, 10, 20, 9, 30, tzinfo=PARIS_SUMMER), winter, "fr") == (
        "du mardi 20 octobre 2026 à 9\xa0h\xa030 (UTC+2) au lundi 2 novembre 2026 à 9\xa0h\xa030"
        " (UTC+1)"
    )


@pytest.mark.parametrize(
    ("offset", "shown"),
    [(0, "UTC"), (120, "UTC+2"), (-210, "UTC-3:30"), (345, "UTC+5:45")],
)
def test_utc_offset(offset: int, shown: str) -> None:
    moment = datetime(2026, 1, 1, tzinfo=timezone(timedelta(minutes=offset)))
    assert utc_offset(moment) == shown


def test_languages_french_first_unless_forced() -> None:
    assert letter_languages(["en", "fr"]) == ("fr", "en")
    assert letter_languages(["en", "de", "fr"]) == ("fr", "en")
    assert letter_languages(["de"]) == ("en",)
    assert letter_languages(["en", "fr"], "en") == ("en",)
    with pytest.raises(InvalidInput, match="--lang 'de'"):
        letter_languages(["en", "fr"], "de")


def test_printable_drops_accents_only_where_needed() -> None:
    assert printable("Zoë Lefèvre, l’Œuvre « B »", "name") == "Zoë Lefèvre, l’Œuvre « B »"
    assert printable("Nguyễn Łukasz Şahin", "name") == "Nguyen Lukasz Sahin"
    with pytest.raises(InvalidInput, match=r"^name: the character '王' \(U\+738B\)") as caught:
        printable("Wang 王小明", "name")
    assert "小明" not in str(caught.value)
    with pytest.raises(InvalidInput, match="control character"):
        printable("a\tb", "name")


def test_recipient_fits_a_window_envelope() -> None:
    assert Recipient("v1", "A", ("1", "2", "3", "4", "5")).block()[0] == "A"
    with pytest.raises(InvalidInput, match="7 address lines with the name, at most 6"):
        Recipient("v1", "A", ("1", "2", "3", "4", "5", "6"))
    with pytest.raises(InvalidInput, match="address line 2 has 61 characters"):
        Recipient("v1", "A", ("x" * 61,))


def _settings(**changes: object) -> LetterSettings:
    fields: dict[str, object] = {
        "title": {"fr": "Budget participatif", "en": "Participatory budget"},
        "opens": OPENS,
        "closes": CLOSES,
        "languages": ("fr", "en"),
    }
    fields.update(changes)
    return LetterSettings(**fields)  # type: ignore[arg-type]


def test_settings_refuse_what_cannot_be_printed() -> None:
    with pytest.raises(InvalidInput, match="letter languages"):
        _settings(languages=("de",))
    with pytest.raises(InvalidInput, match="timezone"):
        _settings(opens=OPENS.replace(tzinfo=None))
    with pytest.raises(InvalidInput, match="--organiser: the character"):
        _settings(organiser="市役所")


def test_letters_without_organiser_or_url_and_no_revote() -> None:
    stream = io.BytesIO()
    code = generate_credential_code()
    settings = _settings(revote_allowed=False)
    assert write_letters(stream, settings, iter([(Recipient("v1"), code)])) == 2
    french, english = (page.extract_text() for page in pypdf.PdfReader(stream).pages)
    assert code in french and code in english
    assert "site de vote de l’élection" in french and "voter à nouveau" not in french
    assert "election’s voting website" in english and "vote again" not in english
    assert "organiser of the vote." in english.replace("\n", " ")


def test_a_mistyped_code_is_not_printed() -> None:
    with pytest.raises(InvalidCredential):
        write_letters(io.BytesIO(), _settings(), iter([(Recipient("v1"), "0" * 19 + "1")]))
