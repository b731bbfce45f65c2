#!/usr/bin/env bash
# CUDA for `xfbench run --device cuda`: onnxruntime-gpu's CUDA provider (the same version as the
# installed onnxruntime-node) and NVIDIA's CUDA 13 libraries, from PyPI's wheels or `--offline DIR`.
# Idempotent. Needs the NVIDIA driver to run on a GPU, not to install. docs/cuda.md explains it.
#   bash scripts/install-cuda.sh [--offline DIR] [--minimal] [--cuda-dir DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
exec "${PYTHON:-python3}" "$root/scripts/install_cuda.py" --ort-dir "${XFBENCH_ORT_DIR:-$root/node_modules/onnxruntime-node}" "$@"
