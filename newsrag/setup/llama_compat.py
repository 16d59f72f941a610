"""Make llama-cpp-py-sync's prebuilt libllama load on glibc older than 2.38 (Debian 12 has 2.36).

The wheel is tagged manylinux2014 but its shared libraries were linked against glibc 2.38, and the
only symbols they take from 2.38 are the C23 parsers ``__isoc23_strtol``, ``__isoc23_strtoul``,
``__isoc23_strtoull`` and ``__isoc23_sscanf`` (glibc >= 2.38 redirects strtol & co. to them when
compiling with -std=c2x/gnu++2x). They differ from the classic ``strtol``/``sscanf`` only in also
accepting ``0b`` binary literals, which llama.cpp does not rely on. So each library is patched in
place, with no compiler: the symbol's name is pointed at its own suffix in .dynstr
(``__isoc23_strtol`` -> ``strtol``), its version is set to the library's ``GLIBC_2.2.5`` need,
and the now unused ``GLIBC_2.38`` need is marked weak so the loader no longer insists on it.
Idempotent; a no-op on glibc >= 2.38.
``newsrag setup`` (``newsrag.setup.ensure_models``) runs it, and so does every ``newsrag chat``.
"""

from __future__ import annotations

import importlib.util
import os
import struct
from pathlib import Path

_PREFIX = b"__isoc23_"
_NEW_VERSION = b"GLIBC_2.38"
_OLD_VERSION = b"GLIBC_2.2.5"
_VER_FLG_WEAK = 0x2
_SHT_DYNSYM, _SHT_VERNEED, _SHT_VERSYM = 11, 0x6FFFFFFE, 0x6FFFFFFF


def glibc_version() -> tuple[int, int]:
    name = os.confstr("CS_GNU_LIBC_VERSION") if hasattr(os, "confstr") else None
    if not name or not name.startswith("glibc "):
        return (99, 0)  # not glibc (or not Linux): nothing to do
    major, minor = name.split()[1].split(".")[:2]
    return int(major), int(minor)


def _cstr(data: bytes | bytearray, off: int) -> bytes:
    return bytes(data[off:data.index(b"\0", off)])


def patch_library(path: Path) -> bool:
    """Rewrite the library's glibc-2.38-only references in place; True if the file changed."""
    data = bytearray(path.read_bytes())
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError(f"{path}: not a little-endian 64-bit ELF file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    by_type = {s[1]: s for s in sections}
    if not {_SHT_DYNSYM, _SHT_VERNEED, _SHT_VERSYM} <= by_type.keys():
        return False
    dynsym, verneed, versym = by_type[_SHT_DYNSYM], by_type[_SHT_VERNEED], by_type[_SHT_VERSYM]
    strtab = sections[dynsym[6]][4]  # dynsym's sh_link is .dynstr; [4] is sh_offset

    # Walk the version needs: find libc's GLIBC_2.38 and GLIBC_2.2.5 indices.
    new_ndx = old_ndx = None
    new_aux_off = None
    off = verneed[4]
    while True:
        _, cnt, file_name, aux, nxt = struct.unpack_from("<HHIII", data, off)
        a = off + aux
        for _ in range(cnt):
            _, flags, other, name, anext = struct.unpack_from("<IHHII", data, a)
            if _cstr(data, strtab + file_name) == b"libc.so.6":
                vname = _cstr(data, strtab + name)
                if vname == _NEW_VERSION:
                    new_ndx, new_aux_off = other, a
                elif vname == _OLD_VERSION:
                    old_ndx = other
            a += anext
        if not nxt:
            break
        off += nxt
    if new_ndx is None or new_aux_off is None:
        return False

    dirty = False
    n_syms = dynsym[5] // 24
    for i in range(n_syms):
        ent = dynsym[4] + i * 24
        ver_off = versym[4] + i * 2
        ndx, = struct.unpack_from("<H", data, ver_off)
        if ndx & 0x7FFF != new_ndx:
            continue
        st_name, = struct.unpack_from("<I", data, ent)
        name = _cstr(data, strtab + st_name)
        if not name.startswith(_PREFIX):
            raise ValueError(f"{path}: {name.decode()} needs glibc 2.38 and has no older equivalent")
        struct.pack_into("<I", data, ent, st_name + len(_PREFIX))
        struct.pack_into("<H", data, ver_off, old_ndx if old_ndx is not None else 1)
        dirty = True
    flags, = struct.unpack_from("<H", data, new_aux_off + 4)
    if not flags & _VER_FLG_WEAK:
        struct.pack_into("<H", data, new_aux_off + 4, flags | _VER_FLG_WEAK)
        dirty = True
    if dirty:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        os.chmod(tmp, path.stat().st_mode)
        os.replace(tmp, path)
    return dirty


def library_dir() -> Path | None:
    spec = importlib.util.find_spec("llama_cpp_py_sync")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def ensure_loadable() -> list[Path]:
    """Patch llama-cpp-py-sync's libraries if this glibc is too old for them; the files changed."""
    folder = library_dir()
    if folder is None or glibc_version() >= (2, 38):
        return []
    return [p for p in sorted(folder.glob("lib*.so*")) if p.is_file() and patch_library(p)]

