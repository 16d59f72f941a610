"""System-prompt KV snapshots for the in-process llama.cpp model: each system prompt is prefilled
once per process (or loaded from disk), not again at every switch from one prompt to another.

llama-cpp-py-sync reuses the longest common token prefix with the *previous* call only. The answer
chain alternates two prompts with different system messages (judge, phrase), so every question
prefilled both system messages again. Here the KV cells of a prompt's system part (its tokens
through ``<|im_start|>user\\n``) are copied out of llama.cpp once (``llama_state_seq_get_data``; about
28 KB a token for Qwen2.5-1.5B, a few MB a prompt) and copied back in (``llama_state_seq_set_data``)
when a prompt starting with that part would otherwise prefill it. With a ``folder``, each snapshot is
also written as a llama.cpp sequence-state file, which later processes load instead of prefilling.

The "system part" is a prompt's fixed part: its system message, any worked examples given as turns
before the last message (the follow-up rewrite has two), and the last user header.

Only the fixed part is ever reused: the cells after it are computed afresh by each call, even where
the previous prompt went on the same way (the question shared by consecutive judge calls). Computed
in another batch, they differ slightly, and a judgement then depended on what was asked before (P(Yes)
0.092 against 0.104 for the same prompt; one holdout answer changed with the order of the questions).
So the same prompt gets the same numbers in any order, at the cost of prefilling a shared question
again (a few dozen tokens, measured in docs/answers.md). Uses the pinned library's private prefix-cache fields
(``_chat_cache_key``, ``_chat_cache_tokens``, ``_prepare_chat_prefix``, ``_eval_tokens``), like rag.llm.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MIN_TOKENS = 16  # a shorter system part is cheaper to prefill than to bookkeep
MAX_FILES = 16  # saved states kept on disk (a few MB each)
SUFFIX = ".llstate"


def common_length(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for left, right in zip(a, b):
        if left != right:
            break
        n += 1
    return n


def system_part(llama: Any, chat: list[dict[str, str]], tokens: list[int]) -> list[int]:
    """The leading tokens of ``tokens`` (the templated ``chat``) that hold its fixed part: the system
    message, any worked examples as turns before the last message (the follow-up rewrite's), and the
    last user header; [] when the chat has no system message."""
    if len(chat) < 2 or chat[0]["role"] != "system" or chat[-1]["role"] != "user":
        return []
    prompt, _ = llama._format_chat_prompt(chat)
    bare, _ = llama._format_chat_prompt([*chat[:-1], {"role": "user", "content": ""}])
    head = llama.tokenize(os.path.commonprefix([prompt, bare]), add_special=True)
    return tokens[:common_length(head, tokens)]  # never past a token the full prompt tokenizes otherwise


class PrefixSnapshots:
    """Snapshots of seq 0 holding exactly a system part, by its tokens; the ``limit`` most recent
    kept in memory. Call ``prepare`` with the model's lock held, before the library's own
    ``_prepare_chat_prefix``: afterwards the context holds the system part whenever that saves work."""

    def __init__(self, ffi: Any, lib: Any, ctx: Any, *, folder: Path | None = None, identity: str = "",
                 limit: int = 8):
        self.ffi, self.lib, self.ctx = ffi, lib, ctx
        self.folder, self.identity, self.limit = folder, identity, limit
        self._saved: OrderedDict[tuple[int, ...], bytes] = OrderedDict()
        self.prefilled = 0

    def prepare(self, llama: Any, tokens: list[int], prefix: list[int], cache_key: str) -> str:
        """Make the context hold ``prefix`` (a leading part of ``tokens``) if it would otherwise be
        prefilled: restored from memory or disk, else prefilled now and kept. Returns what happened:
        "held", "restored", "loaded", "made" or "" (no usable prefix)."""
        key = tuple(prefix)
        self.prefilled = 0  # tokens this call prefilled itself (counted in the model's prefill speed)
        if len(key) < MIN_TOKENS or len(key) >= len(tokens):
            return ""
        same_session = getattr(llama, "_chat_cache_key", None) == cache_key  # both unset before the first call
        cached = getattr(llama, "_chat_cache_tokens", None) if same_session else None
        if common_length(cached or (), tokens[:-1]) >= len(key):
            # The context already starts with it (e.g. the next judge call). The cells after it go,
            # even where the previous prompt goes on as this one does: computed in another batch they
            # differ slightly from this prompt's own, and the same prompt must get the same numbers
            # whatever was asked before (the library's trim: the fixed part plus one token checked).
            llama._prepare_chat_prefix(tokens[:len(key) + 1], cache_key)
            return "held"
        state = self._saved.get(key)
        how = "restored"
        if state is None and self.folder is not None:
            state, how = self._load_file(llama, key), "loaded"
        if state is not None and self._restore(llama, key, state, cache_key):
            self._keep(key, state)
            return how
        # The fixed part alone, from an empty context, so that seq 0 holds exactly it, computed as it
        # always is (not continuing the part another prompt shares with it, in other batches).
        llama._clear_context_state()
        llama._chat_cache_key, llama._chat_cache_tokens = cache_key, []
        llama._eval_tokens(list(key), 0)
        self.prefilled = len(key)
        state = self._copy_out()
        if state is not None:
            self._keep(key, state)
            self._save_file(key, state)
        return "made"

    # -- llama.cpp sequence state --------------------------------------------------------------------
    def _copy_out(self) -> bytes | None:
        size = self.lib.llama_state_seq_get_size(self.ctx, 0)
        buffer = self.ffi.new("uint8_t[]", size)
        written = self.lib.llama_state_seq_get_data(self.ctx, buffer, size, 0)
        return bytes(self.ffi.buffer(buffer, written)) if written else None

    def _restore(self, llama: Any, key: tuple[int, ...], state: bytes, cache_key: str) -> bool:
        llama._clear_context_state()
        if not self.lib.llama_state_seq_set_data(self.ctx, self.ffi.from_buffer(state), len(state), 0):
            log.warning("llama.cpp refused a saved prompt state; prefilling instead")
            llama._clear_context_state()
            self._saved.pop(key, None)
            return False
        llama._chat_cache_key, llama._chat_cache_tokens = cache_key, list(key)
        return True

    def _keep(self, key: tuple[int, ...], state: bytes) -> None:
        self._saved[key] = state
        self._saved.move_to_end(key)
        while len(self._saved) > self.limit:
            self._saved.popitem(last=False)

    # -- files: one per system part, named for the model, the context and the tokens -------------------
    def _path(self, key: tuple[int, ...]) -> Path:
        assert self.folder is not None  # callers look for files only when there is a folder
        digest = hashlib.sha256(f"{self.identity}|{','.join(map(str, key))}".encode()).hexdigest()[:32]
        return self.folder / f"{digest}{SUFFIX}"

    def _save_file(self, key: tuple[int, ...], state: bytes) -> None:
        if self.folder is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tokens = self.ffi.new("llama_token[]", list(key))
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            os.close(fd)
            if self.lib.llama_state_seq_save_file(self.ctx, tmp.encode(), 0, tokens, len(key)):
                os.replace(tmp, self._path(key))  # whole or not at all, whoever else writes it
            else:
                os.unlink(tmp)
            # Prompts change between versions: keep the most recently used files only.
            files = sorted(self.folder.glob(f"*{SUFFIX}"), key=lambda f: f.stat().st_mtime, reverse=True)
            for old in files[MAX_FILES:]:
                old.unlink(missing_ok=True)
        except OSError as exc:  # a cache: a read-only home costs speed, not the answer
            log.warning("cannot save the prompt state in %s: %s", self.folder, exc)

    def _load_file(self, llama: Any, key: tuple[int, ...]) -> bytes | None:
        """A saved state for exactly these tokens, loaded into seq 0 and copied out; None if absent."""
        path = self._path(key)
        if not path.is_file():
            return None
        tokens = self.ffi.new("llama_token[]", len(key) + 1)
        count = self.ffi.new("size_t *")
        llama._clear_context_state()
        read = self.lib.llama_state_seq_load_file(self.ctx, str(path).encode(), 0, tokens, len(key) + 1, count)
        if not read or count[0] != len(key) or list(tokens[0:count[0]]) != list(key):
            log.warning("ignoring the unusable prompt state %s", path)
            return None
        try:
            os.utime(path)  # used: kept when old files are dropped
        except OSError:
            pass
        return self._copy_out()
