#!/usr/bin/env bash
# The BLIP-2-shaped bench point on a GPU machine, in one go: xfbench on --device webgpu (onnxruntime-
# node's WebGPU provider over the GPU's Vulkan driver; its CUDA provider needs libraries its installer
# downloads, which such a machine cannot reach) against transformers on torch's CUDA device.
#
# That machine reaches no registry, so what it needs travels with the working tree, compressed, in
# three parts, because the device tool carries 64 MiB a call, the working tree (~24 MB) included:
#   bash scripts/device-check.sh pack            # here: writes .device-pack/{1-node,2-modules,3-python}
#   bash scripts/device-check.sh run [--quick]   # there, in the repository root, once per part
#   (run --tiny-only: all but the BLIP-2-shaped point, a dry run of the script on any machine)
# With the device tool, three calls in a row (the machine keeps /tmp/xfbench-device while it is warm):
#   run(command="bash scripts/device-check.sh run --quick", carry=[".device-pack/1-node"]), then the
#   same with ".device-pack/2-modules", then with ".device-pack/3-python": each call unpacks its part
#   and the call that finds all three unpacked runs the check.
# The pack holds Node (the machine has none), xfbench's built files and production modules for
# linux-x64 only, Debian's Vulkan loader (libvulkan1; the NVIDIA driver brings the ICD), and the
# wheels of the converter's transformers (the machine's own is a 5.x that the converter is not
# written for; its torch is used as is). Results: $OUT/device-check.json and $OUT/device-check.log.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PACK="$ROOT/.device-pack"
MODE="${1:-}"
shift || true

