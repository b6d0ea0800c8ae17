"""The AWX setup playbook (extensions/awx/setup.yml): syntax, lint, and what it sends checked against AWX's own rules.

The survey specs must pass AWX's validation of a survey and the schedule's answers that of the answers; the rrule must parse
as AWX parses it, and every moment AWX starts the job from it must lie inside the update window as the role reads it on the
host (its local wall clock), also for windows across midnight and on DST change days. The rules: awx_rules.py.
"""

from __future__ import annotations

import copy
import datetime
import os
import pathlib
import subprocess
import sys
from zoneinfo import ZoneInfo

import jinja2.sandbox
import pytest
import yaml

import awx_rules
from playbook import REPO

from ansible_collections.conaktiv.server.plugins.filter.window_rrule import rrule as window_rrule_filter
from ansible_collections.conaktiv.server.plugins.plugin_utils._schedule import window_rrule
from ansible_collections.conaktiv.server.plugins.plugin_utils._window import parse_date, parse_time_of_day, update_window

KIT = REPO / "extensions" / "awx"
BIN = pathlib.Path(sys.executable).parent
SURVEYS = ["survey.de.yml", "survey.en.yml"]
STAGE_SURVEYS = ["survey-stage.de.yml", "survey-stage.en.yml"]


class _Loader(yaml.SafeLoader):
    """Reads the playbook as data: Ansible's !unsafe strings stay strings."""


_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def setup_play() -> dict:
    return yaml.load((KIT / "setup.yml").read_text(encoding="utf-8"), Loader=_Loader)[0]  # noqa: S506 - a SafeLoader


def task(module: str, name: str | None = None) -> dict:
    """The first task of ``module`` (with ``name``: the task of that name)."""
    return next(item[module] for item in setup_play()["tasks"] if module in item and name in (None, item["name"]))


def survey(name: str) -> dict:
    return yaml.safe_load((KIT / name).read_text(encoding="utf-8"))


