"""AWX's own rules for what the setup playbook sends, modeled for the tests (nothing of AWX is imported or copied).

Read in the AWX source (github.com/ansible/awx, commit e21dd0a0933f, October 2024); each function names its original:
  survey_spec_errors  awx/api/views/__init__.py JobTemplateSurveySpec._validate_spec_data (+ SURVEY_TYPE_MAPPING, awx/main/constants.py)
  answer_errors       awx/main/models/mixins.py SurveyJobTemplateMixin._survey_element_validation (a launch's or schedule's answers)
  rrule_errors        awx/api/serializers.py SchedulePreviewSerializer.validate_rrule
  parse_rrule         awx/main/models/schedules.py Schedule.rrulestr and Schedule.coerce_naive_until
  next_runs           awx/main/models/schedules.py Schedule.update_computed_fields_no_save (next_run, imaginary times skipped)
"""

from __future__ import annotations

import datetime
import re
import typing as t

import dateutil.parser
import dateutil.rrule
from dateutil.tz import datetime_exists, tzutc

SURVEY_TYPE_MAPPING: dict[str, t.Any] = {"text": str, "textarea": str, "password": str, "multiplechoice": str, "multiselect": str,
                                         "integer": int, "float": (float, int)}
UTC_TIMEZONES = {name: tzutc() for name in dateutil.parser.parserinfo().UTCZONE}


def survey_spec_errors(spec: t.Any) -> list[str]:
    """The errors AWX answers a POST of this survey spec with (400), [] when it accepts it."""
    errors = []
    for field, kind in (("name", str), ("description", str), ("spec", list)):
        if not isinstance(spec, dict) or field not in spec:
            errors.append(f"Field '{field}' is missing from survey spec.")
        elif not isinstance(spec[field], kind):
            errors.append(f"Expected {kind.__name__} for field '{field}'.")
    if not errors and not spec["spec"]:
        errors.append("'spec' doesn't contain any items.")
    if errors:
        return errors
    variables: set[str] = set()
    for index, item in enumerate(spec["spec"]):
        if not isinstance(item, dict):
            return [f"Survey question {index} is not a json object."]
        for field in ("type", "question_name", "variable", "required"):
            if field not in item:
                return [f"'{field}' missing from survey question {index}"]
            if not isinstance(item[field], bool if field == "required" else str):
                return [f"'{field}' in survey question {index} has the wrong type."]
        if item["variable"] in variables:
            return [f"'variable' '{item['variable']}' duplicated in survey question {index}."]
        variables.add(item["variable"])
        kind = item["type"]
        if kind not in SURVEY_TYPE_MAPPING:
            return [f"'{kind}' in survey question {index} is not an allowed question type."]
        if "default" in item and item["default"] != "" and not isinstance(item["default"], SURVEY_TYPE_MAPPING[kind]):
            return [f"Default value {item['default']!r} in survey question {index} has the wrong type."]
        for limit in ("min", "max"):
            if limit in item and item[limit] is not None and not isinstance(item[limit], int):
                return [f"The {limit} limit in survey question {index} expected to be integer."]
        if kind in ("multiselect", "multiplechoice"):
            if "choices" not in item:
                return [f"Survey question {index} of type {kind} must specify choices."]
            if "default" in item:
                defaults = item["default"].splitlines() if isinstance(item["default"], str) else item["default"]
                defaults = [choice for choice in defaults if str(choice).strip()]
                if kind == "multiplechoice" and len(defaults) > 1:
                    return ["Multiple Choice (Single Select) can only have one default value."]
                if any(choice not in item["choices"] for choice in defaults):
                    return ["Default choice must be answered from the choices listed."]
        if isinstance(item.get("default"), str) and item["default"].startswith("$encrypted$"):
            # Only a password question may keep an existing encrypted default; a new spec has none to keep.
            return [f"$encrypted$ is a reserved keyword, may not be used for new default in position {index}."]
    return []


def answer_errors(spec: dict[str, t.Any], data: dict[str, t.Any]) -> list[str]:
    """The errors AWX finds in the answers ``data`` (a launch's extra_vars, a schedule's extra_data) for this survey."""
    errors = []
    for item in spec["spec"]:
        name = item["variable"]
        if name not in data:
            if item["required"]:
                errors.append(f"'{name}' value missing")
            continue
        value = data[name]
        if item["type"] in ("text", "textarea", "password"):
            if not isinstance(value, str):
                errors.append(f"Value {value!r} for '{name}' expected to be a string.")
                continue
            if item.get("min") not in ("", None) and len(value) < int(item["min"]):
                errors.append(f"'{name}' value {value!r} is too small (length must be at least {item['min']}).")
            if item.get("max") not in ("", None) and len(value) > int(item["max"]):
                errors.append(f"'{name}' value {value!r} is too large (must be no more than {item['max']}).")
        elif item["type"] in ("integer", "float"):
            if type(value) not in ((int,) if item["type"] == "integer" else (int, float)):  # AWX compares the exact type
                errors.append(f"Value {value!r} for '{name}' expected to be a number.")
                continue
            if item.get("min") not in ("", None) and value < item["min"]:
                errors.append(f"'{name}' value {value} is too small.")
            if item.get("max") not in ("", None) and value > item["max"]:
                errors.append(f"'{name}' value {value} is too large.")
        elif item["type"] in ("multiplechoice", "multiselect"):
            choices = item["choices"].splitlines() if isinstance(item["choices"], str) else item["choices"]
            values = value if item["type"] == "multiselect" and isinstance(value, list) else [value]
            errors.extend(f"Value {one!r} for '{name}' expected to be one of {choices}." for one in values if one not in choices)
    return errors


