#!/usr/bin/env bash
# Validates examples/k8s/*.yaml against the Kubernetes schemas (kubernetes-validate from PyPI, in a venv of
# its own; no cluster needed). Run by .ci/run; `npm run test:k8s` by hand.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${XFBENCH_K8S_VENV:-$root/.venv-k8s}
if [ ! -x "$venv/bin/kubernetes-validate" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check kubernetes-validate==1.37.0
fi
"$venv/bin/kubernetes-validate" --strict "$root"/examples/k8s/*.yaml
