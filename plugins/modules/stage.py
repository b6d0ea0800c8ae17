# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation stub: the work is done by the action plugin plugins/action/stage.py.

from __future__ import annotations

DOCUMENTATION = r"""
module: stage
short_description: Download, verify and unpack a new ConAktiv version into Temp_Updateordner beside the server
description:
  - Puts the new ConAktiv version, unpacked and ready to move into place, into the temporary folder beside the server
    folder (C(Temp_Updateordner), next to for example C(ConAktiv Server)), the way the vendor's updater does it in its
    steps 2 and 3. The server folder itself is not touched.
  - The package is fetched on the B(controller) (or the execution environment under AWX / Automation Platform) from
    an FTP, explicit FTPS, HTTP(S) or C(file://) URL, or a plain path on the controller, and then copied to the host.
    Connection problems are retried three times; a refused login, a missing file or an HTTP 4xx fails at once.
  - Before the host is touched, the controller verifies the package against O(checksum) (when given), reads the
    whole archive to find damage, refuses archives with absolute member names, C(..), or links that leave the tree,
    checks that every item of O(marker) is in it, and, when the package contains O(version_file), that it holds the
    requested O(version). Then it checks that the volume of the server's parent folder has room for the package and
    the unpacked tree plus O(free_space_margin).
  - On the host, any earlier or half-done staging in the temporary folder is removed, the package is unpacked there,
    its single top folder (if it has one) is renamed to the server folder's name, for example
    C(Temp_Updateordner\ConAktiv Server), a manifest C(conaktiv-stage-manifest.json) lists size and SHA-256 of every file
    as the verified package holds them, and a marker file C(stage.json) (written last) records version, checksum, time and
    the manifest's own digest. M(conaktiv.server.swap) later moves this tree into place and M(conaktiv.server.info) reports it.
  - Idempotent. When the marker says O(version) is staged (with the same checksum, if O(checksum) is given) and the staged
    tree still matches its manifest (O(verify_staged), one more round trip that reads every staged file on the host), nothing
    is downloaded and the task reports C(ok) with RV(reused) - a staging made days before the update window is reused this
    way. A changed, missing or added file, a missing or altered manifest, a staging older than O(max_age_days), a different
    version or checksum, a missing marker (an interrupted earlier run) or O(force=true) stages again from scratch; when the
    source cannot be reached then, the task fails naming both problems, before anything on the host changed.
  - With O(download_only=true) the package is only fetched and checked into O(cache_dir) on the controller and the host's free
    space is checked; nothing is written on the host. The staging playbook does this before it takes the update lock, so
    that a long download never holds it.
  - Runs while the server is up and serving users; it needs no downtime and never stops or queries the server.
  - "Round trips: 2 module calls when the version is already staged (3 with O(verify_staged)). When it stages, on Linux/macOS
    3: one look (folders, marker, free disk), the transfer of the package and one command that unpacks, checks, renames and
    writes manifest, marker and journal lines; on Windows about 17."
version_added: 0.1.0
author:
  - conaktiv.server developers (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - conaktiv.server.common
  - conaktiv.server.common.journal
options:
  version:
    description:
      - The ConAktiv version the package contains, for example V(9.1.0). It is written into the stage marker and
        compared by M(conaktiv.server.swap).
      - When the package contains O(version_file), its content must be this version, else the task fails before
        anything is unpacked on the host.
    type: str
    required: true
  source:
    description:
      - Where the controller gets the package, a zip archive as the vendor ships it (tar archives, also gzip, bzip2 or
        xz compressed, are accepted too).
      - V(ftp://host/path/ConAktiv.zip), V(ftps://host/path/ConAktiv.zip) (explicit TLS, passive mode),
        V(http://...), V(https://...), V(file:///path/ConAktiv.zip) or a plain path, all B(on the controller).
        A Windows share must be mounted on the controller or served over HTTP/FTP.
      - Put credentials into O(source_username) / O(source_password), not into the URL; results and messages show
        the URL without them.
    type: str
    required: true
  source_username:
    description:
      - User for the FTP/FTPS login or HTTP basic authentication. FTP without a user logs in as C(anonymous).
    type: str
  source_password:
    description:
      - Password for O(source_username). Never shown in output.
    type: str
  checksum:
    description:
      - Expected checksum of the package as V(<algorithm>:<hex digits>), for example V(sha256:9f86d0...); a bare
        64-digit value is taken as sha256.
      - A mismatch fails the task and deletes the download. Without a checksum an already staged O(version) is reused
        whatever its checksum, and O(cache_dir) is not used.
    type: str
  validate_certs:
    description:
      - Whether the FTPS / HTTPS server certificate is verified. Set to V(false) only for test systems.
    type: bool
    default: true
  ca_path:
    description:
      - CA bundle file on the controller used to verify the FTPS / HTTPS server (for an in-house CA).
    type: path
  timeout:
    description:
      - Seconds one connection to the download server may stay silent before the attempt is given up.
    type: int
    default: 60
  marker:
    description:
      - Paths (relative to the package's top folder, forward slashes) that must exist in the package and, after
        unpacking, in the staged tree; they tell a ConAktiv server package from any other archive.
    type: list
    elements: str
    default: ["Server Database"]
  version_file:
    description:
      - File in the package's top folder that holds its version. When present it must match O(version).
        Set to an empty string to skip this check.
    type: str
    default: version.txt
  cache_dir:
    description:
      - Folder on the B(controller) where downloads are kept, one subfolder per checksum. A package found there
        with the right O(checksum) is not downloaded again, which helps when many servers get the same version.
      - Used only together with O(checksum). Without it the package is downloaded into a temporary folder on the
        controller and deleted afterwards.
    type: path
  free_space_margin:
    description:
      - Extra room demanded on the host beyond the package size plus the unpacked size, as a fraction
        (V(0.1) = 10 %). Not enough free space fails the task before anything is copied.
    type: float
    default: 0.1
  force:
    description:
      - Stage again even when the marker says O(version) is already staged.
    type: bool
    default: false
  verify_staged:
    description:
      - Before a staging made earlier is reused, compare every file of the staged tree (size and SHA-256, read on the host
        with M(ansible.builtin.find) or M(ansible.windows.win_find)) with the manifest written when it was staged.
    type: bool
    default: true
  language:
    description:
      - The language of the line shown at the default verbosity when a staging is reused (version, when it was staged, how many
        files were verified) or staged again (why).
    type: str
    choices: [de, en]
    default: de
  max_age_days:
    description:
      - A staging of O(version) older than this many days is not reused but staged again; V(0) means any age.
    type: float
    default: 0
  download_only:
    description:
      - Only fetch and check the package into O(cache_dir) on the controller (which is then required) and check the host's
        free space; write nothing on the host. A later run with the checksum RV(checksum) stages from the cache without
        downloading again.
    type: bool
    default: false
  max_path_length:
    description:
      - On Windows hosts, the package is refused before anything is copied when one of its paths, once in O(server_path),
        would reach this many characters (the Windows MAX_PATH of 260 without long-path support).
      - V(0) turns the check off, for hosts with long paths enabled.
    type: int
    default: 260
  allow_cross_volume:
    description:
      - Allow the temporary folder and the server folder to be on different volumes (the server folder is a mount point).
        M(conaktiv.server.swap) then copies the whole version while the server is down instead of renaming it, so the
        downtime grows with its size; without this option the staging fails and removes the unpacked tree.
    type: bool
    default: false
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: partial
    details:
      - Reads the stage marker and reports whether the version would be staged (C(changed)) or is already staged.
      - Nothing is downloaded, so the checksum, the archive checks and the free disk space are only verified in a
        real run.
  diff_mode:
    support: none
  platform:
    platforms: [posix, windows]
seealso:
  - module: conaktiv.server.info
  - module: conaktiv.server.swap
  - module: conaktiv.server.backup
notes:
  - The package is unpacked into the temporary folder beside the server folder, on the same volume, so that
    M(conaktiv.server.swap) can move it into place by renaming instead of copying.
  - Files are downloaded on the controller, so the host itself needs no access to the download server. Under AWX /
    Automation Platform the execution environment must reach it.
  - The controller needs space for one package in its temporary folder (or in O(cache_dir)).
  - M(conaktiv.server.swap) with O(conaktiv.server.swap#module:state=cleaned) deletes the temporary folder,
    including anything staged there.
  - Member names are read as the zip tool meant them - backslashes as separators, names without the UTF-8 flag as UTF-8
    when they are valid UTF-8, else in the OEM code page CP850 of German Windows - before every check. Such a package is
    copied once on the controller with clean names (UTF-8 with the flag, C(/)), so that C(unzip) and
    M(community.windows.win_unzip) unpack the names the checks read; the data is not changed.
  - On Windows, members Windows cannot name (reserved device names; C(<), C(>), C(:), C(|), C(?), C(*) or a double quote; a
    trailing dot or space; names equal but for letter case) and paths that reach O(max_path_length) in the unpack folder, the staged tree, the server folder or
    its later C(_oldNNNN) / C(_failedNNNN) name are refused before anything is sent.
"""

