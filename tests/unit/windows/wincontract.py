# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The real argument specs of the installed ansible.windows / community.windows modules, and a validator.

Two sources, both read from the installed collections:

* the module documentation (``DOCUMENTATION`` of the ``.py`` stub or the ``.yml`` sidecar), with its doc
  fragments merged: option names, aliases, types, elements, choices, required, suboptions;
* the PowerShell implementation (``.ps1``): the ``$spec`` hashtable of ``Ansible.Basic`` modules (options,
  choices, ``mutually_exclusive``, ``required_one_of``, ``required_together``, ``required_if``) or the
  ``Get-AnsibleParam`` calls of legacy modules (names, types, ``-validateset``, ``-failifempty``), which the
  documentation does not carry. Where both name choices, the implementation wins (it is what runs).

``validate()`` checks one call with ``ArgumentSpecValidator`` built from both.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import pathlib
import re
import typing as t

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.utils.plugin_docs import get_docstring

_TYPE_MAP = {"path": "str", "sid": "str", None: "raw"}


class ContractViolation(AssertionError):
    """A module call that the real module would reject (or that uses an undocumented option)."""


@dataclasses.dataclass(frozen=True)
class Ps1Spec:
    """What the PowerShell implementation declares."""

    style: str  # "basic" (Ansible.Basic $spec) or "legacy" (Get-AnsibleParam)
    options: dict[str, dict[str, t.Any]]
    constraints: dict[str, list[t.Any]]
    supports_check_mode: bool


# -- finding the installed files ------------------------------------------------------------------------
# Ansible's plugin loader needs its collection finder installed before anything imports ``ansible_collections``;
# in a pytest run the collection is imported through sys.path first, so files and fragments are found directly.


class DocFragments:
    """A fragment loader that imports doc fragments under the names Ansible's fragment loader uses."""

    def get(self, name: str) -> type | None:
        """The fragment class for ``name`` (``ansible.windows.web_request``), or None so that Ansible tries it without a variant."""
        namespace, collection, fragment = (name.split(".", 2) + ["", ""])[:3]
        package = "ansible.plugins.doc_fragments." if name.startswith("ansible.builtin.") else \
            f"ansible_collections.{namespace}.{collection}.plugins.doc_fragments."
        try:
            module = importlib.import_module(package + fragment)
        except ImportError:
            return None
        return type("ModuleDocFragment", (module.ModuleDocFragment,), {"ansible_name": name})


def module_file(fqcn: str, suffixes: tuple[str, ...]) -> pathlib.Path:
    """The first installed file of module ``fqcn`` with one of ``suffixes`` (e.g. .py / .yml documentation)."""
    namespace, collection, name = fqcn.split(".")
    roots = [pathlib.Path(entry) for entry in importlib.import_module("ansible_collections").__path__]
    for root in roots:
        for suffix in suffixes:
            candidate = root / namespace / collection / "plugins" / "modules" / f"{name}{suffix}"
            if candidate.is_file():
                return candidate
    raise LookupError(f"{fqcn}: no {'/'.join(suffixes)} file in {roots}")


@functools.lru_cache(maxsize=None)
def _docstring(fqcn: str) -> tuple[t.Any, ...]:
    path = module_file(fqcn, (".py", ".yml", ".yaml"))
    collection = ".".join(fqcn.split(".")[:2])
    return tuple(get_docstring(str(path), fragment_loader=DocFragments(), collection_name=collection, is_module=True))


def documentation(fqcn: str) -> dict[str, t.Any]:
    """The module's DOCUMENTATION with doc fragments merged (what ansible-doc shows)."""
    doc = _docstring(fqcn)[0]
    if not doc or "options" not in doc:
        raise LookupError(f"{fqcn}: the documentation has no options")
    return doc


def returns(fqcn: str) -> dict[str, t.Any]:
    """The documented RETURN values of the module."""
    return _docstring(fqcn)[2] or {}


def ps1_path(fqcn: str) -> pathlib.Path:
    """The installed PowerShell implementation of a module."""
    return module_file(fqcn, (".ps1",))


# -- a reader for PowerShell hashtable / array literals -----------------------------------------------

_TOKEN = re.compile(r"""
    (?P<block><\#.*?\#>) | (?P<comment>\#[^\n]*) | (?P<newline>\n) | (?P<space>[ \t\r]+)
  | (?P<squote>'(?:[^']|'')*') | (?P<dquote>"(?:[^"`]|`.)*")
  | (?P<open>@\{|@\(|\{|\() | (?P<close>[})]) | (?P<type>\[[\w.\[\]`, ]+\](?:::\w+)?)
  | (?P<punct>[,;=]) | (?P<variable>\$[\w:]+) | (?P<number>-?\d+(?:\.\d+)?) | (?P<word>[\w.\-]+)
""", re.VERBOSE | re.DOTALL)


