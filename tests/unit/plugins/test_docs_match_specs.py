# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The documentation stubs in plugins/modules say exactly what the action plugins accept and return.

For every phase the DOCUMENTATION (fragments merged, as ansible-doc shows it) is compared option by
option, down into suboptions, with the action plugin's ARGUMENT_SPEC. EXAMPLES must parse, call only
``conaktiv.server.*`` / ``ansible.builtin.*`` and pass the argument specs; RETURN must parse.
The checkers are also run against deliberately broken copies, so they are known to catch mismatches.
"""

from __future__ import annotations

import copy
import functools
import importlib
import json
import os
import re
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.playbook.block import Block
from ansible.playbook.task import Task

COLLECTION = "conaktiv.server"
REPO = Path(__file__).resolve().parents[3]
MODULE_DIR = REPO / "plugins" / "modules"
ACTION_DIR = REPO / "plugins" / "action"
PHASES = ("info", "stage", "backup", "service", "swap", "structure_update", "notify")
# Modules that run on the host themselves: no documentation stub but the module (checked by ansible-test sanity against its
# AnsibleModule spec); their action plugins only guard the arguments.
HOST_MODULES = ("host_command", "host_request")
# Action plugins added after the phases are checked as soon as their stub exists (a missing stub fails
# test_every_action_plugin_has_a_stub); the phases are always checked.
MODULES = tuple(sorted(set(PHASES) | {path.stem for path in ACTION_DIR.glob("*.py")
                                      if not path.stem.startswith("_") and (MODULE_DIR / path.name).is_file()} - set(HOST_MODULES)))
ALLOWED_PREFIXES = ("conaktiv.server.", "ansible.builtin.")
SECRET_NAME = re.compile(r"password|token", re.IGNORECASE)
COMPARED_KEYS = ("type", "required", "default", "choices", "elements", "aliases")
REQUIRED_ATTRIBUTES = ("action", "async", "check_mode", "diff_mode", "platform")
# Keys of a task or block that are not the module to call.
TASK_KEYWORDS = frozenset(Task.fattributes) | frozenset(Block.fattributes) | {"local_action"}
BLOCK_SECTIONS = ("block", "rescue", "always")
# plugin_utils/_phase.py PhaseAction.run adds these to every phase's result.
ALWAYS_RETURNED = ("started", "duration_s", "remote_calls")
# Result keys Ansible itself interprets (a list under "skipped" marks the task skipped): never a module's own return value.
RESERVED_RESULT_KEYS = frozenset({"changed", "failed", "skipped", "unreachable", "diff", "invocation", "ansible_facts",
                                  "warnings", "deprecations", "exception"})
WINDOWS_PATH = re.compile(r"^[A-Za-z]:\\")
# What ansible-test sanity (validate-modules) accepts as an author line.
AUTHOR_LINE = re.compile(r"^\w.*(\(@([\w-]+)\)|!UNKNOWN)(?![\w.])")

Spec = dict[str, t.Any]


# -- loading --------------------------------------------------------------------------------------


class DocFragments:
    """Finds doc fragments by importing them, under the names Ansible's fragment loader uses.

    Ansible's own loader needs its collection finder installed before anything imports
    ``ansible_collections``; in a full pytest run other tests import the collection first through
    sys.path, so the fragments are found here instead. test_loaded_docs_equal_ansible_doc proves
    the result is what ansible-doc shows.
    """

    PACKAGES = {"conaktiv.server.": "ansible_collections.conaktiv.server.plugins.doc_fragments.",
                "ansible.builtin.": "ansible.plugins.doc_fragments."}

    def get(self, name: str) -> type | None:
        """The fragment class for ``name`` (e.g. ``conaktiv.server.common``), or None so that Ansible tries ``name`` minus a variable."""
        for prefix, package in self.PACKAGES.items():
            if name.startswith(prefix):
                try:
                    module = importlib.import_module(package + name[len(prefix):])
                except ImportError:
                    return None
                return type("ModuleDocFragment", (module.ModuleDocFragment,), {"ansible_name": name})
        return None


def load_stub(path: Path) -> dict[str, t.Any]:
    """DOCUMENTATION (fragments merged), EXAMPLES (text) and RETURN (parsed) of a module stub."""
    # pylint: disable-next=import-outside-toplevel
    from ansible.utils.plugin_docs import get_docstring

    doc, examples, returns, dummy = get_docstring(str(path.resolve()), fragment_loader=DocFragments(),
                                                  collection_name=COLLECTION, is_module=True)
    return {"doc": doc, "examples": examples, "returns": returns}


def collections_path() -> Path:
    """The folder that holds ``ansible_collections/conaktiv/server`` (a symlink in .collections, or the checkout's own parents)."""
    local = REPO / ".collections"
    return local if (local / "ansible_collections").is_dir() else REPO.parents[2]


def argument_spec(module: str) -> Spec:
    """The ARGUMENT_SPEC of the action plugin behind ``conaktiv.server.<module>``."""
    return importlib.import_module(f"ansible_collections.conaktiv.server.plugins.action.{module}").ARGUMENT_SPEC


@functools.cache
def stub(module: str) -> dict[str, t.Any]:
    """The stub of ``conaktiv.server.<module>``, loaded once."""
    return load_stub(MODULE_DIR / f"{module}.py")


# -- checkers (each returns a list of problems; empty means fine) ----------------------------------


def _canonical(value: t.Any) -> str:
    """A comparable form that tells 1 from True and "5" from 5 (YAML-tagged types are plain subclasses)."""
    return json.dumps(value, sort_keys=True)


def _expected(spec_option: Spec) -> dict[str, t.Any]:
    """What the documentation of one option must say, with the argument spec's defaults filled in."""
    return {"type": spec_option.get("type", "str"), "required": bool(spec_option.get("required", False)),
            "default": spec_option.get("default"), "choices": spec_option.get("choices"),
            "elements": spec_option.get("elements"), "aliases": sorted(spec_option.get("aliases") or [])}


def _documented(doc_option: dict[str, t.Any]) -> dict[str, t.Any]:
    """The same fields as :func:`_expected`, read from the documentation of one option."""
    return {"type": doc_option.get("type"), "required": doc_option.get("required", False),
            "default": doc_option.get("default"), "choices": doc_option.get("choices"),
            "elements": doc_option.get("elements"), "aliases": sorted(doc_option.get("aliases") or [])}


def option_problems(doc_options: dict[str, t.Any] | None, spec: Spec, where: str = "") -> list[str]:
    """Differences between documented options and an argument spec, recursing into suboptions."""
    doc_options = doc_options or {}
    problems = [f"{where}{name}: in ARGUMENT_SPEC but not documented" for name in sorted(set(spec) - set(doc_options))]
    problems += [f"{where}{name}: documented but not in ARGUMENT_SPEC" for name in sorted(set(doc_options) - set(spec))]
    for name in sorted(set(spec) & set(doc_options)):
        path, doc_option, spec_option = f"{where}{name}", doc_options[name], spec[name]
        if not doc_option.get("description"):
            problems.append(f"{path}: has no description")
        if "type" not in doc_option:
            problems.append(f"{path}: the documentation does not state its type")
        wanted, found = _expected(spec_option), _documented(doc_option)
        problems += [f"{path}: {key} is {_canonical(found[key])} in the documentation but {_canonical(wanted[key])} in ARGUMENT_SPEC"
                     for key in COMPARED_KEYS if _canonical(found[key]) != _canonical(wanted[key])]
        sub_spec, sub_doc = spec_option.get("options"), doc_option.get("suboptions")
        if sub_spec is not None or sub_doc is not None:
            problems += option_problems(sub_doc, sub_spec or {}, f"{path}.")
    return problems


def secret_problems(spec: Spec, where: str = "") -> list[str]:
    """Options named like a password or token that are not marked no_log (recursing into suboptions)."""
    problems = []
    for name, option in spec.items():
        if SECRET_NAME.search(name) and not option.get("no_log"):
            problems.append(f"{where}{name}: looks like a secret but has no no_log in ARGUMENT_SPEC")
        problems += secret_problems(option.get("options") or {}, f"{where}{name}.")
    return problems


def _task_module(task: dict[str, t.Any]) -> tuple[str | None, t.Any, list[str]]:
    """The module a task calls, its arguments, and problems with its form."""
    if "action" in task or "local_action" in task:
        return None, None, [f"task {task.get('name')!r} uses action/local_action; write the module as the key"]
    modules = [key for key in task if key not in TASK_KEYWORDS and not str(key).startswith("with_")]
    if len(modules) != 1:
        return None, None, [f"task {task.get('name')!r} calls {len(modules)} modules ({', '.join(map(str, modules))}), not one"]
    return modules[0], task[modules[0]], []


def _tasks(items: t.Any) -> t.Iterator[dict[str, t.Any]]:
    """Every task in a task list, descending into block / rescue / always."""
    for item in items or []:
        if isinstance(item, dict) and any(section in item for section in BLOCK_SECTIONS):
            for section in BLOCK_SECTIONS:
                yield from _tasks(item.get(section))
        else:
            yield item


def _strings(value: t.Any) -> t.Iterator[str]:
    """Every string inside ``value``."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _templated(value: t.Any) -> bool:
    return isinstance(value, str) and "{{" in value


def _literal_only(args: dict[str, t.Any], spec: Spec) -> tuple[dict[str, t.Any], Spec]:
    """``args`` without templated values, and ``spec`` without ``required`` (templated values fill those at run time)."""
    kept, loose = {}, {}
    for name, value in args.items():
        if _templated(value):
            continue
        option = spec.get(name, {})
        if isinstance(value, dict) and option.get("options"):
            value, dummy = _literal_only(value, option["options"])
        kept[name] = value
    for name, option in spec.items():
        loose[name] = {key: item for key, item in option.items() if key != "required"}
        if option.get("options"):
            loose[name]["options"] = _literal_only({}, option["options"])[1]
    return kept, loose


def _missing_required(args: dict[str, t.Any], spec: Spec, where: str = "") -> list[str]:
    """Required options missing from example arguments (templated values count as given)."""
    problems = [f"{where}{name} is required but missing" for name, option in spec.items() if option.get("required") and name not in args]
    for name, option in spec.items():
        if option.get("options") and isinstance(args.get(name), dict):
            problems += _missing_required(args[name], option["options"], f"{where}{name}.")
    return problems


def argument_problems(module: str, args: t.Any, spec: Spec) -> list[str]:
    """Whether example arguments for ``module`` would pass its argument spec."""
    if not isinstance(args, dict):
        return [f"{module}: arguments must be a mapping, not {type(args).__name__}"]
    kept, loose = _literal_only(args, spec)
    errors = ArgumentSpecValidator(loose).validate(copy.deepcopy(kept)).error_messages
    return [f"{module}: {error}" for error in errors] + [f"{module}: {problem}" for problem in _missing_required(args, spec)]


def example_problems(module: str, examples: str | None, specs: dict[str, Spec]) -> list[str]:
    """EXAMPLES must parse, use allowed FQCNs only, call ``module`` and pass the argument specs."""
    try:
        tasks = yaml.safe_load(examples or "")
    except yaml.YAMLError as exc:
        return [f"EXAMPLES is not valid YAML: {exc}"]
    if not isinstance(tasks, list) or not tasks:
        return ["EXAMPLES is not a non-empty list of tasks"]
    problems: list[str] = []
    called = set()
    for task in _tasks(tasks):
        if not isinstance(task, dict):
            problems.append(f"EXAMPLES holds a {type(task).__name__}, not a task")
            continue
        if not task.get("name"):
            problems.append(f"a task in EXAMPLES has no name: {sorted(task)}")
        name, args, form = _task_module(task)
        problems += form
        if name is None:
            continue
        called.add(name)
        if not name.startswith(ALLOWED_PREFIXES):
            problems.append(f"{name}: only conaktiv.server.* and ansible.builtin.* modules may be used in EXAMPLES")
        elif name.startswith("conaktiv.server."):
            short = name.split(".", 2)[2]
            problems += argument_problems(name, args, specs[short]) if short in specs else [f"{name}: no such module"]
        problems += [f"{name}: Windows path {text!r} has doubled backslashes" for text in _strings(args) if WINDOWS_PATH.match(text) and "\\\\" in text]
    if f"{COLLECTION}.{module}" not in called:
        problems.append(f"EXAMPLES never call {COLLECTION}.{module}")
    return problems


def return_problems(returns: t.Any, where: str = "") -> list[str]:
    """RETURN parsed to a mapping whose entries each have a description, returned and type."""
    if not isinstance(returns, dict) or not returns:
        return [f"{where or 'RETURN'}: not a non-empty mapping"]
    problems = [f"{key}: is a result key Ansible interprets itself" for key in returns if not where and key in RESERVED_RESULT_KEYS]
    for key, entry in returns.items():
        if not isinstance(entry, dict):
            problems.append(f"{where}{key}: not a mapping")
            continue
        needed = ("description", "type") if where else ("description", "returned", "type")
        problems += [f"{where}{key}: has no {field}" for field in needed if not entry.get(field)]
        if entry.get("type") == "list" and "elements" not in entry and "contains" not in entry:
            problems.append(f"{where}{key}: a list without elements")
        if "contains" in entry:
            problems += return_problems(entry["contains"], f"{where}{key}.")
    return problems


def doc_problems(module: str, doc: dict[str, t.Any]) -> list[str]:
    """The DOCUMENTATION header: name, version, attributes and see-also entries."""
    problems = []
    if doc.get("module") != module:
        problems.append(f"module is {doc.get('module')!r}, not {module!r}")
    if str(doc.get("version_added")) != "0.1.0":
        problems.append(f"version_added is {doc.get('version_added')!r}, not 0.1.0")
    for field in ("short_description", "description", "author"):
        if not doc.get(field):
            problems.append(f"{field} is missing")
    authors = doc.get("author") or []
    problems += [f"author {line!r} is not 'Name (@github_handle)' or 'Name (!UNKNOWN)'"
                 for line in ([authors] if isinstance(authors, str) else authors) if not AUTHOR_LINE.search(str(line))]
    attributes = doc.get("attributes") or {}
    problems += [f"attribute {name} is not documented" for name in REQUIRED_ATTRIBUTES if name not in attributes]
    # ansible-test sanity wants description and support for each (the ansible.builtin.action_common_attributes fragments give them).
    for name, attribute in attributes.items():
        problems += [f"attribute {name} has no {field}" for field in ("description", "support") if not attribute.get(field)]
    if "platform" in attributes and not attributes["platform"].get("platforms"):
        problems.append("attribute platform names no platforms")
    # PhaseAction sets _supports_async = False: no module may claim async support.
    if (attributes.get("async") or {}).get("support") != "none":
        problems.append("attribute async must have support none (the action plugins refuse async)")
    for entry in doc.get("seealso") or []:
        target = entry.get("module")
        if target and target.count(".") < 2:
            problems.append(f"seealso {target!r} is not a FQCN")
        if target and target.startswith("conaktiv.server.") and target.split(".", 2)[2] not in MODULES:
            problems.append(f"seealso {target!r} does not exist")
    return problems


# -- the real stubs ---------------------------------------------------------------------------------


def _no_problems(problems: list[str]) -> None:
    """Fail with every problem on its own line (pytest would shorten a list)."""
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.mark.parametrize("module", MODULES)
def test_options_match_argument_spec(module: str) -> None:
    _no_problems(option_problems(stub(module)["doc"].get("options"), argument_spec(module)))


@pytest.mark.parametrize("module", MODULES)
def test_secrets_are_no_log(module: str) -> None:
    _no_problems(secret_problems(argument_spec(module)))


@pytest.mark.parametrize("module", MODULES)
def test_documentation_header(module: str) -> None:
    _no_problems(doc_problems(module, stub(module)["doc"]))


@pytest.mark.parametrize("module", MODULES)
def test_examples(module: str) -> None:
    specs = {name: argument_spec(name) for name in MODULES}
    _no_problems(example_problems(module, stub(module)["examples"], specs))


@pytest.mark.parametrize("module", MODULES)
def test_return(module: str) -> None:
    returns = stub(module)["returns"]
    _no_problems(return_problems(returns))
    # PhaseAction adds these to every result.
    _no_problems([f"{key} is not documented (PhaseAction returns it always)" for key in ALWAYS_RETURNED if key not in returns])


def _plain(value: t.Any) -> t.Any:
    """Plain JSON data (drops Ansible's YAML tags) for comparing."""
    return json.loads(json.dumps(value))


def test_loaded_docs_equal_ansible_doc(tmp_path: Path) -> None:
    """ansible-doc (its own plugin loader, in a fresh process) renders every stub, and shows what these tests check."""
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(collections_path()), "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
           "ANSIBLE_LOCAL_TEMP": str(tmp_path), "ANSIBLE_NOCOLOR": "1"}
    names = [f"{COLLECTION}.{module}" for module in MODULES]
    done = subprocess.run([sys.executable, "-m", "ansible.cli.doc", "--json", *names], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    for module, name in zip(MODULES, names):
        loaded = stub(module)
        assert _plain(shown[name]["doc"]["options"]) == _plain(loaded["doc"]["options"]), name
        assert _plain(shown[name]["doc"]["attributes"]) == _plain(loaded["doc"]["attributes"]), name
        assert _plain(shown[name]["return"]) == _plain(loaded["returns"]), name
        assert shown[name]["examples"] == loaded["examples"], name


def test_every_action_plugin_has_a_stub() -> None:
    actions = {path.stem for path in ACTION_DIR.glob("*.py") if not path.stem.startswith("_")} - set(HOST_MODULES)
    stubs = {path.stem for path in MODULE_DIR.glob("*.py") if not path.stem.startswith("_")} - set(HOST_MODULES)
    assert set(PHASES) <= actions
    assert sorted(actions - stubs) == [], "action plugins without a documentation stub in plugins/modules"
    assert sorted(stubs - actions) == [], "documentation stubs without an action plugin"
    for name in HOST_MODULES:
        assert "def main()" in (MODULE_DIR / f"{name}.py").read_text(encoding="utf-8"), f"{name} is a stub, not a module"
        assert "JsonArgsAction" in (ACTION_DIR / f"{name}.py").read_text(encoding="utf-8"), f"{name} is called without the guard"


# -- the checkers catch mismatches (broken copies in tmp_path; the real files stay untouched) ------


def _broken_copy(tmp_path: Path, module: str, old: str, new: str) -> dict[str, t.Any]:
    """Load a copy of ``module``'s stub with ``old`` replaced by ``new`` (which must occur exactly once)."""
    text = (MODULE_DIR / f"{module}.py").read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {module}.py for this test to mean anything"
    copy_path = tmp_path / f"{module}.py"
    copy_path.write_text(text.replace(old, new), encoding="utf-8")
    return load_stub(copy_path)


@pytest.mark.parametrize(("module", "old", "new", "expected"), [
    ("stage", "    type: int\n    default: 60\n", "    type: int\n    default: 61\n", "timeout: default"),
    ("stage", "    type: float\n    default: 0.1\n", "    type: float\n    default: '0.1'\n", "free_space_margin: default"),
    ("stage", "  force:\n    description:\n      - Stage again", "  forced:\n    description:\n      - Stage again", "force: in ARGUMENT_SPEC"),
    ("backup", "    choices: [server, command, archive]", "    choices: [server, archive]", "method: choices"),
    ("backup", "    type: int\n    default: 5\n", "    type: str\n    default: 5\n", "keep: type"),
    ("service", "    choices: [started, stopped, restarted]\n    required: true", "    choices: [started, stopped, restarted]",
     "state: required"),
    ("swap", "    elements: str\n    default: []\n", "    elements: path\n    default: []\n", "preserve_extra: elements"),
    ("stage", "    default: false\nattributes:", "    default: 0\nattributes:", "allow_cross_volume: default"),
    ("structure_update", "  log_lines:", "  log_lines:\n    description: Not in the spec.\n    type: int\n  log_count:",
     "log_count: documented but not"),
    ("notify", "        type: str\n        required: true\n      port:", "        type: str\n      port:", "smtp.host: required"),
    ("notify", "        choices: [starttls, ssl, none]", "        choices: [starttls, ssl]", "smtp.security: choices"),
    ("notify", "      ca_path:\n", "      cafile:\n", "smtp.ca_path: in ARGUMENT_SPEC"),
    ("notify", "    choices: [de, en]\n", "    choices: [de]\n", "language: choices"),
    ("info", "  - conaktiv.server.common\n  - conaktiv.server.common.control\n", "  - conaktiv.server.common.control\n",
     "server_path: in ARGUMENT_SPEC"),
])
def test_option_checker_catches_a_broken_copy(tmp_path: Path, module: str, old: str, new: str, expected: str) -> None:
    broken = _broken_copy(tmp_path, module, old, new)
    problems = option_problems(broken["doc"].get("options"), argument_spec(module))
    assert any(expected in problem for problem in problems), problems


def test_option_checker_catches_a_changed_spec() -> None:
    spec = copy.deepcopy(argument_spec("info"))
    spec["control"]["options"]["timeout"]["default"] = 31
    spec["history_count"]["required"] = True
    problems = option_problems(stub("info")["doc"]["options"], spec)
    assert any(problem.startswith("control.timeout: default") for problem in problems), problems
    assert any(problem.startswith("history_count: required") for problem in problems), problems


def test_secret_checker_catches_a_missing_no_log() -> None:
    spec = copy.deepcopy(argument_spec("notify"))
    del spec["smtp"]["options"]["password"]["no_log"]
    spec["api_token"] = {"type": "str"}
    assert sorted(secret_problems(spec)) == ["api_token: looks like a secret but has no no_log in ARGUMENT_SPEC",
                                             "smtp.password: looks like a secret but has no no_log in ARGUMENT_SPEC"]


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("  ansible.builtin.debug:\n", "  community.general.debug:\n", "only conaktiv.server.* and ansible.builtin.*"),
    ("  conaktiv.server.stage:\n    server_path: /opt", "  stage:\n    server_path: /opt", "only conaktiv.server.*"),
    ("    force: true\n", "    force: maybe\n", "force"),
    ("    free_space_margin: 0.25\n", "    free_space_margin: 0.25\n    overwrite: true\n", "overwrite"),
    ("    server_path: /opt/conaktiv/ConAktiv Server\n", "", "server_path is required but missing"),
    ("'D:\\ConAktiv\\ConAktiv Server'\n    version: 9.1.0\n    source: https",
     "'D:\\\\ConAktiv\\\\ConAktiv Server'\n    version: 9.1.0\n    source: https", "doubled backslashes"),
    ("- name: Show what was staged\n", "- name: Show what was staged\n  [broken\n", "not valid YAML"),
])
def test_example_checker_catches_a_broken_copy(tmp_path: Path, old: str, new: str, expected: str) -> None:
    broken = _broken_copy(tmp_path, "stage", old, new)
    specs = {name: argument_spec(name) for name in MODULES}
    problems = example_problems("stage", broken["examples"], specs)
    assert any(expected in problem for problem in problems), problems


