"""conaktiv.server.stage: download, verify, unpack safely, idempotent, through ansible-playbook."""

from __future__ import annotations

import hashlib
import json
import zipfile

import pytest

from playbook import run_tasks

STAGE = "Stage the new ConAktiv version"


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stage_task(site, source, **extra):
    args = {"server_path": str(site.server_dir), "version": "2.0.0", "source": source, **extra}
    return {"name": STAGE, "conaktiv.server.stage": args, "register": "staged"}


def temp_dir(site):
    return site.server_dir.parent / "Temp_Updateordner"


def test_ftp_stage_verifies_unpacks_and_is_idempotent(tmp_path, sim_site, sim_package, ftp_server):
    package = sim_package("2.0.0", files=20)
    (ftp_server.root / package.name).write_bytes(package.read_bytes())
    task = stage_task(sim_site, f"{ftp_server.url}{package.name}", source_username=ftp_server.user,
                      source_password=ftp_server.password, checksum=f"sha256:{sha256(package)}")
    run = run_tasks(tmp_path / "play", [task], extra_args=["-vvv"])
    assert run.rc == 0, run.output
    result = run.task(STAGE)
    assert result["changed"] is True
    staged = temp_dir(sim_site) / "ConAktiv Server"
    assert (staged / "version.txt").read_text().strip() == "2.0.0"
    assert (staged / "Server Database" / "Preferences").is_dir()
    assert not (staged / "Server Database" / "cert.pem").exists(), "a vendor package carries no certificate"
    marker = json.loads((temp_dir(sim_site) / "stage.json").read_text())
    assert marker["version"] == "2.0.0" and marker["checksum"] == f"sha256:{sha256(package)}"
    assert sorted(p.name for p in temp_dir(sim_site).iterdir()) == ["ConAktiv Server", "conaktiv-stage-manifest.json", "stage.json"]
    manifest = json.loads((temp_dir(sim_site) / "conaktiv-stage-manifest.json").read_text())["files"]
    on_disk = {str(path.relative_to(staged)): [path.stat().st_size, sha256(path)] for path in staged.rglob("*") if path.is_file()}
    assert manifest == on_disk and marker["manifest"]["files"] == len(on_disk)
    assert ftp_server.password not in run.output
    again = run_tasks(tmp_path / "play", [task])
    assert again.rc == 0 and again.task(STAGE)["changed"] is False


def test_ftps_and_a_package_without_top_folder(tmp_path, sim_site, sim_package, ftps_server):
    package = sim_package("2.0.0", top_folder=False)
    (ftps_server.root / package.name).write_bytes(package.read_bytes())
    source = f"{ftps_server.url.replace('ftp://', 'ftps://')}{package.name}"
    run = run_tasks(tmp_path / "play", [stage_task(sim_site, source, source_username=ftps_server.user,
                                                   source_password=ftps_server.password, ca_path=str(ftps_server.ca_file))])
    assert run.rc == 0, run.output
    assert (temp_dir(sim_site) / "ConAktiv Server" / "version.txt").read_text().strip() == "2.0.0"


def test_check_mode_predicts_and_changes_nothing(tmp_path, sim_site, sim_package):
    package = sim_package("2.0.0")
    run = run_tasks(tmp_path / "play", [stage_task(sim_site, str(package))], extra_args=["--check"])
    assert run.rc == 0, run.output
    assert run.task(STAGE)["changed"] is True
    assert not temp_dir(sim_site).exists()


def test_checksum_mismatch_fails_before_the_host_is_touched(tmp_path, sim_site, sim_package):
    package = sim_package("2.0.0")
    run = run_tasks(tmp_path / "play", [stage_task(sim_site, str(package), checksum="sha256:" + "0" * 64)])
    assert run.rc != 0
    assert "checksum mismatch" in run.task(STAGE)["msg"]
    assert not temp_dir(sim_site).exists()


@pytest.mark.parametrize("evil", ["ConAktiv Server/../../escaped.txt", "/etc/conaktiv-evil"])
def test_unsafe_member_is_refused_and_named(tmp_path, sim_site, sim_package, evil):
    package = sim_package("2.0.0")
    with zipfile.ZipFile(package, "a") as archive:
        archive.writestr(evil, "boom")
    run = run_tasks(tmp_path / "play", [stage_task(sim_site, str(package))])
    assert run.rc != 0
    assert evil in run.task(STAGE)["msg"]
    assert not temp_dir(sim_site).exists()
    assert not (tmp_path / "escaped.txt").exists()