class _Var(str):
    """A PowerShell variable reference (its value is unknown here)."""


def _tokens(text: str) -> list[tuple[str, str]]:
    found = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise ValueError(f"cannot read PowerShell near {text[position:position + 40]!r}")
        position = match.end()
        kind = match.lastgroup or ""
        if kind not in ("block", "comment", "space"):
            found.append((kind, match.group()))
    return found


class _Reader:
    """Recursive descent over the tokens of one hashtable literal (the subset module specs use)."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.index = tokens, 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.index] if self.index < len(self.tokens) else ("end", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.index += 1
        return token

    def skip_separators(self) -> None:
        while self.peek()[0] == "newline" or self.peek()[1] == ";":
            self.index += 1

    def hashtable(self) -> dict[str, t.Any]:
        table: dict[str, t.Any] = {}
        while True:
            self.skip_separators()
            kind, text = self.take()
            if text == "}":
                return table
            key = text.strip("'\"") if kind in ("squote", "dquote", "word") else text
            if self.take()[1] != "=":
                raise ValueError(f"expected '=' after key {key!r}")
            table[key] = self.expression()

    def array(self) -> list[t.Any]:
        items: list[t.Any] = []
        while True:
            self.skip_separators()
            if self.peek()[1] == ")":
                self.index += 1
                return items
            value = self.expression()
            # @( ... ) collects its statements' output and unrolls one level of array.
            items.extend(value if isinstance(value, list) else [value])

    def expression(self) -> t.Any:
        unary = self.peek()[1] == ","
        if unary:
            self.index += 1
        values = [self.term()]
        while self.peek()[1] == ",":
            self.index += 1
            while self.peek()[0] == "newline":
                self.index += 1
            values.append(self.term())
        return values if unary or len(values) > 1 else values[0]

    def term(self) -> t.Any:
        kind, text = self.take()
        if kind == "type":
            # A cast such as [uint32]5, or a static value such as [int]::MaxValue.
            return self.term() if "::" not in text and self.peek()[0] not in ("newline", "punct", "close") else text
        if text == "@{" or text == "{":
            return self.hashtable()
        if text in ("@(", "("):
            return self.array()
        if kind == "squote":
            return text[1:-1].replace("''", "'")
        if kind == "dquote":
            return re.sub(r"`(.)", r"\1", text[1:-1])
        if kind == "number":
            return float(text) if "." in text else int(text)
        if kind == "variable":
            return {"$true": True, "$false": False, "$null": None}.get(text.lower(), _Var(text))
        return text


def read_hashtable(text: str, start: int) -> dict[str, t.Any]:
    """The hashtable literal beginning with ``@{`` at ``text[start]``."""
    tokens = _tokens(text[start:])
    if tokens[0][1] != "@{":
        raise ValueError("no hashtable literal at the given position")
    return _Reader(tokens[1:]).hashtable()


def _hashtable_end(text: str, start: int) -> int:
    """Index just after the ``}`` closing the ``@{`` at ``start`` (strings and comments respected)."""
    depth, position = 0, start
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise ValueError(f"cannot read PowerShell near {text[position:position + 40]!r}")
        position = match.end()
        if match.lastgroup == "open":
            depth += 1
        elif match.lastgroup == "close":
            depth -= 1
            if depth == 0:
                return position
    raise ValueError("unterminated hashtable")


def _basic_spec(text: str) -> dict[str, t.Any]:
    start = text.index("$spec = @{") + len("$spec = ")
    return read_hashtable(text[:_hashtable_end(text, start)], start)


def _web_request_options() -> dict[str, t.Any]:
    """The option fragment Get-AnsibleWindowsWebRequestSpec adds (ansible.windows module_utils)."""
    psm1 = ps1_path("ansible.windows.win_uri").parents[1] / "module_utils" / "WebRequest.psm1"
    text = psm1.read_text(encoding="utf-8")
    function = text.index("Function Get-AnsibleWindowsWebRequestSpec")
    start = text.index("@{", text.index("#>", function))
    return read_hashtable(text[:_hashtable_end(text, start)], start)["options"]


_LEGACY = re.compile(r"Get-AnsibleParam\s+(?:-obj\s+)?\$params\s+(?:-name\s+)?[\"'](?P<name>\w+)[\"'](?P<rest>[^\n]*)")


def _legacy_options(text: str) -> dict[str, dict[str, t.Any]]:
    options: dict[str, dict[str, t.Any]] = {}
    for match in _LEGACY.finditer(text):
        rest = match["rest"]
        option: dict[str, t.Any] = {}
        if kind := re.search(r"-type\s+[\"'](\w+)[\"']", rest):
            option["type"] = kind.group(1)
        if values := re.search(r"-validateset\s+((?:[\"'][^\"']*[\"']\s*,?\s*)+)", rest):
            option["choices"] = re.findall(r"[\"']([^\"']*)[\"']", values.group(1))
        if aliases := re.search(r"-aliases\s+((?:[\"'][^\"']*[\"']\s*,?\s*)+)", rest):
            option["aliases"] = re.findall(r"[\"']([^\"']*)[\"']", aliases.group(1))
        if re.search(r"-failifempty\s+\$true", rest):
            option["required"] = True
        if not match["name"].startswith("_ansible_") and match["name"] != "_diff_peek":
            options[match["name"]] = option
    return options


@functools.lru_cache(maxsize=None)
def ps1_spec(fqcn: str) -> Ps1Spec:
    """The argument spec the PowerShell implementation declares."""
    text = ps1_path(fqcn).read_text(encoding="utf-8-sig")
    if "$spec = @{" in text:
        spec = _basic_spec(text)
        options = dict(spec.get("options") or {})
        if "Get-AnsibleWindowsWebRequestSpec" in text:
            for name, option in _web_request_options().items():
                options[name] = {**option, **options.get(name, {})}
        constraints = {key: spec[key] for key in ("mutually_exclusive", "required_one_of", "required_together", "required_if", "required_by")
                       if key in spec}
        return Ps1Spec("basic", options, constraints, bool(spec.get("supports_check_mode")))
    supports = bool(re.search(r"Parse-Args\s+(?:-arguments\s+)?\$args\s+-supports_check_mode\s+\$true", text))
    return Ps1Spec("legacy", _legacy_options(text), {}, supports)


# -- the validator ------------------------------------------------------------------------------------


def _validator_option(doc_option: dict[str, t.Any], ps1_option: dict[str, t.Any] | None) -> dict[str, t.Any]:
    """One option for ArgumentSpecValidator from its documentation and (when known) its implementation."""
    kind = doc_option.get("type")
    option: dict[str, t.Any] = {"type": _TYPE_MAP.get(kind, kind)}
    if doc_option.get("elements"):
        option["elements"] = _TYPE_MAP.get(doc_option["elements"], doc_option["elements"])
    if doc_option.get("required"):
        option["required"] = True
    aliases = set(doc_option.get("aliases") or []) | set((ps1_option or {}).get("aliases") or [])
    if aliases:
        option["aliases"] = sorted(aliases)
    if ps1_option is not None and "choices" in ps1_option:
        option["choices"] = list(ps1_option["choices"])
    elif ps1_option is None and doc_option.get("choices") and not any("*" in str(choice) for choice in doc_option["choices"]):
        # "*regex*" in a doc's choices is a placeholder for free text, not a value.
        option["choices"] = list(doc_option["choices"])
    if doc_option.get("suboptions"):
        option["options"] = {name: _validator_option(sub, None) for name, sub in doc_option["suboptions"].items()}
    if doc_option.get("default") is not None:
        option["default"] = doc_option["default"]
    return option


@functools.lru_cache(maxsize=None)
def validator_spec(fqcn: str) -> tuple[dict[str, t.Any], dict[str, list[t.Any]], Ps1Spec]:
    """The ArgumentSpecValidator spec and constraints of a module."""
    doc_options = documentation(fqcn)["options"]
    implementation = ps1_spec(fqcn)
    spec = {name: _validator_option(option, implementation.options.get(name)) for name, option in doc_options.items()}
    for name, option in implementation.options.items():
        if option.get("required") and name in spec:
            spec[name]["required"] = True
    return spec, dict(implementation.constraints), implementation


def validate(fqcn: str, args: dict[str, t.Any], *, internal: bool = False) -> dict[str, t.Any]:
    """Check one call against the module's real spec; return the parameters as the module sees them.

    ``internal`` marks a call built by the collection's own action plugin (win_copy): it may use the
    implementation's undocumented internal options (``_copy_mode``, ``files``, ...), which legacy modules read
    with Get-AnsibleParam and otherwise ignore.
    """
    spec, constraints, implementation = validator_spec(fqcn)
    given = {key: value for key, value in args.items() if not key.startswith("_ansible_")}
    extra = {key: value for key, value in given.items() if key not in spec and not _is_alias(spec, key)}
    if extra and not (internal and implementation.style == "legacy"):
        raise ContractViolation(f"{fqcn}: unsupported option(s) {sorted(extra)}; documented: {sorted(spec)}")
    checked = {key: value for key, value in given.items() if key not in extra}
    validator = ArgumentSpecValidator(spec, **constraints)
    result = validator.validate(checked)
    if result.error_messages:
        raise ContractViolation(f"{fqcn}: {'; '.join(result.error_messages)} (args: {sorted(checked)})")
    return {**result.validated_parameters, **extra}


def _is_alias(spec: dict[str, t.Any], key: str) -> bool:
    return any(key in (option.get("aliases") or []) for option in spec.values())