def test_example_checker_looks_into_blocks() -> None:
    specs = {name: argument_spec(name) for name in MODULES}
    text = stub("swap")["examples"].replace("        state: rolled_back\n", "        state: rollback\n")
    assert text != stub("swap")["examples"]
    problems = example_problems("swap", text, specs)
    assert any("rollback" in problem for problem in problems), problems


def test_return_checker_catches_a_broken_copy(tmp_path: Path) -> None:
    broken = _broken_copy(tmp_path, "service", "      type: float\n      sample: 312.4\n", "      sample: 312.4\n")
    assert return_problems(broken["returns"]) == ["drain.waited_s: has no type"]


def test_unparsable_return_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="(?i)return|yaml|pars"):
        _broken_copy(tmp_path, "notify", "remote_calls:\n  description: Number", "remote_calls:\n  - description: [Number")


def test_return_checker_catches_a_reserved_key(tmp_path: Path) -> None:
    broken = _broken_copy(tmp_path, "swap", "not_present:\n  description:", "skipped:\n  description:")
    assert return_problems(broken["returns"]) == ["skipped: is a result key Ansible interprets itself"]


def test_header_checker_catches_a_broken_copy(tmp_path: Path) -> None:
    broken = _broken_copy(tmp_path, "backup", "  async:\n    support: none\n", "  async:\n    support: full\n")
    assert doc_problems("backup", broken["doc"]) == ["attribute async must have support none (the action plugins refuse async)"]