def coerce_naive_until(rrule: str) -> str:
    """AWX reads an UNTIL without Z in DTSTART's time zone and rewrites it to UTC."""
    start = re.sub(r"^.*(DTSTART[^\s]+)\s.*$", r"\1", rrule)
    rules = re.split(r"\s+", rrule)
    for index, rule in enumerate(rules):
        match = re.match(r".*?(?P<until>UNTIL=[0-9]+T[0-9]+)(?P<utcflag>Z?)", rule)
        if match and not match.group("utcflag"):
            naive = match.group("until")
            zone = dateutil.rrule.rrulestr(f"{start} {rule.replace(naive, naive + 'Z')}", tzinfos=UTC_TIMEZONES, forceset=True)._rrule[0]._dtstart.tzinfo
            local = datetime.datetime.strptime(naive[len("UNTIL="):], "%Y%m%dT%H%M%S").replace(tzinfo=zone)
            rules[index] = rule.replace(naive, "UNTIL=" + local.astimezone(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ"))
    return " ".join(rules)


def parse_rrule(rrule: str) -> dateutil.rrule.rruleset:
    """The rule set AWX makes of the rrule; ValueError as AWX raises it (no DTSTART time zone, unparsable)."""
    ruleset = dateutil.rrule.rrulestr(coerce_naive_until(rrule), tzinfos=UTC_TIMEZONES, forceset=True)
    for rule in ruleset._rrule:
        if rule._dtstart and rule._dtstart.tzinfo is None:
            raise ValueError("A valid TZID must be provided (e.g., America/New_York)")
        # AWX moves a MINUTELY/HOURLY rule without COUNT whose first start is over a week old to a week ago (fast
        # forward); the tests' rules are in the future, so that never applies here.
    return ruleset


def rrule_errors(rrule: str) -> list[str]:
    """The errors AWX answers a schedule with this rrule with (400), [] when it accepts it."""
    errors = []
    starts = re.findall(r".*?(DTSTART(;[^:]+)?\:[0-9]+T[0-9]+Z?)", rrule)
    if not starts:
        errors.append("Valid DTSTART required in rrule.")
    if re.findall(r".*?(DTSTART:[0-9]+T[0-9]+) ", rrule):
        errors.append("DTSTART cannot be a naive datetime.")
    if len(starts) > 1:
        errors.append("Multiple DTSTART is not supported.")
    if "rrule:" not in rrule.lower():
        errors.append("One or more rule required in rrule.")
    if "exdate:" in rrule.lower() or "rdate:" in rrule.lower():
        return ["EXDATE and RDATE not allowed in rrule."]
    for rule in re.findall(r".*?(RULE\:[^\s]*)", rrule):
        if "interval" not in rule.lower():
            errors.append(f"INTERVAL required in rrule: {rule}")
        elif "secondly" in rule.lower():
            errors.append(f"SECONDLY is not supported: {rule}")
        if re.match(r".*?BYDAY[\:\=][0-9]+[a-zA-Z]{2}", rule):
            errors.append(f"BYDAY with numeric prefix not supported: {rule}")
        if "COUNT" in rule and "UNTIL" in rule:
            errors.append(f"RRULE may not contain both COUNT and UNTIL: {rule}")
        count = re.match(r".*?(COUNT\=[0-9]+)", rule)
        if count and int(count.group(1).split("=")[1]) > 999:
            errors.append(f"COUNT > 999 is unsupported: {rule}")
    try:
        parse_rrule(rrule)
    except Exception as exc:  # AWX turns any parser failure into a validation error  # pylint: disable=broad-exception-caught
        errors.append(f"rrule parsing failed validation: {exc}")
    return errors


def next_runs(rrule: str, now: datetime.datetime) -> list[datetime.datetime]:
    """Every moment (UTC) AWX starts the job from ``now`` on: next_run after now, an imaginary (DST gap) time skipped once."""
    ruleset = parse_rrule(rrule)
    runs = []
    while (run := ruleset.after(now)) is not None:
        if not datetime_exists(run):
            run = ruleset.after(run)
            if run is None:
                break
        now = run.astimezone(datetime.timezone.utc)
        runs.append(now)
    return runs
