# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for conaktiv.server.backup: the server's online backup, a command, or an archive."""

from __future__ import annotations

import datetime
import re
import typing as t

from ansible_collections.conaktiv.server.plugins.plugin_utils._backup_names import backup_name, our_backups
from ansible_collections.conaktiv.server.plugins.plugin_utils._control import Control
from ansible_collections.conaktiv.server.plugins.plugin_utils._host import Access, Host
from ansible_collections.conaktiv.server.plugins.plugin_utils._naming import validate_folder_name
from ansible_collections.conaktiv.server.plugins.plugin_utils._options import CONTROL_OPTION, SERVICE_OPTION
from ansible_collections.conaktiv.server.plugins.plugin_utils._phase import PhaseAction, PhaseFailed
from ansible_collections.conaktiv.server.plugins.plugin_utils._run_journal import JOURNAL_OPTION
from ansible_collections.conaktiv.server.plugins.plugin_utils._runner import ModuleFailed
from ansible_collections.conaktiv.server.plugins.plugin_utils._service import check_service_settings, service_state

ARGUMENT_SPEC: dict[str, t.Any] = {
    **CONTROL_OPTION,
    **SERVICE_OPTION,
    **JOURNAL_OPTION,
    "state": {"type": "str", "choices": ["present", "restored"], "default": "present"},
    "path": {"type": "str"},
    "method": {"type": "str", "choices": ["server", "command", "archive"], "default": "server"},
    "label": {"type": "str", "default": "pre"},
    "version": {"type": "str"},
    "backup_dir": {"type": "str"},
    "server_path": {"type": "str"},
    "data_path": {"type": "str"},
    "command": {"type": "list", "elements": "str"},
    "keep": {"type": "int", "default": 5},
    "max_age": {"type": "int", "default": 0},
    "owner": {"type": "str", "default": ""},
    "group": {"type": "str", "default": ""},
}
REQUIRED_IF = [
    ["state", "present", ["version"]],
    ["state", "restored", ["path", "data_path"]],
    ["method", "archive", ["backup_dir", "server_path", "data_path"]],
    ["method", "command", ["backup_dir", "command"]],
]

# Kept here for callers of the module's namespace (tests, older code).


