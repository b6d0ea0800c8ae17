# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""put_line takes a Python regexp; win_lineinfile compiles it with .NET's Regex: dotnet_regex bridges the two.

The emulator reads .NET syntax back (``winemu._python_regex``, which also rejects what .NET's parser rejects),
so each rewrite is checked both ways: .NET accepts it, and it matches the lines the Python original matches.
"""

from __future__ import annotations

import re
import string

import pytest
from winemu import _python_regex

from ansible_collections.conaktiv.server.plugins.plugin_utils._windows_host import dotnet_regex

# Characters re.escape escapes or leaves alone, and letters .NET counts as word characters.
TEXTS = [string.printable.strip(), '"run_id":"20261201T220000Z-crm1-ab12"', "Büro Müller & Söhne #1 (Kopie) [alt] {x} ~ä_ß",
         "ünïcödé ‿ ٣", "tab\there"]


def same_matches(python: str, lines: list[str]) -> None:
    dotnet = _python_regex(dotnet_regex(python))
    assert [bool(re.search(python, line)) for line in lines] == [bool(re.search(dotnet, line)) for line in lines], (python, dotnet)


@pytest.mark.parametrize("text", TEXTS)
def test_re_escape_output_is_read_by_dotnet_as_the_same_literal(text):
    escaped = re.escape(text)
    assert dotnet_regex(escaped) == escaped, "re.escape output needs no rewriting"
    assert re.search(_python_regex(dotnet_regex(escaped)), f"prefix {text} suffix")
    assert not re.search(_python_regex(dotnet_regex(escaped)), text[:-1] + "\x00")


@pytest.mark.parametrize("char", [char for char in string.punctuation + "_äéß٣‿" if char != "\\"])
def test_every_escape_python_accepts_is_valid_dotnet(char):
    """Hand-made or older escaping: \\_ and escaped non-ASCII letters are literals to Python, errors to .NET."""
    python = "a\\" + char + "b"
    re.compile(python)
    converted = _python_regex(dotnet_regex(python))
    assert re.search(converted, f"xa{char}bx") and not re.search(converted, "ab")


def test_the_dotnet_parser_model_rejects_what_net_rejects():
    with pytest.raises(ValueError, match=re.escape('parsing "a\\_b" - Unrecognized escape sequence \\_.')):
        _python_regex("a\\_b")
    with pytest.raises(ValueError, match="Unrecognized escape sequence \\\\ü"):
        _python_regex("\\ü")
    with pytest.raises(ValueError, match="Illegal"):
        _python_regex("a\\")


@pytest.mark.parametrize("python, dotnet", [
    ("(?P<key>a+)-(?P=key)", "(?<key>a+)-\\k<key>"),
    ("end\\Z", "end\\z"),
    ("a{,3}b{2}c{2,}d{1,2}e{,}", "a{0,3}b{2}c{2,}d{1,2}e{0,}"),
    ("x{}y{a}z{", "x\\{}y\\{a}z\\{"),
    ("[-[a]z[b-d[]", "[-\\[a]z[b-d\\[]"),
    ("[]a][^]b]", "[]a][^]b]"),
    ("(?i)^run_id=(?:a|b)*?$", "(?i)^run_id=(?:a|b)*?$"),
    ("(?<=x)y(?!z)", "(?<=x)y(?!z)"),
])
def test_rewrites(python, dotnet):
    assert dotnet_regex(python) == dotnet


@pytest.mark.parametrize("python, lines", [
    ("(?P<key>a+)-(?P=key)", ["aa-aa", "aa-a", "a-aa"]),
    ("end\\Z", ["the end", "end of it", "the end\n"]),
    ("^a{,3}$", ["", "aaa", "aaaa", "a{,3}"]),
    ("x{}y{a}z{", ["x{}y{a}z{", "xy"]),
    ("[-[a]z[b-d[]", ["[zb", "-z[", "az-", "bzc"]),
    ("[]a]+[^]b]", ["]]c", "ab", "a]"]),
    ("(?i)^RUN_id=(?:a|b)*?$", ["run_id=abba", "run_id=abc"]),
])
def test_rewritten_patterns_match_what_the_python_ones_match(python, lines):
    same_matches(python, lines)


@pytest.mark.parametrize("python, problem", [
    ("a++", "possessive"),
    ("a{2}+", "possessive"),
    ("(?a)\\w", "inline flag a"),
    ("(?L)x", "not a regular expression"),
    ("\\U0001F600", "no \\\\U escape"),
    ("\\N{EM DASH}", "no \\\\N escape"),
    ("(unclosed", "not a regular expression"),
])
def test_what_dotnet_cannot_say_is_refused(python, problem):
    with pytest.raises(ValueError, match=problem):
        dotnet_regex(python)