EXAMPLES = r"""
- name: Stage ConAktiv 9.1.0 from the vendor's FTP server (Windows)
  conaktiv.server.stage:
    server_path: 'D:\ConAktiv\ConAktiv Server'
    version: 9.1.0
    source: ftp://ftp.example.com/updates/ConAktiv-Server-9.1.0.zip
    source_username: "{{ conaktiv_ftp_user }}"
    source_password: "{{ vault_conaktiv_ftp_password }}"
    checksum: "sha256:{{ conaktiv_package_sha256 }}"
  register: staged

- name: Stage over explicit FTPS with an in-house CA and a download cache for the whole fleet
  conaktiv.server.stage:
    server_path: 'E:\Programme\ConAktiv Server'
    version: "{{ conaktiv_target_version }}"
    source: "ftps://ftp.example.com/updates/ConAktiv-Server-{{ conaktiv_target_version }}.zip"
    source_username: "{{ conaktiv_ftp_user }}"
    source_password: "{{ vault_conaktiv_ftp_password }}"
    checksum: "{{ conaktiv_package_checksum }}"
    ca_path: /etc/pki/ca-trust/source/anchors/example-ca.pem
    cache_dir: /var/cache/conaktiv
    free_space_margin: 0.25

- name: Stage a package that lies on the controller (POSIX host)
  conaktiv.server.stage:
    server_path: /opt/conaktiv/ConAktiv Server
    version: 9.1.0
    source: /srv/packages/ConAktiv-Server-9.1.0.tar.gz
    checksum: sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae

- name: Stage again from scratch after the package was republished
  conaktiv.server.stage:
    server_path: 'D:\ConAktiv\ConAktiv Server'
    version: 9.1.0
    source: https://downloads.example.com/conaktiv/ConAktiv-Server-9.1.0.zip
    source_username: "{{ conaktiv_download_user }}"
    source_password: "{{ vault_conaktiv_download_password }}"
    force: true

- name: Show what was staged
  ansible.builtin.debug:
    msg: "{{ staged.version }} in {{ staged.staged_path }} ({{ staged.checksum }})"
"""

