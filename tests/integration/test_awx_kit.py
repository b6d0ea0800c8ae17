"""The AWX kit (extensions/awx): execution environments that ansible-builder accepts, and an AWX-like job.

The job runs as AWX runs it: ansible-runner on a private data folder holding a copy of the example project, with the
collections laid out as in the execution environment (conaktiv.server installed from its built archive, its dependencies
beside it), the credential type's injectors rendered into extra variables, and the inventory taking the secrets up. The
per-host result must be in the job's artifacts (what AWX shows as artifact_data), and no secret in its output.
"""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess
import sys

import ansible_runner
import jinja2
import pytest
import yaml

from playbook import REPO
from roleargs import role_vars

KIT = REPO / "extensions" / "awx"
BIN = pathlib.Path(sys.executable).parent


@pytest.mark.parametrize("definition", ["execution-environment.yml", "execution-environment-kerberos.yml"])
def test_the_execution_environments_are_valid_for_ansible_builder(tmp_path, definition):
    done = subprocess.run([str(BIN / "ansible-builder"), "create", "-f", str(KIT / definition), "--context", str(tmp_path / "context")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    build = tmp_path / "context" / "_build"
    galaxy = yaml.safe_load((build / "requirements.yml").read_text())
    assert [item["name"] for item in galaxy["collections"]][0] == "conaktiv.server"
    assert "pywinrm" in (build / "requirements.txt").read_text()
    if "kerberos" in definition:
        assert "pywinrm[kerberos]" in (build / "requirements.txt").read_text() and "krb5" in (build / "bindep.txt").read_text()


def injected(inputs: dict[str, str]) -> dict[str, str]:
    """The extra variables AWX makes of the credential type's injectors (Jinja over the inputs)."""
    kind = yaml.safe_load((KIT / "credential_type.yml").read_text())
    fields = {field["id"] for field in kind["inputs"]["fields"]}
    assert set(inputs) <= fields and set(kind["inputs"]["required"]) <= set(inputs)
    return {name: jinja2.Template(template).render(**inputs) for name, template in kind["injectors"]["extra_vars"].items()}


def test_an_awx_like_job_updates_from_the_example_project_and_shows_the_result_in_its_artifacts(tmp_path, sim_site, sim_package):
    sim_site.start()
    private = tmp_path / "job"
    shutil.copytree(KIT / "project", private / "project")
    # The execution environment's collections: this collection from its archive, the dependencies beside it.
    collections = tmp_path / "ee-collections"
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", str(REPO), "--output-path", str(tmp_path / "dist")],
                   check=True, capture_output=True)
    archive = next((tmp_path / "dist").glob("conaktiv-server-*.tar.gz"))
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", str(archive), "-p", str(collections), "--no-deps", "--force"],
                   check=True, capture_output=True)
    for name in ("ansible/windows", "community/windows", "community/general"):
        shutil.copytree(REPO / ".collections" / "ansible_collections" / name, collections / "ansible_collections" / name, symlinks=True)
    values = role_vars(sim_site, sim_package("2.0.0"), conaktiv_update_backup={"method": "none"})
    token = values["conaktiv_update_control"]["token"]
    values["conaktiv_update_control"] = {**values["conaktiv_update_control"], "token": "{{ conaktiv_secret_control_token }}"}
    (private / "inventory").mkdir()
    (private / "inventory" / "hosts.yml").write_text(yaml.safe_dump(
        {"conaktiv_servers": {"hosts": {"crm-test": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}},
                              "vars": values}}), encoding="utf-8")
    extravars = injected({"control_token": token})
    envvars = {"ANSIBLE_COLLECTIONS_PATH": str(collections), "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false"}
    # The staging job of the kit first (the day before), then the update job, which reuses the staging.
    staging = ansible_runner.run(private_data_dir=str(private), playbook="stage.yml", extravars=extravars, quiet=True, envvars=envvars)
    staging_output = staging.stdout.read()
    assert staging.status == "successful", staging_output[-4000:]
    staged = next(event for event in staging.events if event["event"] == "playbook_on_stats")["event_data"]["artifact_data"]
    assert staged["conaktiv_update"]["crm-test"]["outcome"] == "staged" and sim_site.server_status()["version"] == "1.0.0"
    runner = ansible_runner.run(private_data_dir=str(private), playbook="update.yml", extravars=extravars, quiet=True, envvars=envvars)
    output = runner.stdout.read()
    assert runner.status == "successful", output[-4000:]
    assert sim_site.server_status()["version"] == "2.0.0"
    stats = next(event for event in runner.events if event["event"] == "playbook_on_stats")
    result = stats["event_data"]["artifact_data"]["conaktiv_update"]["crm-test"]
    assert result["outcome"] == "updated" and result["from_version"] == "1.0.0" and result["to_version"] == "2.0.0"
    assert result["running_version"] == "2.0.0" and result["answers"] is True
    assert "wird verwendet" in output and "kein Download" in output, "the update reused the staging job's staging"
    for text in (output, staging_output, json.dumps(list(runner.events)), json.dumps(list(staging.events))):
        assert token not in text
