# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run journal: parsing, the lock, the decision table of docs/docsite/rst/journal.rst (one test per row), outcome and history."""

from __future__ import annotations

import datetime
import json

import pytest

from ansible_collections.conaktiv.server.plugins.plugin_utils._history import summary_line
from ansible_collections.conaktiv.server.plugins.plugin_utils._journal import (
    JournalError, LockVerdict, Request, ServerFacts, Ticket, compactable, decide, downtime, entry_line, fresh_plan, history_record,
    lock_verdict, outcome, read_journal, records_to_write, remaining, rollback_plan, start_refusal, summary, ticket_name, tickets_in)

T0 = datetime.datetime(2026, 11, 23, 21, 0, tzinfo=datetime.timezone.utc)
FREE = LockVerdict(True, 2)
RUNNING = ServerFacts(installed_version="1.0.0", control_state="ready", structure_version="1.0.0", service_state="running")
DOWN = ServerFacts(installed_version=None, control_state="unreachable", service_state="stopped", server_exists=False)
REQUEST = Request(version="2.0.0", mail=True, data_path="/srv/data")
PLAN = ["stage", "backup_pre", "stop", "swap", "start", "structure_update", "backup_post", "cleanup", "mail", "history"]


class Writer:
    """Builds a journal text the way the modules write it, one minute per event."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.minute = 0

    def at(self) -> datetime.datetime:
        self.minute += 1
        return T0 + datetime.timedelta(minutes=self.minute)

    def opened(self, run: str, generation: int = 1, lease_min: int = 60, **info) -> "Writer":
        data = {"controller": "ctl", "pid": 42, "user": "awx", "version": "2.0.0", "from_version": "1.0.0", "plan": PLAN,
                "data_path": "/srv/data", "restore_data": True, "ticket": ticket_name(generation), **info}
        moment = self.at()
        self.lines.append(entry_line(run, "opened", at=moment, generation=generation, data=data,
                                     lease_until=moment + datetime.timedelta(minutes=lease_min)))
        return self

    def phase(self, run: str, name: str, *events: str, **data) -> "Writer":
        for event in events:
            moment = self.at()
            self.lines.append(entry_line(run, event, at=moment, phase=name, data=data if event != "begin" else None,
                                         lease_until=moment + datetime.timedelta(minutes=60) if event == "begin" else None))
        return self

    def event(self, run_id: str, event: str, **data) -> "Writer":
        self.lines.append(entry_line(run_id, event, at=self.at(), data=data))
        return self

    def done(self, run: str, *names: str) -> "Writer":
        for name in names:
            self.phase(run, name, "begin", "done", **self.data_for(name))
        return self

    @staticmethod
    def data_for(name: str) -> dict:
        return {"backup_pre": {"path": "/srv/Backups/pre.zip", "label": "pre", "sha256": "ab", "size": 10},
                "stop": {"stopped_at": 1000.0}, "start": {"started_at": 1031.5}}.get(name, {})

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def journal(self):
        return read_journal(self.text())


def now(minutes: int = 5) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=minutes)


# -- writing and reading ---------------------------------------------------------------------------


def test_entry_line_is_compact_sorted_ascii_and_redacts_secrets():
    line = entry_line("r1", "done", at=T0, phase="stage", data={"msg": "from ftp://u:s3cr3t@h/ü"}, secrets=["s3cr3t"])
    entry = json.loads(line)
    assert entry == {"v": 1, "run": "r1", "at": "2026-11-23T21:00:00+00:00", "event": "done", "phase": "stage",
                     "data": {"msg": "from ftp://u:********@h/ü"}}
    assert line.isascii() and "\n" not in line and list(entry) == sorted(entry)


@pytest.mark.parametrize("kwargs, message", [({"event": "nonsense"}, "unknown journal event"), ({"event": "begin"}, "needs phase"),
                                             ({"event": "opened", "phase": "stage"}, "takes no phase")])
def test_entry_line_refuses_malformed_events(kwargs, message):
    with pytest.raises(JournalError, match=message):
        entry_line("r1", at=T0, **kwargs)


def test_a_torn_last_line_and_foreign_lines_are_skipped_with_warnings():
    text = Writer().opened("r1").done("r1", "stage").text() + '{"v": 1, "run": "r1", "event": "beg'
    text = '\ufeff[1, 2]\n' + text
    journal = read_journal(text)
    assert [run.run for run in journal.runs] == ["r1"]
    assert journal.chain().done("stage")
    assert len(journal.warnings) == 2 and "torn" in journal.warnings[1]


def test_phase_states_follow_the_newest_event_across_the_runs_of_a_chain():
    journal = (Writer().opened("r1").done("r1", "stage", "backup_pre").phase("r1", "stop", "begin")
               .opened("r2", generation=2, resumes="r1").phase("r2", "stop", "begin", "done", stopped_at=5.0).journal())
    chain = journal.chain()
    assert chain.run_ids == ["r1", "r2"] and chain.info["version"] == "2.0.0"
    assert chain.status("stop") == "done" and chain.phases()["stop"].run == "r2" and chain.phases()["stop"].data["stopped_at"] == 5.0
    assert chain.stop_begun and not chain.finished


# -- the lock ----------------------------------------------------------------------------------------


def test_tickets_are_found_among_the_parent_folder_entries():
    names = ["ConAktiv Server", "conaktiv-update-lock.000007", "conaktiv-update-lock.000012", "conaktiv-update-lock.x", "other"]
    assert [ticket.generation for ticket in tickets_in(names)] == [7, 12]
    assert ticket_name(13) == "conaktiv-update-lock.000013"


def test_a_live_lease_refuses_and_names_the_holder():
    journal = Writer().opened("r1", generation=3, lease_min=60).journal()
    verdict = lock_verdict(journal, [Ticket(ticket_name(3), 3)], now(10))
    assert not verdict.free and verdict.generation == 4
    assert "run r1 (controller ctl, pid 42, user awx" in verdict.holder and "lease until 2026-11-23T22:01:00+00:00" in verdict.holder


def test_an_expired_lease_is_taken_over_with_a_warning_and_its_ticket_removed():
    journal = Writer().opened("r1", generation=3, lease_min=10).journal()
    verdict = lock_verdict(journal, [Ticket(ticket_name(3), 3)], now(30))
    assert verdict.free and verdict.generation == 4 and verdict.stale_tickets == (ticket_name(3),)
    assert "taking over the update lock of run r1" in verdict.warning and "lease has expired" in verdict.warning


def test_break_lock_takes_over_a_live_lease():
    verdict = lock_verdict(Writer().opened("r1", generation=3).journal(), [], now(10), break_lock=True)
    assert verdict.free and "conaktiv_update_break_lock is set" in verdict.warning


def test_a_closed_run_leaves_the_lock_free():
    journal = Writer().opened("r1", generation=3).event("r1", "closed", outcome="updated", converged=True).journal()
    assert lock_verdict(journal, [], now(10)) == LockVerdict(True, 4)


def test_a_fresh_ticket_the_journal_does_not_know_yet_is_respected_then_given_up():
    journal = Writer().opened("r1", generation=3).event("r1", "closed", outcome="updated", converged=True).journal()
    made = (now(9)).timestamp()
    held = lock_verdict(journal, [Ticket(ticket_name(4), 4, made)], now(10))
    assert not held.free and "conaktiv-update-lock.000004" in held.holder and held.generation == 5
    later = lock_verdict(journal, [Ticket(ticket_name(4), 4, made)], now(200))
    assert later.free and later.generation == 5 and "abandoned lock ticket" in later.warning


def test_runs_by_hand_never_hold_the_lock():
    journal = Writer().phase("swap-20261123-ab", "swap", "begin").journal()
    assert lock_verdict(journal, [], now(1)).free


# -- the decision table (docs/docsite/rst/journal.rst) ---------------------------------------------------------------


def test_row_1_the_lock_held_by_another_run_refuses():
    decision = decide(Writer().opened("r1").journal(), REQUEST, RUNNING, lock=LockVerdict(False, 2, holder="run r1 (...)"))
    assert decision.action == "refuse" and decision.todo == [] and "run r1" in decision.reason and "break_lock" in decision.reason


def test_row_2_an_update_interrupted_after_the_stop_is_finished_with_its_own_version():
    journal = Writer().opened("r1", version="1.5.0").done("r1", "stage", "backup_pre", "stop").phase("r1", "swap", "begin", old="S_old0001").journal()
    decision = decide(journal, REQUEST, DOWN, lock=FREE)
    assert decision.action == "resume" and decision.version == "1.5.0" and decision.resumes == "r1" and decision.lock
    assert decision.todo == ["swap", "start", "structure_update", "backup_post", "cleanup", "mail", "history"]
    assert any("finished first; run again for 2.0.0" in warning for warning in decision.warnings)


def test_row_2_outside_the_window_the_interrupted_update_is_still_finished():
    journal = Writer().opened("r1").done("r1", "stage", "backup_pre", "stop", "swap", "start").journal()
    request = Request(version="2.0.0", window_inside=False, window_reason="it opens tomorrow")
    decision = decide(journal, request, RUNNING, lock=FREE)
    assert decision.action == "resume" and decision.todo == ["structure_update", "backup_post", "cleanup", "history"]
    assert any("outside the update window" in warning for warning in decision.warnings)


def test_row_2_a_run_killed_after_the_report_began_only_finishes_the_report():
    journal = Writer().opened("r1").done("r1", *PLAN[:-2], "history").phase("r1", "mail", "begin").journal()
    assert decide(journal, REQUEST, RUNNING, lock=FREE).todo == ["mail"]


def test_row_3_a_failed_update_is_rolled_back_with_the_data_restored_once():
    journal = (Writer().opened("r1").done("r1", "stage", "backup_pre", "stop", "swap", "start")
               .phase("r1", "structure_update", "begin", "failed", error="structure update failed").journal())
    decision = decide(journal, REQUEST, RUNNING, lock=FREE)
    assert decision.action == "rollback" and decision.restore_from == "/srv/Backups/pre.zip"
    assert decision.todo == ["rollback_stop", "rollback_swap", "rollback_restore", "rollback_start", "mail", "history"]
    resumed = (Writer().opened("r1").done("r1", "stage", "backup_pre", "stop", "swap", "start")
               .phase("r1", "structure_update", "begin", "failed", error="boom")
               .done("r1", "rollback_stop", "rollback_swap", "rollback_restore").journal())
    assert decide(resumed, REQUEST, DOWN, lock=FREE).todo == ["rollback_start", "mail", "history"]


def test_row_3_a_failure_before_the_start_does_not_restore_data():
    journal = Writer().opened("r1").done("r1", "stage", "backup_pre", "stop").phase("r1", "swap", "begin", "failed", error="in use").journal()
    assert decide(journal, REQUEST, DOWN, lock=FREE).todo == ["rollback_swap", "rollback_start", "mail", "history"]


def test_row_3_a_failure_during_the_drain_only_makes_sure_the_old_version_runs():
    journal = Writer().opened("r1").done("r1", "stage", "backup_pre").phase("r1", "stop", "begin", "failed", error="refused").journal()
    assert decide(journal, REQUEST, RUNNING, lock=FREE).todo == ["rollback_start", "mail", "history"]


def test_row_4_a_closed_update_whose_rollback_failed_is_rolled_back_again_and_reported_anew():
    journal = (Writer().opened("r1").done("r1", "stage", "backup_pre", "stop").phase("r1", "swap", "begin", "failed", error="in use")
               .phase("r1", "rollback_swap", "begin", "failed", error="still in use").phase("r1", "rollback_start", "begin", "failed", error="x")
               .done("r1", "history", "mail").event("r1", "closed", outcome="failed", converged=False).journal())
    decision = decide(journal, REQUEST, DOWN, lock=FREE)
    assert decision.action == "rollback" and decision.todo == ["rollback_swap", "rollback_start", "mail", "history"]


def test_row_5_an_update_interrupted_before_the_stop_is_left_and_a_new_one_starts():
    journal = Writer().opened("r1").done("r1", "stage").phase("r1", "backup_pre", "begin").journal()
    decision = decide(journal, REQUEST, RUNNING, lock=FREE)
    assert decision.action == "fresh" and decision.abandons == "r1" and decision.todo == PLAN and decision.resumes is None
    assert any("interrupted before the server was stopped" in warning for warning in decision.warnings)


def test_row_6_outside_the_window_nothing_happens():
    decision = decide(read_journal(""), Request(version="2.0.0", window_inside=False, window_reason="closed"), RUNNING, lock=FREE)
    assert decision.action == "outside_window" and decision.todo == [] and not decision.lock


@pytest.mark.parametrize("facts, todo", [
    (ServerFacts("2.0.0 Build 7", "ready", "2.0.0", "running"), []),
    (ServerFacts("2.0.0", "unreachable", None, "stopped"), ["start"]),
    (ServerFacts("2.0.0", "ready", "2.0.0", "running", leftovers=True), ["cleanup"]),
])
def test_row_7_the_target_installed_is_up_to_date(facts, todo):
    decision = decide(read_journal(""), REQUEST, facts, lock=FREE)
    assert decision.action == "up_to_date" and decision.todo == todo and decision.lock == bool(todo)


def test_row_7_a_finished_update_is_not_redone():
    journal = Writer().opened("r1").done("r1", *PLAN).event("r1", "recorded", run="r1").event("r1", "closed", outcome="updated").journal()
    decision = decide(journal, REQUEST, ServerFacts("2.0.0", "ready", "2.0.0", "running"), lock=FREE)
    assert decision.action == "up_to_date" and decision.todo == []


def test_row_8_a_failed_server_on_the_target_version_is_refused():
    decision = decide(read_journal(""), REQUEST, ServerFacts("2.0.0", "failed", "1.0.0", "running"), lock=FREE)
    assert decision.action == "refuse" and "reports state 'failed'" in decision.reason


def test_row_9_a_server_still_migrating_is_waited_for():
    decision = decide(read_journal(""), REQUEST, ServerFacts("2.0.0", "migrating", "1.0.0", "running"), lock=FREE)
    assert decision.action == "await_structure_update" and decision.todo == ["structure_update"] and not decision.lock


def test_row_10_lagging_data_on_the_target_version_is_refused():
    decision = decide(read_journal(""), REQUEST, ServerFacts("2.0.0", "ready", "1.0.0", "running"), lock=FREE)
    assert decision.action == "refuse" and "structure of 1.0.0" in decision.reason


def test_row_11_a_downgrade_is_refused_unless_allowed():
    facts = ServerFacts("3.0.0", "ready", "3.0.0", "running")
    refused = decide(read_journal(""), REQUEST, facts, lock=FREE)
    assert refused.action == "refuse" and "older than the installed 3.0.0" in refused.reason and "allow_downgrade" in refused.reason
    allowed = decide(read_journal(""), Request(version="2.0.0", allow_downgrade=True), facts, lock=FREE)
    assert allowed.action == "fresh"


def test_row_12_an_input_problem_is_refused_before_anything():
    facts = ServerFacts("1.0.0", "ready", "1.0.0", "running", error="the data folder lies inside the server folder")
    decision = decide(read_journal(""), REQUEST, facts, lock=FREE)
    assert decision.action == "refuse" and decision.reason == "the data folder lies inside the server folder"


def test_row_12_an_input_problem_does_not_block_finishing_an_interrupted_update():
    journal = Writer().opened("r1").done("r1", "stage", "backup_pre", "stop").phase("r1", "swap", "begin").journal()
    facts = ServerFacts(None, "unreachable", None, "stopped", server_exists=False, error="the server folder does not exist")
    assert decide(journal, REQUEST, facts, lock=FREE).action == "resume"


def test_row_13_otherwise_a_new_update():
    decision = decide(read_journal(""), REQUEST, RUNNING, lock=FREE)
    assert decision.action == "fresh" and decision.todo == PLAN and decision.version == "2.0.0" and decision.from_version == "1.0.0"


def test_runs_by_hand_do_not_make_the_role_resume_anything():
    journal = Writer().phase("swap-x", "swap", "begin", "done").journal()
    assert decide(journal, REQUEST, RUNNING, lock=FREE).action == "fresh"


def test_an_interrupted_swap_run_by_hand_is_refused_until_it_is_finished_by_hand():
    journal = Writer().phase("swap-x", "swap", "begin").journal()
    decision = decide(journal, REQUEST, DOWN, lock=FREE)
    assert decision.action == "refuse" and "conaktiv.server.swap" in decision.reason and "swap-x" in decision.reason


@pytest.mark.parametrize("method, plan", [
    ("server", ["stage", "backup_pre", "stop", "swap", "start", "structure_update", "backup_post", "cleanup", "history"]),
    ("archive", ["stage", "stop", "backup_pre", "swap", "start", "structure_update", "backup_post", "cleanup", "history"]),
    ("none", ["stage", "stop", "swap", "start", "structure_update", "cleanup", "history"]),
])
def test_fresh_plans_follow_the_backup_method(method, plan):
    assert fresh_plan(Request(version="2.0.0", backup_method=method)) == plan


# -- starts, outcome, history ------------------------------------------------------------------------------


def test_a_version_whose_carry_over_is_unconfirmed_is_never_started():
    swapping = Writer().opened("r1").done("r1", "stage", "stop").phase("r1", "swap", "begin").journal().chain()
    assert "not confirmed carried over" in start_refusal(swapping)
    rolling = (Writer().opened("r1").done("r1", "stage", "stop").phase("r1", "swap", "begin", "failed", error="x")
               .phase("r1", "rollback_swap", "begin").journal().chain())
    assert "not confirmed carried over" in start_refusal(rolling)
    rolled = (Writer().opened("r1").done("r1", "stage", "stop").phase("r1", "swap", "begin", "failed", error="x")
              .done("r1", "rollback_swap").journal().chain())
    assert start_refusal(rolled) is None
    assert start_refusal(Writer().opened("r1").done("r1", "stage", "stop", "swap").journal().chain()) is None


def test_outcomes():
    updated = Writer().opened("r1").done("r1", *PLAN[:-2]).journal().chain()
    assert outcome(updated) == {"outcome": "updated", "converged": True, "failed_phase": None, "error": None}
    cleanup_failed = Writer().opened("r1").done("r1", *PLAN[:7]).phase("r1", "cleanup", "begin", "failed", error="in use").journal().chain()
    assert outcome(cleanup_failed)["outcome"] == "updated"
    before_stop = Writer().opened("r1").phase("r1", "stage", "begin", "failed", error="checksum mismatch").journal().chain()
    assert outcome(before_stop) == {"outcome": "failed", "converged": True, "failed_phase": "stage", "error": "checksum mismatch"}
    rolled = (Writer().opened("r1").done("r1", "stage", "backup_pre", "stop", "swap").phase("r1", "start", "begin", "failed", error="no start")
              .done("r1", "rollback_stop", "rollback_swap", "rollback_start").journal().chain())
    assert outcome(rolled) == {"outcome": "rolled_back", "converged": True, "failed_phase": "start", "error": "no start"}
    stuck = (Writer().opened("r1").done("r1", "stage", "stop").phase("r1", "swap", "begin", "failed", error="in use")
             .phase("r1", "rollback_swap", "begin", "failed", error="still in use").journal().chain())
    assert outcome(stuck)["outcome"] == "failed" and not outcome(stuck)["converged"]
    assert "the rollback failed too (rollback_swap): still in use" in outcome(stuck)["error"]


def test_a_hook_failure_counts_as_a_failure_of_the_update():
    chain = Writer().opened("r1").done("r1", "stage", "backup_pre", "stop").phase("r1", "hook after stop", "failed", error="hook").journal().chain()
    assert chain.failure.name == "hook after stop" and rollback_plan(chain) == ["rollback_start"]


def test_the_history_record_spans_the_runs_of_an_update_and_measures_the_downtime():
    journal = (Writer().opened("r1").done("r1", "stage", "backup_pre", "stop").phase("r1", "swap", "begin")
               .opened("r2", generation=2, resumes="r1").done("r2", "swap", "start", "structure_update").journal())
    record = history_record(journal.chain(), "crm1", "2026-11-23T22:00:00+00:00")
    assert record.run_id == "r1" and record.runs == ["r1", "r2"] and record.from_version == "1.0.0" and record.to_version == "2.0.0"
    assert [(phase.name, phase.outcome) for phase in record.phases] == [
        ("stage", "changed"), ("backup_pre", "changed"), ("stop", "changed"), ("swap", "failed"), ("swap", "changed"), ("start", "changed"),
        ("structure_update", "changed")]
    assert record.phases[3].detail.startswith("interrupted")
    assert record.downtime_s == 31.5 == downtime(journal.chain())
    assert record.backups == [{"label": "pre", "path": "/srv/Backups/pre.zip", "sha256": "ab", "size": 10}]


def test_the_history_record_says_whether_the_mail_went_out_and_what_was_kept():
    cleanup = {"removed": ["/srv/Temp_Updateordner"], "kept": ["/srv/ConAktiv Server_old0001"]}
    sent = (Writer().opened("r1").done("r1", "stage", "swap").phase("r1", "cleanup", "begin", "done", **cleanup)
            .phase("r1", "mail", "begin", "done", message_id="<m1@ctl>", to=["admin@example.test"]).journal())
    record = history_record(sent.chain(), "crm1", None)
    assert record.mail == {"sent": True, "to": ["admin@example.test"], "error": None, "message_id": "<m1@ctl>"}
    assert record.kept == ["/srv/ConAktiv Server_old0001"]
    mail = {"mail_error": "cannot connect to smtp://mx:25: [Errno 111] Connection refused", "to": ["admin@example.test"]}
    refused = (Writer().opened("r1").done("r1", "stage").phase("r1", "rollback_swap", "begin", "done", failed_path="/srv/ConAktiv Server_failed0001")
               .phase("r1", "mail", "begin", "done", **mail).journal())
    record = history_record(refused.chain(), "crm1", None)
    assert record.mail["sent"] is False and "Connection refused" in record.mail["error"]
    assert record.kept == ["/srv/ConAktiv Server_failed0001"]
    assert "(mail not sent: cannot connect to smtp://mx:25" in summary_line(record)
    assert history_record(Writer().opened("r1").done("r1", "stage").journal().chain(), "crm1", None).mail is None, "no mail configured"


def test_records_to_write_include_an_abandoned_update_once():
    journal = (Writer().opened("r1").done("r1", "stage").opened("r2", generation=2).event("r2", "abandoned", run="r1")
               .done("r2", "stage", "backup_pre").journal())
    records = records_to_write(journal, "crm1", "2026-11-23T22:00:00+00:00")
    assert [(record.run_id, record.outcome) for record in records] == [("r1", "interrupted"), ("r2", "interrupted")]
    recorded = (Writer().opened("r1").done("r1", "stage").opened("r2", generation=2).event("r2", "abandoned", run="r1")
                .event("r2", "recorded", run="r1").done("r2", "stage").journal())
    assert [record.run_id for record in records_to_write(recorded, "crm1", "x")] == ["r2"]


def test_a_journal_is_started_anew_only_when_everything_in_it_is_finished_and_recorded():
    finished = Writer().opened("r1").done("r1", *PLAN).event("r1", "recorded", run="r1").event("r1", "closed", outcome="updated").journal()
    assert compactable(finished)
    unrecorded = Writer().opened("r1").done("r1", *PLAN).event("r1", "closed", outcome="updated").journal()
    assert not compactable(unrecorded)
    running = Writer().opened("r1").done("r1", "stage").journal()
    assert not compactable(running)


def test_summary_for_status():
    journal = Writer().opened("r1").done("r1", "stage").phase("r1", "stop", "begin").journal()
    info = summary(journal)
    assert info["unfinished"] and info["phase"] == "stop" and info["phase_status"] == "begun" and info["holder"]["run"] == "r1"
    assert summary(read_journal(""))["unfinished"] is False


def test_remaining_keeps_the_plan_order_and_skips_what_is_done():
    chain = Writer().opened("r1").done("r1", "stage", "backup_pre", "stop", "swap").phase("r1", "start", "begin").journal().chain()
    assert remaining(chain, ["history"]) == ["start", "structure_update", "backup_post", "cleanup", "history"]


def test_a_holder_this_controller_knows_to_be_dead_is_taken_over_at_once():
    journal = Writer().opened("r1", generation=3, lease_min=60).journal()
    dead = lock_verdict(journal, [], now(10), holder_alive=lambda info: False)
    assert dead.free and "its controller process is no longer running" in dead.warning
    alive = lock_verdict(journal, [], now(10), holder_alive=lambda info: True)
    unknown = lock_verdict(journal, [], now(10), holder_alive=lambda info: None)
    assert not alive.free and not unknown.free