class ActionModule(PhaseAction):
    """Make a backup named by label, version and time; keep the newest ``keep``."""

    ARGUMENT_SPEC = ARGUMENT_SPEC
    REQUIRED_IF = REQUIRED_IF
    JOURNAL_KEYS = ("path", "sha256", "size", "method", "label", "replaced_data")
    # A backup of a large CRM (or its restore) may take hours.
    LEASE_S = 4 * 3600.0

    def execute(self, host: Host, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        if not re.fullmatch(r"[A-Za-z0-9_]+", args["label"]):
            raise PhaseFailed(f"label {args['label']!r} may only contain letters, digits and '_'")
        control = Control(host, args.get("control"))
        if args["state"] == "restored":
            return self._restore(host, args, control)
        now = datetime.datetime.now()
        name = backup_name(args["label"], args["version"], now)
        reused = self._recent(host, args, now) if args["max_age"] > 0 and args.get("backup_dir") else None
        if reused:
            return {"changed": False, **reused, "msg": f"reusing the recent backup {reused['path']}"}
        if args["method"] == "archive":
            self._require_stopped(host, args, control)
        if self._task.check_mode:
            return {"changed": True, "msg": f"would make a {args['method']} backup {name}"}
        expected = None
        # The backup is the whole CRM: its owner (the server's service user where root can give it away) and the group only.
        access = Access(owner=args["owner"], group=args["group"], owner_from=args.get("server_path") or "")
        if args["method"] == "server":
            reply = control.backup(args["label"])
            made = str(reply.get("path") or "")
            if not made:
                raise PhaseFailed(f"the server's online backup returned no path: {reply}")
            expected = reply.get("sha256")
            target = host.join(args.get("backup_dir") or host.parent(made), name)
        elif args["method"] == "command":
            made = target = self._command_backup(host, args, name, access)
        else:
            made = target = host.join(args["backup_dir"], name)
            host.make_private_dir(args["backup_dir"], access)
            host.make_zip([args["data_path"], host.join(args["server_path"], "Server Database")], target)
        done = {"changed": True, "path": target, "method": args["method"], "label": args["label"], "msg": f"backup written to {target}"}
        try:
            # One round trip on POSIX: checked, moved into the backup folder, older backups removed, and the journal's done
            # written with the size and checksum the host found.
            settled = host.settle_backup(made, target, expected, args["keep"],
                                         journal=self.journal_bracket(done=done, numbers={"size": "size"}, strings={"sha256": "sha256"}),
                                         access=access)
        except ModuleFailed as exc:
            raise PhaseFailed(exc.msg.replace("the backup did not produce", f"the {args['method']} backup did not produce")) from None
        result = {**done, "size": settled.size, "sha256": settled.sha256, "removed": settled.removed, "access": settled.access}
        return {**result, "warnings": settled.warnings} if settled.warnings else result

    @staticmethod
    def _command_backup(host: Host, args: dict[str, t.Any], name: str, access: Access) -> str:
        target = host.join(args["backup_dir"], name)
        host.make_private_dir(args["backup_dir"], access)
        argv = [part.replace("{path}", target).replace("{label}", args["label"]).replace("{version}", args["version"])
                for part in args["command"]]
        result = host.run(argv)
        if result.rc != 0:
            raise PhaseFailed(f"the backup command exited {result.rc}: {(result.stderr or result.stdout).strip()[-500:]}")
        return target

    def _restore(self, host: Host, args: dict[str, t.Any], control: Control) -> dict[str, t.Any]:
        """Put the data folder back from a backup; the replaced data is kept as ``<data>_failedNNNN``."""
        self._require_stopped(host, args, control)
        data, backup = args["data_path"], args["path"]
        parent, name = host.parent(data), host.name(data)
        if not host.stat(backup).exists:
            raise PhaseFailed(f"cannot restore: the backup {backup} does not exist")
        names = host.list_dir(parent)
        kept = next(f"{name}_failed{n:04d}" for n in range(1, 10000)
                    if not any(host.same_name(entry, f"{name}_failed{n:04d}") for entry in names))
        if self._task.check_mode:
            return {"changed": True, "path": backup, "msg": f"would restore {data} from {backup}"}
        scratch = host.join(parent, f"{name}.restore")
        if any(host.same_name(entry, host.name(scratch)) for entry in names):
            host.remove(scratch)
        host.make_dir(scratch)
        host.unpack(backup, scratch)
        if not any(host.same_name(entry, name) for entry in host.list_dir(scratch)):
            host.remove(scratch)
            raise PhaseFailed(f"the backup {backup} holds no folder {name!r}; the data folder was left as it is")
        replaced = None
        warnings: list[str] = []
        if any(host.same_name(entry, name) for entry in names):
            # The server runs as its service user: the restored data must be its, as the data it replaces was (POSIX).
            warnings = host.take_access_of(host.join(scratch, name), data)
            replaced = host.join(parent, kept)
            host.rename(data, replaced)
        host.rename(host.join(scratch, name), data)
        host.remove(scratch)
        result = {"changed": True, "path": backup, "replaced_data": replaced, "msg": f"restored {data} from {backup}"}
        return {**result, "warnings": warnings} if warnings else result

    @staticmethod
    def _require_stopped(host: Host, args: dict[str, t.Any], control: Control) -> None:
        settings = check_service_settings(args.get("service"))
        if service_state(host, settings) not in ("stopped", "absent", "unknown") or (control.enabled and control.status() is not None):
            what = "a restore" if args["state"] == "restored" else "an archive backup"
            raise PhaseFailed(f"{what} is only consistent while the server is stopped"
                              + ("" if args["state"] == "restored" else "; use method 'server' while it runs"))
        if settings["manager"] == "none" and not control.enabled:
            raise PhaseFailed("an archive backup or a restore needs service or control set, to make sure the server is stopped")

    def _recent(self, host: Host, args: dict[str, t.Any], now: datetime.datetime) -> dict[str, t.Any] | None:
        """A backup with the same label and version younger than ``max_age``."""
        wanted_version = re.sub(r"[^A-Za-z0-9._]+", "_", args["version"])
        for name, match in reversed(our_backups(host.list_dir(args["backup_dir"]))):
            if match["label"] != args["label"] or match["version"] != wanted_version:
                continue
            taken = datetime.datetime.strptime(match["stamp"], "%Y%m%d-%H%M%S")
            if (now - taken).total_seconds() <= args["max_age"]:
                path = host.join(args["backup_dir"], validate_folder_name(name))
                found = host.stat(path, checksum_algorithm="sha256")
                return {"path": path, "size": found.size, "sha256": found.checksum, "method": args["method"], "label": args["label"]}
        return None
