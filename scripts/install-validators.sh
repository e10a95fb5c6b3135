#!/usr/bin/env bash
# Installs the tools the manifest validation tests run, on a fresh Debian machine, as root.
# Idempotent and quiet: a tool already at the pinned version is left alone.
set -euo pipefail

KUBERNETES_VALIDATE_VERSION=1.37.0
CHECKOV_VERSION=3.3.30
YAMLLINT_VERSION=1.38.0
# The S3 the backup tests run against (moto_server speaks the real protocol and checks SigV4).
MOTO_VERSION=5.2.1

pip_has() {
  local info
  info=$(python3 -m pip show "$1" 2>/dev/null) || return 1
  grep -qx "Version: $2" <<<"$info"
}

missing=()
pip_has kubernetes-validate "$KUBERNETES_VALIDATE_VERSION" || missing+=("kubernetes-validate==$KUBERNETES_VALIDATE_VERSION")
pip_has checkov "$CHECKOV_VERSION" || missing+=("checkov==$CHECKOV_VERSION")
pip_has yamllint "$YAMLLINT_VERSION" || missing+=("yamllint==$YAMLLINT_VERSION")
{ pip_has moto "$MOTO_VERSION" && python3 -c "import flask, flask_cors" 2>/dev/null; } || missing+=("moto[server]==$MOTO_VERSION")
if ((${#missing[@]})); then
  echo "installing ${missing[*]}"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "${missing[@]}"
fi

# promtool comes with Debian's prometheus package.
if ! command -v promtool >/dev/null 2>&1; then
  echo "installing prometheus (promtool)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

# pyenv keeps new console scripts out of PATH until its shims are rebuilt.
if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi

for tool in kubernetes-validate checkov yamllint promtool moto_server; do
  command -v "$tool" >/dev/null 2>&1 || { echo "error: $tool is not on PATH after installing" >&2; exit 1; }
done
