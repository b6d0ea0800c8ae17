# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every PowerShell snippet of the Windows adapter is parsed by a real PowerShell grammar (tree-sitter-powershell).

No PowerShell runs here; the grammar catches what the emulator cannot: an unbalanced brace, a broken string, a
statement PowerShell would not parse. The grammar does not know every valid construct (``switch -regex`` fails), so
the snippets stay plain.
"""

from __future__ import annotations

import pytest
import tree_sitter
import tree_sitter_powershell
from winemu import _declared_parameters

from ansible_collections.conaktiv.server.plugins.plugin_utils import _windows_host as winhost

PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
NAMES = {script: name for name, script in vars(winhost).items() if name.endswith("_SCRIPT") and script in winhost.SCRIPTS}


def problems(script: str) -> list[str]:
    """The ERROR and MISSING nodes of the parse tree, with their line and text."""
    found: list[str] = []
    pending = [PARSER.parse(script.encode("utf-8")).root_node]
    while pending:
        node = pending.pop()
        if node.type == "ERROR" or node.is_missing:
            kind = f"missing {node.type}" if node.is_missing else "error"
            found.append(f"line {node.start_point[0] + 1}: {kind} at {node.text.decode('utf-8', 'replace')[:60]!r}")
        pending.extend(node.children)
    return found


def parameters(script: str) -> list[str]:
    """The variable names the param() block of the parse tree declares."""
    root = PARSER.parse(script.encode("utf-8")).root_node
    blocks = [child for child in root.children if child.type == "param_block"]
    assert len(blocks) == 1, "one param() block, first"
    names, pending = [], [blocks[0]]
    while pending:
        node = pending.pop(0)
        if node.type == "script_parameter":
            names += [child.text.decode()[1:] for child in node.children if child.type == "variable"]
        pending.extend(node.children)
    return names


@pytest.mark.parametrize("script", winhost.SCRIPTS, ids=lambda script: NAMES.get(script, "?"))
def test_every_snippet_parses_without_errors(script):
    assert not problems(script)
    assert sorted(parameters(script)) == sorted(_declared_parameters(script)), "the emulator reads the same param() block"


@pytest.mark.parametrize("broken", [
    "param([string]$Path\n$x = 1\n",
    "param([string]$Path)\ntry { [System.IO.File]::Open($Path, [System.IO.FileMode]::CreateNew).Dispose()\n",
    "param([string]$Path)\n$Ansible.Result = @{ created = }\n",
])
def test_the_grammar_finds_broken_snippets(broken):
    assert problems(broken)


def test_every_snippet_has_a_name():
    assert len(NAMES) == len(winhost.SCRIPTS)
