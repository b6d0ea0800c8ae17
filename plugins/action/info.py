# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for conaktiv.server.info: facts about a ConAktiv server, changing nothing."""

from __future__ import annotations

import dataclasses
import datetime
import json
import typing as t

from ansible_collections.conaktiv.server.plugins.plugin_utils._control import Control
from ansible_collections.conaktiv.server.plugins.plugin_utils._history import last_records, parse_history
from ansible_collections.conaktiv.server.plugins.plugin_utils._host import Host
from ansible_collections.conaktiv.server.plugins.plugin_utils._journal import read_journal, summary
from ansible_collections.conaktiv.server.plugins.plugin_utils._naming import old_folders
from ansible_collections.conaktiv.server.plugins.plugin_utils._options import (
    COMMON_SPEC, CONTROL_OPTION, SERVICE_OPTION, Layout, layout)
from ansible_collections.conaktiv.server.plugins.plugin_utils._phase import PhaseAction
from ansible_collections.conaktiv.server.plugins.plugin_utils._preserve import preserve_list
from ansible_collections.conaktiv.server.plugins.plugin_utils._runner import ModuleFailed
from ansible_collections.conaktiv.server.plugins.plugin_utils._service import check_service_settings, service_state
from ansible_collections.conaktiv.server.plugins.plugin_utils._stage_manifest import MANIFEST_NAME
from ansible_collections.conaktiv.server.plugins.plugin_utils._time_zone import HostZone
from ansible_collections.conaktiv.server.plugins.plugin_utils._version import versions_match

ARGUMENT_SPEC: dict[str, t.Any] = {
    **COMMON_SPEC,
    **CONTROL_OPTION,
    **SERVICE_OPTION,
    "version_file": {"type": "str", "default": "version.txt"},
    "preserve_extra": {"type": "list", "elements": "str", "default": []},
    "history_count": {"type": "int", "default": 5},
    "version": {"type": "str"},
    "stage_max_age_days": {"type": "float", "default": 14},
}


def _staged(marker_text: str | None, present: dict[str, bool], target: str | None, max_age_days: float) -> dict[str, t.Any] | None:
    """What is staged in the temporary folder: version, when, how old, whether complete (marker, tree and manifest), for the
    target version and too old; None when nothing is there."""
    if not present["tree"]:
        # No staged tree: nothing is staged. After a swap the marker and manifest stay until the cleanup, but their tree is the
        # server folder now; a marker alone cannot be used either (the next staging run replaces it).
        return None
    marker: dict[str, t.Any] = {}
    if marker_text:
        try:
            loaded = json.loads(marker_text)
            marker = loaded if isinstance(loaded, dict) else {}
        except ValueError:
            marker = {}
    staged_at = _moment(marker.get("staged_at"))
    age = (datetime.datetime.now(datetime.timezone.utc) - staged_at).total_seconds() / 86400 if staged_at else None
    version = marker.get("version")
    return {"valid": bool(marker), "version": version, "checksum": marker.get("checksum"), "staged_at": marker.get("staged_at"),
            "age_days": round(age, 2) if age is not None else None,
            # A marker is written last: without it (or without its manifest) the staging is unfinished or damaged.
            "complete": bool(marker) and (present["manifest"] or not marker.get("manifest")),
            "for_target": versions_match(str(version), target) if target and version else None,
            "stale": bool(max_age_days > 0 and age is not None and age > max_age_days)}


def _moment(value: t.Any) -> datetime.datetime | None:
    try:
        moment = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


class ActionModule(PhaseAction):
    """Report version, state, sessions, preserved items, staging, disk and history."""

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def execute(self, host: Host, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        where = layout(host, args)
        service = check_service_settings(args.get("service"))
        control = Control(host, args.get("control"))
        facts: dict[str, t.Any] = {"server_path": where.server, "changed": False}
        server = host.stat(where.server)
        facts["server_exists"] = server.exists and server.is_dir
        facts.update(self._version(host, where, args, control))
        facts["service_state"] = service_state(host, service)
        facts["sessions"] = control.sessions() if facts["control_state"] in ("ready", "migrating", "failed", "starting") else None
        facts.update(self._layout_facts(host, where, args))
        facts["free_bytes"] = host.free_bytes(where.parent)
        facts.update(self._history(host, where, args["history_count"]))
        facts["run_journal"] = summary(read_journal(host.read_text(where.journal)))
        facts["time_zone"] = self._time_zone(host)
        if args.get("version"):
            facts["target_version"] = args["version"]
            # An unfinished update, a failed server or lagging data are not "up to date", whatever the version says.
            facts["up_to_date"] = bool(facts["installed_version"]) and versions_match(str(facts["installed_version"]), args["version"]) \
                and not facts["run_journal"]["unfinished"] and facts["control_state"] not in ("failed", "migrating", "starting")
        return facts

    @staticmethod
    def _version(host: Host, where: Layout, args: dict[str, t.Any], control: Control) -> dict[str, t.Any]:
        status = control.status() if control.enabled else None
        if status and status.get("version"):
            return {"installed_version": str(status["version"]), "version_source": "control",
                    "structure_version": status.get("structure_version"), "control_state": status.get("state", "unknown")}
        text = host.read_text(host.join(where.server, args["version_file"]))
        return {"installed_version": text.strip() if text else None, "version_source": "file" if text else None,
                "structure_version": None, "control_state": "unreachable" if control.enabled else "not configured"}

    @staticmethod
    def _time_zone(host: Host) -> dict[str, str | None]:
        # A host that cannot tell its zone is still worth a status: its times are then shown (and labelled) as UTC.
        try:
            return host.time_zone().as_dict()
        except ModuleFailed:
            return HostZone().as_dict()

    @staticmethod
    def _layout_facts(host: Host, where: Layout, args: dict[str, t.Any]) -> dict[str, t.Any]:
        items = preserve_list(extra=args["preserve_extra"])
        parents = sorted({host.parent(host.join(where.server, item)) for item in items})
        listing = host.list_dirs([where.parent, where.temp] + parents)
        preserved = {item: any(host.same_name(host.name(host.join(where.server, item)), name)
                               for name in listing[host.parent(host.join(where.server, item))]) for item in items}
        present = {key: any(host.same_name(name, host.name(path)) for name in listing[where.temp])
                   for key, path in (("marker", where.stage_marker), ("tree", where.staged_tree), ("manifest", host.join(where.temp, MANIFEST_NAME)))}
        marker = host.read_text(where.stage_marker) if present["marker"] else None
        return {"preserved": preserved, "staged": _staged(marker, present, args.get("version"), args["stage_max_age_days"]), "temp_path": where.temp,
                "old_folders": old_folders(where.name, listing[where.parent], host.case_insensitive)}

    @staticmethod
    def _history(host: Host, where: Layout, count: int) -> dict[str, t.Any]:
        text = host.read_text(where.history)
        if not text:
            return {"history": [], "history_path": where.history, "history_warnings": []}
        records, warnings = parse_history(text)
        return {"history": [dataclasses.asdict(record) for record in last_records(records, count)],
                "history_path": where.history, "history_warnings": warnings}
