# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for conaktiv.server.history: append one run's record to the update history."""

from __future__ import annotations

import typing as t

from ansible_collections.conaktiv.server.plugins.plugin_utils._history import RunRecord, from_dict, redact, summary_line, to_dict, to_line
from ansible_collections.conaktiv.server.plugins.plugin_utils._host import Host, Write, protecting
from ansible_collections.conaktiv.server.plugins.plugin_utils._journal import iso, records_to_write, utc_now
from ansible_collections.conaktiv.server.plugins.plugin_utils._options import COMMON_SPEC, Layout, layout
from ansible_collections.conaktiv.server.plugins.plugin_utils._phase import PhaseAction, PhaseFailed
from ansible_collections.conaktiv.server.plugins.plugin_utils._run_journal import JOURNAL_OPTION, RunJournal

ARGUMENT_SPEC: dict[str, t.Any] = {
    **COMMON_SPEC,
    **JOURNAL_OPTION,
    "record": {"type": "dict"},
    "redact": {"type": "list", "elements": "str", "default": [], "no_log": True},
    "group": {"type": "str", "default": ""},
}
REQUIRED_ONE_OF = [["record", "journal"]]


class ActionModule(PhaseAction):
    """Append a given record, or write the records of the run journal (idempotent by run id); secrets are scrubbed."""

    ARGUMENT_SPEC = ARGUMENT_SPEC
    REQUIRED_ONE_OF = REQUIRED_ONE_OF
    JOURNAL_PHASE = "history"
    JOURNAL_KEYS = ("run_ids",)
    LEASE_S = 600.0
    # The begin, the records and the done are one round trip on POSIX.
    JOURNAL_BEGIN_WITH_CHANGE = True

    def execute(self, host: Host, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        where = layout(host, args)
        if not args.get("record"):
            return self._from_journal(host, where, args, task_vars)
        try:
            record = from_dict(redact(args["record"], [secret for secret in args["redact"] if secret]))
        except (KeyError, TypeError, ValueError) as exc:
            raise PhaseFailed(f"the history record is not valid: {exc}") from exc
        line = to_line(record)
        result = {"history_path": where.history, "summary": summary_line(record), "run_id": record.run_id}
        if self._task.check_mode:
            return {**result, "changed": True, "msg": f"would append to {where.history}"}
        self.journal_flush()
        host.commit([protecting(where.history, args["group"])])
        changed = host.append_line(where.history, line.rstrip("\n"))
        return {**result, "changed": changed, "msg": f"recorded in {where.history}" if changed else "this record is already in the history"}

    def _from_journal(self, host: Host, where: Layout, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        """The records of the updates in the run journal that are not in the history yet, written by their run id."""
        option = args["journal"]
        reader = self.journal or RunJournal(host, option["path"], option["run"])
        journal = reader.read()
        secrets = [secret for secret in args["redact"] if secret]
        records: list[RunRecord] = [from_dict(redact(to_dict(record), secrets))
                                    for record in records_to_write(journal, str(task_vars.get("inventory_hostname", "")), iso(utc_now()))]
        result: dict[str, t.Any] = {"history_path": where.history, "run_ids": [record.run_id for record in records],
                                    "records": [to_dict(record) for record in records]}
        if records:
            result.update(run_id=records[-1].run_id, summary=summary_line(records[-1]), record=result["records"][-1])
        if self._task.check_mode:
            return {**result, "changed": bool(records), "msg": f"would write {len(records)} records to {where.history}"}
        result.update(changed=bool(records), msg=f"recorded {len(records)} update(s) in {where.history}")
        # The phase's done names the records written (run_ids): the journal counts them as recorded. Begin, records and done in
        # this order, in one round trip on POSIX.
        bracket = self.journal_bracket(done=result)
        steps = [Write("append", bracket.path, bracket.before)] if bracket and bracket.before else []
        # The history names versions, folders and backups of every update: its owner and the admin group only (POSIX modes).
        steps += [protecting(where.history, args["group"])] if records else []
        # Keyed by run id: a run that is resumed writes the record of its update again, replacing the earlier one.
        steps += [Write("put", where.history, (to_line(record).rstrip("\n"),), key=f'"run_id":"{record.run_id}"') for record in records]
        steps += [Write("append", bracket.path, bracket.after)] if bracket and bracket.after else []
        host.commit(steps)
        return result
