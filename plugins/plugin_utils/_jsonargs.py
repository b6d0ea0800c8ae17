# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The texts ansible-core rewrites in a JSON-arguments module it sends, and the check that keeps them out of the arguments.

ansible-core (executor/module_common.py, module substyle "jsonargs") writes the arguments into the module twice, as a
comment line and as a Python bytes literal, and only then replaces the SELinux and JSON-arguments markers and the syslog
facility everywhere in the file, in the arguments just written too. An argument holding one of them would be changed on
the way, or end the bytes literal and run as Python on the host: conaktiv.server.host_command and host_request refuse
such arguments before the call (their action plugins, and the POSIX adapter, which calls the modules directly).
"""

from __future__ import annotations

import collections.abc as c
import typing as t

from ansible.errors import AnsibleActionFail
from ansible.executor.module_common import REPLACER_COMPLEX, REPLACER_JSONARGS, REPLACER_SELINUX, REPLACER_VERSION
from ansible.plugins.action import ActionBase

#: Every text the jsonargs branch of module_common replaces (the version and the arguments marker too, which are replaced
#: before the arguments are in: refusing them costs nothing and survives a change of that order).
REWRITTEN_BY_ANSIBLE = tuple(marker.strip(b'"').decode("ascii")
                             for marker in (REPLACER_VERSION, REPLACER_COMPLEX, REPLACER_SELINUX, REPLACER_JSONARGS)) + ("syslog.LOG_USER",)


def rewritten_text(value: t.Any) -> str | None:
    """The first text of :data:`REWRITTEN_BY_ANSIBLE` found anywhere in ``value`` (strings, mapping keys and values, lists)."""
    if isinstance(value, str):
        return next((marker for marker in REWRITTEN_BY_ANSIBLE if marker in value), None)
    if isinstance(value, c.Mapping):
        items: c.Iterable[t.Any] = [*value.keys(), *value.values()]
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        return None
    return next((found for found in map(rewritten_text, items) if found), None)


def refusal(module: str, marker: str) -> str:
    """The message for arguments of ``module`` that hold ``marker`` (the argument itself is not shown: it may be a secret)."""
    return (f"refusing to call {module}: an argument holds {marker!r}, which ansible-core rewrites in the module it sends "
            "(the argument would change on the way, or run as code on the host)")


class JsonArgsAction(ActionBase):
    """The action in front of a JSON-arguments module of this collection when a playbook calls it: the arguments validated
    against the module's own spec, the check above, then the module itself (which answers check mode with "skipped")."""

    MODULE = ""
    ARGUMENT_SPEC: dict[str, t.Any] = {}
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp: t.Any = None, task_vars: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        del tmp  # unused since ansible-core 2.x
        result = super().run(task_vars=task_vars)
        try:
            _validated, args = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC)
        except AnsibleActionFail as exc:
            return {**result, "failed": True, "changed": False, "msg": str(exc.message)}
        marker = rewritten_text(args)
        if marker:
            return {**result, "failed": True, "changed": False, "msg": refusal(self.MODULE, marker)}
        result.update(self._execute_module(module_name=self.MODULE, module_args=args, task_vars=task_vars))
        return result