pack() {
  cd "$ROOT"
  rm -rf "$PACK" && mkdir -p "$PACK/1-node" "$PACK/2-modules" "$PACK/3-python"
  grep -qx '/.device-pack/' .git/info/exclude 2>/dev/null || echo '/.device-pack/' >> .git/info/exclude
  npx tsc -p tsconfig.json
  xz -T0 -6 -c "$(readlink -f "$(command -v node)")" > "$PACK/1-node/node.xz"
  # production packages only, without the other platforms' onnxruntime and sharp binaries
  mapfile -t prod < <(npm ls --omit=dev --parseable --all 2>/dev/null | sed "s#^$ROOT/##" | grep '^node_modules/' | sort -u)
  tar -cJf "$PACK/2-modules/modules.tar.xz" --exclude='node_modules/onnxruntime-node/bin/napi-v6/darwin' \
    --exclude='node_modules/onnxruntime-node/bin/napi-v6/win32' --exclude='node_modules/onnxruntime-node/bin/napi-v6/linux/arm64' \
    --no-recursion $(printf '%s\n' "${prod[@]}" | while read -r d; do find "$d" -path '*/node_modules/*/node_modules' -prune -o -print; done | sort -u)
  tar -cJf "$PACK/2-modules/dist.tar.xz" dist
  (cd "$PACK/2-modules" && mkdir -p /tmp/device-pack-apt/partial && o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/device-pack-apt' \
    && apt-get $o update -qq && apt-get $o download -qq libvulkan1)
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d "$PACK/3-python" \
    transformers==4.44.2 tokenizers==0.19.1 huggingface_hub==0.24.7
  local tree part
  tree=$(git ls-files -z | du -cb --files0-from=- | tail -1 | cut -f1)
  for part in "$PACK"/*/; do
    echo "$(basename "$part"): $(du -sb "$part" | cut -f1) bytes + working tree $tree bytes (64 MiB = 67108864 a call)"
  done
}

DEVICE=/tmp/xfbench-device

# Unpacks the parts this call carried; says whether all it needs are unpacked now ($1 = 0: not Python's).
unpack() {
  local needs_python="${1:-1}"
  mkdir -p "$DEVICE/bin"
  if [ -f "$PACK/1-node/node.xz" ] && [ ! -x "$DEVICE/bin/node" ]; then
    xz -dc "$PACK/1-node/node.xz" > "$DEVICE/bin/node.partial" && chmod +x "$DEVICE/bin/node.partial" && mv "$DEVICE/bin/node.partial" "$DEVICE/bin/node"
  fi
  # into the checkout itself (the device tool keeps ignored paths there between calls): xfbench finds
  # its package.json from dist/'s real path
  if [ -f "$PACK/2-modules/modules.tar.xz" ] && [ ! -f node_modules/.device-check ]; then
    tar -xJf "$PACK/2-modules/modules.tar.xz" && tar -xJf "$PACK/2-modules/dist.tar.xz"
    cp "$PACK"/2-modules/libvulkan1_*.deb "$DEVICE/" && touch node_modules/.device-check
  fi
  if compgen -G "$PACK/3-python/*.whl" > /dev/null && [ ! -f "$DEVICE/site/.done" ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$DEVICE/site" "$PACK"/3-python/*.whl \
      || { echo "the wheels in 3-python are for the GPU machine's Python 3.12" >&2; return 1; }
    touch "$DEVICE/site/.done"
  fi
  [ -x "$DEVICE/bin/node" ] && [ -f node_modules/.device-check ] && { [ "$needs_python" = 0 ] || [ -f "$DEVICE/site/.done" ]; }
}

# The unpacked parts in use: node on PATH, the Vulkan loader, the converter's transformers.
use_unpacked() {
  if ! ldconfig -p | grep -q libvulkan.so.1; then dpkg -x "$DEVICE"/libvulkan1_*.deb / && ldconfig; fi
  export PATH="$DEVICE/bin:$PATH" PYTHONPATH="$DEVICE/site" XFBENCH_PYTHON=python3
  # the NVIDIA driver's Vulkan ICD, where the machine mounts it (the device tool's README)
  if [ -z "${VK_ICD_FILENAMES:-}" ] && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  fi
}

run() {
  cd "$ROOT"
  local out="${OUT:-$ROOT/device-check-out}" quick="" bench=1 arg
  for arg in "$@"; do
    case "$arg" in
      --quick) quick="--quick" ;;
      --tiny-only) bench=0 ;;  # everything but the BLIP-2-shaped point: a dry run of the script on any machine
    esac
  done
  mkdir -p "$out"
  if ! unpack "$bench"; then
    echo "unpacked so far: node $([ -x "$DEVICE/bin/node" ] && echo yes || echo no), modules $([ -f node_modules/.device-check ] && echo yes || echo no), python $([ -f "$DEVICE/site/.done" ] && echo yes || echo no); carry the next part of .device-pack in the next call"
    return 0
  fi
  use_unpacked
  {
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
    node --version
    ./bin/run.js doctor
    # the same answers as the CPU on the tiny bundle first: a provider that runs but computes wrongly stops here
    ./bin/run.js run gqa --device webgpu --limit 48 --out "$out/tiny-webgpu" --json > /dev/null
    ./bin/run.js run gqa --device cpu --limit 48 --out "$out/tiny-cpu" --json > /dev/null
    if cmp -s <(cut -d, -f1-5 "$out/tiny-webgpu/predictions.jsonl") <(cut -d, -f1-5 "$out/tiny-cpu/predictions.jsonl"); then
      echo "tiny bundle: webgpu answers = cpu answers (48 questions)"
    else
      echo "tiny bundle: webgpu answers DIFFER from cpu answers"
    fi
    [ "$bench" = 1 ] && PYTHONUNBUFFERED=1 node dist/bench/bench.js --blip2-only $quick --device webgpu --torch-device cuda --json > "$out/device-check.json"
  } 2>&1 | tee "$out/device-check.log"
}

case "$MODE" in
  pack) pack ;;
  run) run "$@" ;;
  *) echo "usage: bash scripts/device-check.sh pack | run [--quick]" >&2; exit 2 ;;
esac
