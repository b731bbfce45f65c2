"""
Zeroes, in a CUDA library's .nv_fatbin section, the code of every GPU architecture but one.

For scripts/device-check.sh only: onnxruntime-gpu's CUDA provider is 272 MB (177 MB compressed), more
than the device tool carries in the calls a check can afford; with only the H200's sm_90 code kept it
compresses to about 50 MB. The entries' headers stay and their payloads become zeros, so the file's
layout (and every offset in it) is unchanged; the driver picks the sm_90 entry and never reads the
others. Users install the whole provider with scripts/install-cuda.sh.

    python3 scripts/fatbin_keep_arch.py IN OUT [ARCH]     # ARCH: 90 (the default)
"""
from __future__ import annotations

import struct
import sys

FATBIN_MAGIC = 0xBA55ED50


def section(data: bytes, wanted: str) -> tuple[int, int]:
    """(offset, size) of an ELF64 little-endian file's section."""
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    header = lambda i: struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
    names = header(shstrndx)[4]
    for i in range(shnum):
        h = header(i)
        start = names + h[0]
        if data[start:data.index(b"\0", start)].decode() == wanted:
            return h[4], h[5]
    raise SystemExit(f"no {wanted} section")


def keep_arch(data: bytearray, arch: int) -> tuple[int, int]:
    """Zeroes every entry of another architecture; returns (bytes kept, bytes zeroed)."""
    pos, size = section(data, ".nv_fatbin")
    end, kept, zeroed = pos + size, 0, 0
    while pos < end:
        magic, _, header_size, fat_size = struct.unpack_from("<IHHQ", data, pos)
        if magic != FATBIN_MAGIC:  # padding between fat binaries
            pos += 8
            continue
        entry, last = pos + header_size, pos + header_size + fat_size
        while entry < last:
            _, _, entry_header, payload = struct.unpack_from("<HHIQ", data, entry)
            entry_arch, = struct.unpack_from("<I", data, entry + 28)
            start = entry + entry_header
            if entry_arch == arch:
                kept += payload
            else:
                data[start:start + payload] = bytes(payload)
                zeroed += payload
            entry = start + payload
        pos = last
    return kept, zeroed


if __name__ == "__main__":
    src, dst = sys.argv[1], sys.argv[2]
    arch = int(sys.argv[3]) if len(sys.argv) > 3 else 90
    data = bytearray(open(src, "rb").read())
    kept, zeroed = keep_arch(data, arch)
    if kept == 0:
        raise SystemExit(f"{src}: no sm_{arch} code in its fat binaries")
    open(dst, "wb").write(data)
    print(f"sm_{arch}: kept {kept} bytes of GPU code, zeroed {zeroed}")