def test_the_setup_playbook_passes_the_syntax_check_with_awx_awx():
    assert (REPO / ".collections" / "ansible_collections" / "awx" / "awx" / "MANIFEST.json").is_file(), "scripts/setup.sh takes awx.awx"
    done = subprocess.run([str(BIN / "ansible-playbook"), "--syntax-check", str(KIT / "setup.yml")], capture_output=True, text=True,
                          check=False, env={**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".collections")})
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_awx_kit_is_lint_clean_in_the_production_profile():
    done = subprocess.run([str(BIN / "ansible-lint"), "--nocolor", "extensions/awx"], cwd=REPO, capture_output=True, text=True, check=False,
                          env={**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".collections"), "NO_COLOR": "1"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Profile 'production' was required, and it passed" in done.stdout + done.stderr


@pytest.mark.parametrize("name", SURVEYS + STAGE_SURVEYS)
def test_the_survey_passes_awx_s_validation(name):
    assert awx_rules.survey_spec_errors(survey(name)) == []


def test_both_surveys_ask_the_same_role_variables_of_the_same_types():
    specs = {name: [(item["variable"], item["type"], item["required"]) for item in survey(name)["spec"]] for name in SURVEYS}
    assert specs["survey.de.yml"] == specs["survey.en.yml"]
    role_options = yaml.safe_load((REPO / "roles" / "conaktiv_update" / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    variables = [question[0] for question in specs["survey.de.yml"]]
    assert variables == ["conaktiv_update_version", "conaktiv_update_source", "conaktiv_update_checksum", "conaktiv_update_start_date",
                         "conaktiv_update_time_from", "conaktiv_update_time_to", "conaktiv_update_serial"]
    assert all(variable in role_options for variable in variables if variable != "conaktiv_update_serial"), "the survey answers role variables"
    # The staging asks the update's first three questions, word for word in each language.
    for language in ("de", "en"):
        assert survey(f"survey-stage.{language}.yml")["spec"] == survey(f"survey.{language}.yml")["spec"][:3]
    stage_options = yaml.safe_load((REPO / "roles" / "conaktiv_update" / "meta" / "argument_specs.yml").read_text())["argument_specs"]["stage"]["options"]
    assert all(item["variable"] in stage_options for item in survey("survey-stage.de.yml")["spec"])


@pytest.mark.parametrize("name", SURVEYS)
def test_a_release_s_answers_and_the_defaults_pass_the_survey(name):
    spec = survey(name)
    release = {"conaktiv_update_version": "9.1.0", "conaktiv_update_source": "ftps://ftp.example.local/ConAktiv-9.1.0.zip",
               "conaktiv_update_checksum": "sha256:" + "ab" * 32, "conaktiv_update_start_date": "23.11.2026",
               "conaktiv_update_time_from": "22:00", "conaktiv_update_time_to": "02:00", "conaktiv_update_serial": "25%"}
    assert awx_rules.answer_errors(spec, release) == []
    defaults = {item["variable"]: item["default"] for item in spec["spec"] if "default" in item}
    assert awx_rules.answer_errors(spec, {**release, **defaults}) == []
    # Defaults the role would read differently than the survey says would be a trap: they parse as the role parses them.
    assert parse_time_of_day(defaults["conaktiv_update_time_from"]) and parse_time_of_day(defaults["conaktiv_update_time_to"])
    missing = {key: value for key, value in release.items() if key != "conaktiv_update_version"}
    assert awx_rules.answer_errors(spec, missing) == ["'conaktiv_update_version' value missing"]
    assert awx_rules.answer_errors(spec, {**release, "conaktiv_update_serial": 1}), "a number is no answer to a text question"
    assert awx_rules.answer_errors(spec, {**release, "conaktiv_update_start_date": "23.11.26"}), "too short for a date"


def _broken(change):
    spec = copy.deepcopy(survey("survey.de.yml"))
    change(spec)
    return spec


@pytest.mark.parametrize("change", [
    lambda spec: spec.pop("description"),
    lambda spec: spec.update(spec=[]),
    lambda spec: spec["spec"][0].pop("required"),
    lambda spec: spec["spec"][0].update(required="yes"),
    lambda spec: spec["spec"][1].update(variable=spec["spec"][0]["variable"]),
    lambda spec: spec["spec"][0].update(type="string"),
    lambda spec: spec["spec"][6].update(default=1),
    lambda spec: spec["spec"][0].update(max="40"),
    lambda spec: spec["spec"][0].update(type="multiplechoice"),
    lambda spec: spec["spec"][2].update(default="$encrypted$"),
], ids=["no description", "no questions", "no required", "required not bool", "duplicate variable", "unknown type",
        "default of the wrong type", "max not an integer", "choice without choices", "encrypted default"])
def test_the_checker_refuses_a_broken_survey(change):
    assert awx_rules.survey_spec_errors(_broken(change))


def test_the_schedule_answers_exactly_the_survey_s_questions():
    answers = task("awx.awx.schedule", "Schedule the release inside its update window")["extra_data"]
    assert list(answers) == [item["variable"] for item in survey("survey.de.yml")["spec"]]
    template = task("awx.awx.job_template", "Create or update the update job template with its survey")
    assert template["survey_enabled"] is True and template["ask_variables_on_launch"] is True and template["playbook"] == "update.yml"
    assert template["notification_templates_error"] == ["{{ conaktiv_awx_notification_template }}"]
    staging = task("awx.awx.job_template", "Create or update the staging job template with its survey")
    assert staging["playbook"] == "stage.yml" and (KIT / "project" / "stage.yml").is_file() and "survey-stage." in staging["survey_spec"]
    assert staging["notification_templates_error"] == template["notification_templates_error"]
    stage_answers = task("awx.awx.schedule", "Schedule the release's staging ahead of its update window")["extra_data"]
    assert list(stage_answers) == [item["variable"] for item in survey("survey-stage.de.yml")["spec"]]
    assert {key: answers[key] for key in stage_answers} == stage_answers, "the staging stages what the update installs"


def _render_rrule(schedule: dict, variables: dict) -> str:
    """The schedule's rrule expression evaluated with the collection's filter (and Ansible's int), as Ansible renders it."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters.update({"conaktiv.server.window_rrule": window_rrule_filter, "int": int})
    return env.from_string(schedule["rrule"]).render(**variables).strip()


@pytest.mark.parametrize("start_date", ["2026-12-01", "2026-03-29"])
def test_the_staging_runs_by_day_before_the_update_s_window_opens(start_date):
    play_vars = {**setup_play()["vars"], "conaktiv_update_start_date": start_date}
    stage_rule = _render_rrule(task("awx.awx.schedule", "Schedule the release's staging ahead of its update window"), play_vars)
    update_rule = _render_rrule(task("awx.awx.schedule", "Schedule the release inside its update window"), play_vars)
    assert awx_rules.rrule_errors(stage_rule) == [] and awx_rules.rrule_errors(update_rule) == []
    zone = ZoneInfo(play_vars["conaktiv_awx_timezone"])
    since = datetime.datetime.combine(parse_date(start_date), datetime.time(0, 0), zone) - datetime.timedelta(days=3)
    stagings = [moment.astimezone(zone) for moment in awx_rules.next_runs(stage_rule, since.astimezone(datetime.timezone.utc))]
    updates = awx_rules.next_runs(update_rule, since.astimezone(datetime.timezone.utc))
    the_day_before = parse_date(start_date) - datetime.timedelta(days=1)
    assert [moment.strftime("%H:%M") for moment in stagings] == ["08:00", "10:00", "12:00", "14:00", "16:00"]
    assert {moment.date() for moment in stagings} == {the_day_before}
    assert max(stagings) < min(updates), "every staging starts before the update window opens"


def test_the_failure_mail_renders_in_awx_s_sandbox():
    # AWX renders notification messages with an immutable sandbox and StrictUndefined over the job (validate_messages); a message
    # (the subject) must not contain a newline.
    messages = setup_play()["vars"]["conaktiv_awx_failure_messages"]
    assert set(messages) == {"error"} and "\n" not in messages["error"]["message"]
    env = jinja2.sandbox.ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined)
    job = {"id": 42, "name": "ConAktiv-Update", "status": "failed",
           "artifacts": {"conaktiv_update": {"crm1": {"outcome": "rolled_back", "running_version": "9.0.12", "failed_phase": "start"},
                                             "crm2": {"outcome": "updated", "running_version": "9.1.0", "failed_phase": None}}}}
    body = env.from_string(messages["error"]["body"]).render(job=job, url="https://awx.example.local/#/jobs/playbook/42")
    assert "crm1: rolled_back, Version jetzt 9.0.12, Phase start" in body and "crm2: updated, Version jetzt 9.1.0" in body
    assert env.from_string(messages["error"]["body"]).render(job={**job, "artifacts": {}}, url="u").startswith("Der Job 42")
    assert env.from_string(messages["error"]["message"]).render(job=job) == "ConAktiv-Update fehlgeschlagen: ConAktiv-Update (Job 42)"


WINDOWS = [
    # (start date, from, to, zone, repeat minutes, starts AWX makes)
    ("2026-11-23", "22:00", "02:00", "Europe/Berlin", 30, 8),     # across midnight
    ("2026-11-23", "08:00", "17:00", "America/New_York", 60, 9),
    ("2026-11-23", "22:00", "22:00", "Europe/Berlin", 120, 12),   # from == to: 24 hours
    ("2026-11-23", "22:00", "06:00", "Europe/Berlin", 0, 1),      # once
    ("2026-03-28", "22:00", "06:00", "Europe/Berlin", 30, 14),    # into summer time: 02:00 and 02:30 do not exist
    ("2026-03-29", "01:00", "04:00", "Europe/Berlin", 30, 4),
    ("2026-10-24", "22:00", "06:00", "Europe/Berlin", 30, 16),    # into winter time: the wall clock's starts, 02:00-03:00 once
    ("2026-10-25", "01:00", "04:00", "Europe/Berlin", 30, 6),
    ("2026-11-01", "00:30", "03:00", "America/New_York", 30, 5),  # US winter time
]


@pytest.mark.parametrize(("day", "time_from", "time_to", "zone", "minutes", "runs"), WINDOWS)
def test_awx_starts_the_job_only_inside_the_window_as_the_host_reads_it(day, time_from, time_to, zone, minutes, runs):
    rrule = window_rrule(parse_date(day), parse_time_of_day(time_from), parse_time_of_day(time_to), zone, minutes)
    assert awx_rules.rrule_errors(rrule) == []
    before = datetime.datetime.combine(parse_date(day), datetime.time(0, 0), ZoneInfo(zone)) - datetime.timedelta(days=1)
    moments = awx_rules.next_runs(rrule, before.astimezone(datetime.timezone.utc))
    assert len(moments) == runs
    local = [moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None) for moment in moments]
    assert local[0] == datetime.datetime.combine(parse_date(day), parse_time_of_day(time_from)), "the first start opens the window"
    for moment in local:
        decision = update_window(moment, parse_date(day), parse_time_of_day(time_from), parse_time_of_day(time_to))
        assert decision.inside, f"{moment} from {rrule}: {decision.reason}"
    assert moments == sorted(set(moments)), "no job starts twice at one moment"


@pytest.mark.parametrize("rrule", [
    "DTSTART:20261123T220000 RRULE:FREQ=MINUTELY;INTERVAL=30;COUNT=8",
    "DTSTART;TZID=Europe/Berlin:20261123T220000 RRULE:FREQ=MINUTELY;COUNT=8",
    "DTSTART;TZID=Europe/Berlin:20261123T220000 RRULE:FREQ=MINUTELY;INTERVAL=1;COUNT=1000",
    "DTSTART;TZID=Europe/Berlin:20261123T220000 RRULE:FREQ=SECONDLY;INTERVAL=30;COUNT=8",
    "DTSTART;TZID=Mars/Olympus:20261123T220000 RRULE:FREQ=MINUTELY;INTERVAL=30;COUNT=8",
    "DTSTART;TZID=Europe/Berlin:20261123T220000 RRULE:FREQ=MINUTELY;INTERVAL=30;COUNT=8;UNTIL=20261124T020000",
    "DTSTART;TZID=Europe/Berlin:20261123T220000",
], ids=["naive start", "no interval", "count over 999", "secondly", "unknown zone", "count and until", "no rule"])
def test_the_checker_refuses_what_awx_refuses(rrule):
    assert awx_rules.rrule_errors(rrule)


def test_the_checker_reads_a_naive_until_in_the_start_s_zone_as_awx_does():
    rrule = "DTSTART;TZID=Europe/Berlin:20261123T220000 RRULE:FREQ=MINUTELY;INTERVAL=30;UNTIL=20261124T013000"
    assert awx_rules.rrule_errors(rrule) == []
    runs = awx_rules.next_runs(rrule, datetime.datetime(2026, 11, 23, tzinfo=datetime.timezone.utc))
    assert len(runs) == 8 and runs[-1] == datetime.datetime(2026, 11, 24, 0, 30, tzinfo=datetime.timezone.utc)


def test_every_awx_task_uses_only_options_its_module_documents():
    # ansible-lint's args rule stops at the first templated option (survey_spec, credentials), so the names and the literal
    # choices are checked here against the modules' own documentation, as ansible-doc gives it for the installed awx.awx.
    play = setup_play()
    tasks = [(next(key for key in item if key.startswith("awx.awx.")), item) for item in play["tasks"] if any(key.startswith("awx.awx.") for key in item)]
    modules = sorted({module for module, _item in tasks})
    done = subprocess.run([str(BIN / "ansible-doc"), "-t", "module", "--json", *modules], capture_output=True, text=True, check=False,
                          env={**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".collections")})
    assert done.returncode == 0, done.stderr
    docs = yaml.safe_load(done.stdout)
    assert set(docs) == set(modules) == {"awx.awx.credential_type", "awx.awx.credential", "awx.awx.notification_template",
                                         "awx.awx.job_template", "awx.awx.schedule"}
    assert [module for module, _item in tasks].count("awx.awx.job_template") == 2, "the update's and the staging's"
    for module, item in tasks:
        options = docs[module]["doc"]["options"]
        assert set(play["module_defaults"]["group/awx.awx.controller"]) <= set(options), module
        for name, value in item[module].items():
            assert name in options, f"{module} has no option {name}"
            choices = options[name].get("choices")
            if choices and isinstance(value, str) and "{{" not in value:
                assert value in choices, f"{module}: {name}={value} not in {choices}"
    # The credential's inputs and the SMTP password in the notification's configuration are secrets.
    secret = {module: item for module, item in tasks if module in ("awx.awx.credential", "awx.awx.notification_template")}
    assert secret["awx.awx.credential"].get("no_log") is True and secret["awx.awx.notification_template"].get("no_log") is True