RETURN = r"""
staged_path:
  description: The staged tree, the new server folder waiting in the temporary folder.
  returned: always
  type: str
  sample: 'D:\ConAktiv\Temp_Updateordner\ConAktiv Server'
temp_path:
  description: The temporary folder beside the server folder.
  returned: always
  type: str
  sample: 'D:\ConAktiv\Temp_Updateordner'
version:
  description: The staged version (O(version)).
  returned: always
  type: str
  sample: 9.1.0
source:
  description: The package source without user name and password.
  returned: always
  type: str
  sample: ftp://ftp.example.com/updates/ConAktiv-Server-9.1.0.zip
checksum:
  description:
    - Checksum of the staged package as V(<algorithm>:<hex>), computed from the download.
    - When the version was already staged, the checksum from the stage marker (null if it has none).
  returned: when not in check mode
  type: str
  sample: sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
files:
  description: Number of files in the package.
  returned: when the package was staged
  type: int
  sample: 1843
unpacked_bytes:
  description: Size of the unpacked package in bytes.
  returned: when the package was staged
  type: int
  sample: 734003200
reused:
  description: Whether a staging made earlier (for example by the staging playbook, days before) was verified and is used as it is.
  returned: when not in check mode
  type: bool
  sample: true
staged_at:
  description: When the staging that is now in place was made, in UTC (ISO 8601).
  returned: when the version is staged
  type: str
  sample: "2026-11-30T14:02:11+00:00"
restaged:
  description: Whether an earlier (possibly half-done) staging was replaced.
  returned: when the package was staged
  type: bool
  sample: false
unsafe_members:
  description: The archive members that were refused (absolute paths, C(..), links leaving the tree).
  returned: when the task failed because the archive is unsafe
  type: list
  elements: str
msg:
  description: What was done.
  returned: always
  type: str
  sample: staged version 9.1.0
started:
  description: When the task started, in UTC (ISO 8601).
  returned: always
  type: str
  sample: "2026-11-23T22:01:15+00:00"
duration_s:
  description: Seconds the task took.
  returned: always
  type: float
  sample: 4.21
remote_calls:
  description: Number of module round trips this task made.
  returned: always
  type: int
  sample: 11
"""
