# Sourced by the Makefile targets and scripts: the project's venv and collection paths.
# shellcheck shell=bash
CONAKTIV_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CONAKTIV_ROOT
export PATH="$CONAKTIV_ROOT/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$CONAKTIV_ROOT/.collections"
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
export ANSIBLE_LOCAL_TEMP="${ANSIBLE_LOCAL_TEMP:-$CONAKTIV_ROOT/.cache/ansible-local}"
export ANSIBLE_NOCOLOR=1
export PYTHONDONTWRITEBYTECODE=1
