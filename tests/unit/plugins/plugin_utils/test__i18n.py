# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""German and English phrases with their plurals."""

from __future__ import annotations

import pytest

from ansible_collections.conaktiv.server.plugins.plugin_utils._i18n import duration, in_minutes, minutes_until, people, text


@pytest.mark.parametrize(("seconds", "de", "en"), [
    (0, "in wenigen Sekunden", "in a few seconds"), (44, "in wenigen Sekunden", "in a few seconds"), (45, "in einer Minute", "in 1 minute"),
    (60, "in einer Minute", "in 1 minute"), (61, "in 2 Minuten", "in 2 minutes"), (900, "in 15 Minuten", "in 15 minutes"),
])
def test_in_minutes_rounds_up_and_says_the_plural(seconds: float, de: str, en: str):
    assert in_minutes(seconds, "de") == de and in_minutes(seconds, "en") == en


def test_minutes_until_rounds_up():
    assert [minutes_until(s) for s in (0, 1, 60, 61, 899.5)] == [0, 1, 1, 2, 15]


@pytest.mark.parametrize(("seconds", "de", "en"), [
    (0, "0 Sekunden", "0 seconds"), (1, "1 Sekunde", "1 second"), (65, "1 Minute 5 Sekunden", "1 minute 5 seconds"),
    (900, "15 Minuten", "15 minutes"), (3600, "1 Stunde", "1 hour"), (7320, "2 Stunden 2 Minuten", "2 hours 2 minutes"),
])
def test_durations_are_spelled_out(seconds: float, de: str, en: str):
    assert duration(seconds, "de") == de and duration(seconds, "en") == en


def test_people_name_at_most_five():
    assert people(["anna"], "de") == "1 Benutzer (anna)" and people(["anna"], "en") == "1 user (anna)"
    many = [f"u{n}" for n in range(7)]
    assert people(many, "de") == "7 Benutzer (u0, u1, u2, u3, u4 und 2 weitere)"
    assert people(many, "en") == "7 users (u0, u1, u2, u3, u4 and 2 more)"


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="language must be one of de, en, not 'fr'"):
        text("drain_done", "fr", host="h", waited="1 s")
