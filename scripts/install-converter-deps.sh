#!/usr/bin/env bash
# The converter's Python (`xfbench convert`): a venv, .venv-convert, made with --system-site-packages
# over Debian's python3-torch and python3-onnx (installed by install-debian-deps.sh), plus transformers
# 4.44.2 from PyPI, the newest that works with Debian's torch 1.13. PyPI's torch wheels would bring
# gigabytes of CUDA libraries; Debian's torch is CPU-only and small. Idempotent; XFBENCH_CONVERT_VENV
# puts the venv elsewhere (then pass its python to convert with --python or $XFBENCH_PYTHON).
# The same venv carries DuckDB, with which the tests read a run's results.parquet as a user's Python would
# (no NumPy needed, unlike pyarrow 26 over Debian's NumPy 1.24), and LAVIS as released (salesforce-lavis,
# without its dependencies: the tests run its GQA question processing and scoring, scripts/lavis_reference.py).
# A second small venv, .venv-tokenizers, holds a current tokenizers (no torch): the tests re-save their
# checkpoints' tokenizer.json with it, as transformers 5 saves them (converter/xfconvert/testing/transformers5_save.py).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${XFBENCH_CONVERT_VENV:-$root/.venv-convert}
TRANSFORMERS=4.44.2
ONNXCONVERTER=1.13.0
DUCKDB=1.5.6
LAVIS=1.0.2
NEW_TOKENIZERS=0.23.3
bash "$root/scripts/install-debian-deps.sh"
tokvenv=${XFBENCH_TOKENIZERS_VENV:-$root/.venv-tokenizers}
if ! "$tokvenv/bin/python" -c "import tokenizers; assert tokenizers.__version__ == '$NEW_TOKENIZERS'" 2>/dev/null; then
  [ -x "$tokvenv/bin/python" ] || /usr/bin/python3 -m venv "$tokvenv"
  "$tokvenv/bin/pip" install --quiet --disable-pip-version-check --no-deps "tokenizers==$NEW_TOKENIZERS"
fi
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import transformers, torch, onnx, onnxconverter_common, duckdb, importlib.metadata as m; assert transformers.__version__ == '$TRANSFORMERS' and duckdb.__version__ == '$DUCKDB' and m.version('salesforce-lavis') == '$LAVIS'" 2>/dev/null; then
  exit 0
fi
# Debian's torch lives in /usr/bin/python3's dist-packages, so the venv is made from that interpreter
[ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "transformers==$TRANSFORMERS"
# --dtype fp16's converter; without its dependencies, whose protobuf pin would replace Debian's
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps "onnxconverter-common==$ONNXCONVERTER"
"$venv/bin/pip" install --quiet --disable-pip-version-check "duckdb==$DUCKDB"
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps "salesforce-lavis==$LAVIS"
"$venv/bin/python" -c "import transformers, torch, onnx; print(f'converter venv: transformers {transformers.__version__}, torch {torch.__version__}, onnx {onnx.__version__}')"
