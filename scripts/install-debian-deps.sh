#!/usr/bin/env bash
# Debian's packages the tests need: python3-torch and python3-onnx for the model zoo (training, export,
# Python tests; python3-jsonschema for the manifest check both Python sides apply; python3-venv for the converter's venv), and chromium for the HTML report's browser test (driven by playwright-core; no
# browser download); libvulkan1, the Vulkan loader through which the WebGPU tests reach the SwiftShader
# device that chromium ships. PyPI's torch wheels would pull gigabytes of CUDA libraries; Debian's torch is
# CPU-only and small. libopenblas0-pthread matters: without it torch trains about 20x slower.
set -euo pipefail
PKGS="python3-torch python3-onnx python3-numpy python3-pil python3-venv python3-jsonschema libopenblas0-pthread chromium libvulkan1"
if /usr/bin/python3 -c 'import torch, onnx, numpy, PIL, ensurepip, jsonschema' 2>/dev/null && dpkg -s libopenblas0-pthread >/dev/null 2>&1 && dpkg -s libvulkan1 >/dev/null 2>&1 && [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $PKGS >/dev/null