def test_wrong_ftp_password_is_clear_and_not_echoed(tmp_path, sim_site, sim_package, ftp_server):
    package = sim_package("2.0.0")
    (ftp_server.root / package.name).write_bytes(package.read_bytes())
    wrong = "not-the-Passw0rd"
    run = run_tasks(tmp_path / "play", [stage_task(sim_site, f"{ftp_server.url}{package.name}", source_username=ftp_server.user,
                                                   source_password=wrong)], extra_args=["-vvv"])
    assert run.rc != 0
    assert "FTP login" in run.task(STAGE)["msg"] and ftp_server.user in run.task(STAGE)["msg"]
    assert wrong not in run.output


def test_wrong_version_in_package_is_refused(tmp_path, sim_site, sim_package):
    package = sim_package("2.0.0")
    run = run_tasks(tmp_path / "play", [stage_task(sim_site, str(package), version="3.1.0")])
    assert run.rc != 0
    assert "contains version 2.0.0, not the requested 3.1.0" in run.task(STAGE)["msg"]


def test_not_a_conaktiv_package_is_refused(tmp_path, sim_site):
    bogus = tmp_path / "bogus.zip"
    with zipfile.ZipFile(bogus, "w") as archive:
        archive.writestr("readme.txt", "hello")
    run = run_tasks(tmp_path / "play", [stage_task(sim_site, str(bogus))])
    assert run.rc != 0
    assert "does not look like a ConAktiv server" in run.task(STAGE)["msg"]


def test_a_damaged_staging_is_detected_and_redone(tmp_path, sim_site, sim_package):
    package = sim_package("2.0.0")
    task = stage_task(sim_site, str(package), checksum=f"sha256:{sha256(package)}")
    assert run_tasks(tmp_path / "play", [task]).rc == 0
    (temp_dir(sim_site) / "stage.json").write_text('{"version": "2.0.0", "chec')  # torn marker
    run = run_tasks(tmp_path / "play", [task])
    assert run.rc == 0, run.output
    assert run.task(STAGE)["changed"] is True and run.task(STAGE)["restaged"] is True
    assert json.loads((temp_dir(sim_site) / "stage.json").read_text())["version"] == "2.0.0"


def test_a_tampered_staging_is_staged_again_or_refused_when_the_source_is_gone(tmp_path, sim_site, sim_package, ftp_server):
    package = sim_package("2.0.0", files=5)
    (ftp_server.root / package.name).write_bytes(package.read_bytes())
    task = stage_task(sim_site, f"{ftp_server.url}{package.name}", source_username=ftp_server.user, source_password=ftp_server.password,
                      checksum=f"sha256:{sha256(package)}")
    assert run_tasks(tmp_path / "play", [task]).rc == 0
    reused = run_tasks(tmp_path / "play", [task])
    assert reused.rc == 0 and reused.task(STAGE)["reused"] is True and "files verified" in reused.task(STAGE)["msg"]
    binary = next(path for path in (temp_dir(sim_site) / "ConAktiv Server").rglob("*") if path.is_file() and path.name != "version.txt")
    original = binary.read_bytes()
    binary.write_bytes(original + b"tampered")
    again = run_tasks(tmp_path / "play", [task])
    assert again.rc == 0, again.output
    assert again.task(STAGE)["changed"] is True and "differ from its manifest: changed:" in again.task(STAGE)["msg"]
    assert binary.read_bytes() == original
    # The FTP server is down now: a tampered staging is refused, naming both problems; nothing is unpacked.
    binary.write_bytes(b"tampered again")
    (ftp_server.root / package.name).unlink()
    refused = run_tasks(tmp_path / "play", [task])
    assert refused.rc != 0
    message = refused.task(STAGE)["msg"]
    assert message.startswith("the staged version 2.0.0 cannot be used (1 file(s) of the staged tree differ from its manifest: changed: ")
    assert "and cannot be staged again: " in message and ftp_server.password not in refused.output
