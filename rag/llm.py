"""The default offline LLM: a GGUF model run in-process by llama.cpp, as a LangChain chat model.

Uses llama-cpp-py-sync (prebuilt CPU libllama, CFFI). The model is loaded lazily, once, on the first
call (or by ``load``); calls are serialized by a lock (a llama.cpp context is not thread-safe), and
each call reuses only the KV cells of its prompt's fixed part (system prompt, worked examples), kept
apart per prompt (``rag.llama_prefix``), so that switching between prompts does not prefill a system
prompt again and the same prompt gets the same numbers whatever was asked before; with
``prefix_cache_dir`` they are saved for later processes too, and ``prime`` prepares them ahead of the
first question.
Greedy (temperature 0 -> top_k=1) with a fixed seed, so the same prompt gives the same answer.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.chat_models import generate_from_stream
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from rag.errors import BackendError, ConfigError, InputError

log = logging.getLogger(__name__)
_ROLES = ((SystemMessage, "system"), (HumanMessage, "user"), (AIMessage, "assistant"))
# Chat-template control tokens (<|im_start|>, <|im_end|>, ...): the prompt is tokenized with special
# tokens parsed, so text from articles or users must not be able to fake a role boundary.
_CONTROL = re.compile(r"<\|[A-Za-z0-9_]+\|>")
_log_callback = None  # the C log callback must stay referenced for the life of the process
N_BATCH = 512  # tokens per llama_decode
JUDGE_SEQS = 8  # prompts whose next token one decode scores together (``ChatLlamaCpp.batch``)


def _quiet_llama_logs(ffi: Any, lib: Any) -> None:
    """llama.cpp prints hundreds of lines to stderr on load even with verbose=False: keep errors only."""
    global _log_callback
    if _log_callback is None:
        @ffi.callback("ggml_log_callback")
        def _log(level: int, text: Any, _user: Any) -> None:
            if level == 4:  # GGML_LOG_LEVEL_ERROR
                log.error("llama.cpp: %s", ffi.string(text).decode("utf-8", "replace").rstrip())
        _log_callback = _log
    lib.llama_log_set(_log_callback, ffi.NULL)


class _LayerTap:
    """Copies one tensor of the model's graph, by name, from each ``llama_decode`` while ``on``:
    llama.cpp's eval callback (``cb_eval``), which is asked about every node of the graph and then
    handed the ones it asked for once they are computed. The pinned library declares ``ggml_tensor``
    opaque, so its fields are read at their offsets in ggml's struct (type, ne[4] at 16, data at 248,
    name at 256); a tensor that is not contiguous float32 is not copied, and then nothing is probed."""

    _NE, _NB, _DATA, _NAME = 16, 48, 248, 256

    def __init__(self, ffi: Any, name: str) -> None:
        self.name, self.on = name.encode(), False
        self.rows: list[Any] = []

        # An exception inside must not return False for a computed tensor: that would stop the graph.
        @ffi.callback("ggml_backend_sched_eval_callback", onerror=lambda *_: True)
        def _callback(tensor: Any, ask: bool, _user: Any) -> bool:
            if not self.on:
                return not ask  # asked: not needed; a computed tensor (never, then): go on
            at = ffi.cast("char *", tensor)
            if ffi.string(at + self._NAME, 64) != self.name:
                return not ask  # False: not needed; True on a computed tensor: go on (False would stop)
            if not ask:
                ne, nb = ffi.cast("int64_t *", at + self._NE), ffi.cast("size_t *", at + self._NB)
                if ffi.cast("int32_t *", at)[0] == 0 and nb[0] == 4 and nb[1] == 4 * ne[0]:  # GGML_TYPE_F32
                    import numpy as np

                    data = ffi.cast("float *", ffi.cast("void **", at + self._DATA)[0])
                    self.rows.append(np.frombuffer(ffi.buffer(data, 4 * ne[0] * ne[1]), dtype=np.float32)
                                     .reshape(ne[1], ne[0]).copy())
            return True

        self.callback = _callback

    @contextmanager
    def capture(self) -> Iterator[_Captured]:
        """Copies the tensor from the decodes inside the block; afterwards (whatever happened) the
        yielded ``hidden`` holds one row per token decoded, or None."""
        import numpy as np

        got = _Captured()
        self.on, self.rows = True, []
        try:
            yield got
        finally:
            self.on = False
            rows, self.rows = self.rows, []
            got.hidden = np.concatenate(rows) if rows else None


@dataclass
class _Captured:
    hidden: Any = None


@contextmanager
def _capturing(tap: _LayerTap | None) -> Iterator[_Captured]:
    """``tap.capture()``, or a capture that stays empty without a tap."""
    if tap is None:
        yield _Captured()
    else:
        with tap.capture() as got:
            yield got


def _replace_context(llama: Any, ffi: Any, lib: Any, n_ctx: int, n_threads: int, tap: _LayerTap | None = None) -> None:
    """Swap the library's context for one without embeddings output (pinned 0.11739's private attrs).

    Llama() always creates its context with embeddings on (for audio models); llama.cpp then outputs
    every prompt token, and prompt processing ran at half speed here (~40 vs ~80 tok/s). Toggling it
    with llama_set_embeddings() on the live context crashed in llama_decode, so build a new one.
    """
    params = lib.llama_context_default_params()
    # Sequence 0 holds the prompt; 1..JUDGE_SEQS the suffixes of prompts decoded together
    # (``ChatLlamaCpp.batch``), in one unified KV cache so that they share sequence 0's cells.
    params.n_ctx, params.n_batch, params.n_ubatch, params.n_seq_max = n_ctx, N_BATCH, N_BATCH, 1 + JUDGE_SEQS
    params.kv_unified = True
    params.n_threads = params.n_threads_batch = n_threads
    params.embeddings = False
    params.flash_attn_type = -1  # auto: on for CPU, faster prompt processing
    if tap is not None:
        params.cb_eval, params.cb_eval_user_data = tap.callback, ffi.NULL
    ctx = lib.llama_init_from_model(llama._model, params)
    if ctx == ffi.NULL:
        raise ConfigError(f"llama.cpp could not create a {n_ctx}-token context for the local model")
    lib.llama_free(llama._ctx)
    llama._ctx = ctx


def to_chat_dicts(messages: list[BaseMessage]) -> list[dict[str, str]]:
    out = []
    for m in messages:
        role = next((r for cls, r in _ROLES if isinstance(m, cls)), None)
        if role is None:
            raise InputError(f"the local model takes system, human and AI messages, not {m.type!r}")
        out.append({"role": role, "content": _CONTROL.sub("", m.text)})
    return out


class ChatLlamaCpp(BaseChatModel):
    """Chat model over a local GGUF file (llama.cpp in this process, CPU)."""

    model_path: str
    n_ctx: int = 4096
    n_threads: int = 2
    max_tokens: int = 200
    temperature: float = 0.0  # 0 = greedy (sampled with top_k=1)
    top_k: int = 40  # only used when temperature > 0
    top_p: float = 0.95
    repeat_penalty: float = 1.15  # without it one answer looped (shared/notes/models.md)
    repeat_last_n: int = 64
    seed: int = 42
    prefix_cache_dir: str | None = None  # where system-prompt KV states are saved for later processes
    probe_path: str | None = None  # a ``rag.judge_probe`` file: judgements also get P(answers) from it

    _probe: Any = PrivateAttr(default=None)
    _tap: Any = PrivateAttr(default=None)

    _llama: Any = PrivateAttr(default=None)
    _snapshots: Any = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)
    _cache_key: str = PrivateAttr(default_factory=lambda: f"newsrag-{uuid.uuid4().hex}")
    _last_stats: dict[str, Any] = PrivateAttr(default_factory=dict)
    _prefill: list[float] = PrivateAttr(default_factory=lambda: [0, 0.0])  # tokens, seconds since load

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> ChatLlamaCpp:
        return cls(model_path=str(settings.gguf_path), n_ctx=settings.llm_ctx, n_threads=settings.llm_threads,
                   max_tokens=settings.llm_max_tokens, prefix_cache_dir=str(settings.llm_prefix_cache_dir),
                   probe_path=str(settings.judge_probe_path) if settings.judge_probe_path else None, **overrides)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp-py-sync"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": Path(self.model_path).name, "n_ctx": self.n_ctx, "max_tokens": self.max_tokens,
                "temperature": self.temperature, "top_k": self.top_k if self.temperature > 0 else 1,
                "top_p": self.top_p, "repeat_penalty": self.repeat_penalty, "seed": self.seed}

    @property
    def prefill_totals(self) -> tuple[int, float]:
        """(prompt tokens processed, seconds spent on them) over every call so far: prefill speed."""
        return int(self._prefill[0]), float(self._prefill[1])

    def _count_prefill(self, stats: dict[str, Any]) -> None:
        self._prefill[0] += stats.get("prefilled_tokens") or 0
        self._prefill[1] += stats.get("prefill_seconds") or 0.0

    @property
    def last_stats(self) -> dict[str, Any]:
        """llama-cpp-py-sync's figures for the last call: input_tokens, reused_tokens, ttft_seconds, ..."""
        return dict(self._last_stats)

    def load(self) -> None:
        """Load the model now (e.g. at server start) rather than on the first question."""
        with self._lock:
            self._load()

    def close(self) -> None:
        """Free the model now. Left to the garbage collector, llama-cpp-py-sync's ``Llama.__del__``
        can run inside a CFFI type parse of another call and deadlock on CFFI's lock (seen in the
        tests, which load and drop several models); a closed model frees nothing there."""
        with self._lock:
            if self._llama is not None:
                self._llama.close()
                self._llama, self._snapshots = None, None

    def _load(self) -> Any:  # call with self._lock held
        if self._llama is None:
            if not Path(self.model_path).is_file():
                raise ConfigError(f"local model {self.model_path} not found: run `make setup`")
            # Deferred: importing llama_cpp_py_sync pulls in CFFI and numpy, and its native library
            # only loads on this machine after `make setup`; other answer modes must not pay for it.
            import llama_cpp_py_sync
            from llama_cpp_py_sync._cffi_bindings import get_ffi, get_lib
            self._probe = self._read_probe()  # a bad probe file fails before the model is loaded
            try:
                _quiet_llama_logs(get_ffi(), get_lib())
                llama = llama_cpp_py_sync.Llama(self.model_path, n_ctx=self.n_ctx, n_threads=self.n_threads,
                                                seed=self.seed, verbose=False)
            except RuntimeError as e:
                hint = " (glibc too old for the prebuilt library: run `make setup`)" if "GLIBC" in str(e) else ""
                raise ConfigError(f"cannot load the local model {self.model_path}{hint}: {e}".split("\n")[0]) from e
            self._tap = _LayerTap(get_ffi(), self._probe.tensor) if self._probe else None
            _replace_context(llama, get_ffi(), get_lib(), self.n_ctx, self.n_threads, self._tap)
            from rag.llama_prefix import PrefixSnapshots

            stat = Path(self.model_path).stat()  # saved states belong to this model file, context and library
            identity = (f"{Path(self.model_path).name}|{stat.st_size}|{stat.st_mtime_ns}|{self.n_ctx}|"
                        f"{1 + JUDGE_SEQS}u|{llama_cpp_py_sync.__version__}")
            self._snapshots = PrefixSnapshots(get_ffi(), get_lib(), llama._ctx, identity=identity,
                                              folder=Path(self.prefix_cache_dir) if self.prefix_cache_dir else None)
            # The library tokenizes the templated chat prompt without parsing special tokens, so the
            # model would see "<|im_start|>" as plain text (and then writes "<|im_end|>" as text).
            base = type(llama).tokenize
            llama.tokenize = (  # type: ignore[method-assign]
                lambda text, add_special=True, parse_special=True: base(llama, text, add_special, True))
            self._llama = llama
        return self._llama

    def _read_probe(self) -> Any:
        """The judge probe, when one is configured and was trained on this model file."""
        if not self.probe_path:
            return None
        from rag.judge_probe import Probe

        probe = Probe.load(Path(self.probe_path))
        if probe.model != Path(self.model_path).name:
            log.warning("judge probe %s belongs to %s, not %s: judging by P(Yes) alone",
                        self.probe_path, probe.model, Path(self.model_path).name)
            return None
        return probe

    @property
    def probes(self) -> bool:
        """Does this model add P(answers) from the judge probe to its judgements (once loaded)?"""
        return self._probe is not None

    def _probed(self, hidden: Any) -> float | None:
        return None if hidden is None or self._probe is None else self._probe.p(hidden)

    def _system_state(self, llama: Any, chat: list[dict[str, str]], tokens: list[int] | None = None) -> dict[str, Any]:
        """Put the KV cells of the prompt's system part in place if that saves prefill (call with the
        lock held, before the library's prefix check); figures for the call's stats."""
        from rag.llama_prefix import system_part

        if tokens is None:
            tokens = llama.tokenize(llama._format_chat_prompt(chat)[0], add_special=True)
        started = time.perf_counter()
        try:
            prefix = system_part(llama, chat, tokens)
            how = self._snapshots.prepare(llama, tokens, prefix, self._cache_key)
        except RuntimeError as e:
            llama._clear_context_state()
            raise BackendError(f"the local model failed: {e}") from e
        seconds = time.perf_counter() - started
        if self._snapshots.prefilled:
            self._count_prefill({"prefilled_tokens": self._snapshots.prefilled, "prefill_seconds": seconds})
        return {"system_state": how, "system_state_seconds": seconds, "system_prefilled": self._snapshots.prefilled,
                "system_tokens": len(prefix) if how else 0}

    def prime(self, prompts: list[list[BaseMessage]]) -> None:
        """Load the model and have each prompt's system part ready (prefilled, or loaded from
        ``prefix_cache_dir``), so that no question pays for it: e.g. at server start."""
        with self._lock:
            llama = self._load()
            for messages in prompts:
                self._system_state(llama, to_chat_dicts(messages))

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        chat = to_chat_dicts(messages)
        greedy = self.temperature <= 0
        stats: dict[str, Any] = {}
        with self._lock:
            llama = self._load()
            before = self._system_state(llama, chat)
            pieces = llama.create_chat_completion(
                chat, max_tokens=kwargs.get("max_tokens", self.max_tokens), temperature=max(self.temperature, 0.0),
                top_k=1 if greedy else self.top_k, top_p=1.0 if greedy else self.top_p, min_p=0.0,
                repeat_penalty=self.repeat_penalty, repeat_last_n=self.repeat_last_n,
                stop_sequences=list(stop or []) or None, stream=True, seed=self.seed,
                cache_key=self._cache_key, on_stats=stats.update)
            try:
                for chunk in pieces:
                    piece = chunk["choices"][0]["delta"].get("content")
                    if piece:
                        if run_manager:
                            run_manager.on_llm_new_token(piece)
                        yield ChatGenerationChunk(message=AIMessageChunk(content=piece))
            except ValueError as e:
                if "context window" in str(e):
                    raise InputError(f"question and sources are too long for the local model's "
                                     f"{self.n_ctx}-token context: use fewer or shorter sources") from e
                raise
            except RuntimeError as e:
                raise BackendError(f"the local model failed: {e}") from e
            finally:
                pieces.close()  # finish the library's generator while we still hold the lock
                self._count_prefill(stats)
                stats.update(before)
                self._last_stats = stats
        yield ChatGenerationChunk(message=AIMessageChunk(
            content="", response_metadata={"model_name": Path(self.model_path).name, "llama_stats": stats}))

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        if kwargs.get("logprobs"):
            return self._next_token_logprobs(messages, int(kwargs.get("top_logprobs") or 20))
        return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))

    def batch(self, inputs: list[Any], config: Any = None, *, return_exceptions: bool = False,
              **kwargs: Any) -> list[AIMessage]:
        """Next-token log-probabilities for several prompts (``llm.bind(logprobs=True).batch(...)``,
        as ``rag.decide.judge`` asks) are scored in one decode: the prompts' shared start (system
        part and question) once, in sequence 0, and each prompt's own rest as its own sequence on
        top of it. Anything else, and a batch that asks for callbacks or for errors per input, is
        LangChain's batch (one call after another, under the lock)."""
        configs = config if isinstance(config, list) else [config or {}]
        if not kwargs.get("logprobs") or len(inputs) < 2 or return_exceptions or any(c.get("callbacks") for c in configs):
            return super().batch(inputs, config, return_exceptions=return_exceptions, **kwargs)
        prompts = [self._convert_input(i).to_messages() for i in inputs]
        return self._next_token_logprobs_many(prompts, int(kwargs.get("top_logprobs") or 20))

    def _next_token_logprobs(self, messages: list[BaseMessage], top: int) -> ChatResult:
        """One step: the most likely next tokens and their log-probabilities, in OpenAI's
        ``logprobs`` shape (so ``llm.bind(logprobs=True, top_logprobs=n)`` reads the same from this
        model and from an OpenAI-compatible server). ``rag.decide`` reads a yes/no judgement from
        it as a probability instead of one sampled token.

        Uses the pinned library's prompt formatting, prefix cache and decode (private, 0.11739), so
        the prompt's cached prefix is shared with ordinary generation calls."""
        from llama_cpp_py_sync._cffi_bindings import get_ffi, get_lib

        ffi, lib = get_ffi(), get_lib()
        with self._lock:
            llama = self._load()
            prompt, _ = llama._format_chat_prompt(to_chat_dicts(messages))
            tokens = llama.tokenize(prompt, add_special=True)
            if len(tokens) + 1 >= self.n_ctx:
                raise InputError(f"the prompt is too long for the local model's {self.n_ctx}-token context")
            before = self._system_state(llama, to_chat_dicts(messages), tokens)
            try:
                reused, status = llama._prepare_chat_prefix(tokens, self._cache_key)
                started = time.perf_counter()
                with _capturing(self._tap) as got:
                    llama._eval_tokens(tokens[reused:], reused)
                prefill = time.perf_counter() - started
                row = _logits(ffi, lib, llama, -1)
            except RuntimeError as e:
                llama._clear_context_state()
                raise BackendError(f"the local model failed: {e}") from e
            self._note_prefill(before, input_tokens=len(tokens), reused_tokens=reused, cache_status=status,
                               prefilled_tokens=len(tokens) - reused, prefill_seconds=prefill)
            probed = self._probed(None if got.hidden is None else got.hidden[-1])
            return ChatResult(generations=[ChatGeneration(message=self._top_tokens(llama, row, top, probed))])

    def _next_token_logprobs_many(self, prompts: list[list[BaseMessage]], top: int) -> list[AIMessage]:
        """``_next_token_logprobs`` for each prompt, decoded together (``batch``). Sequence 0 keeps
        the shared start afterwards, as after an ordinary call, so the library's prefix reuse goes
        on as before; the other sequences are removed."""
        from llama_cpp_py_sync._cffi_bindings import get_ffi, get_lib

        from rag.llama_prefix import common_length

        ffi, lib = get_ffi(), get_lib()
        chats = [to_chat_dicts(m) for m in prompts]
        with self._lock:
            llama = self._load()
            tokens = [llama.tokenize(llama._format_chat_prompt(chat)[0], add_special=True) for chat in chats]
            # Each prompt keeps at least one token of its own: its logits are read from that token.
            shared = min(min(common_length(tokens[0], t) for t in tokens), min(map(len, tokens)) - 1)
            own = [t[shared:] for t in tokens]
            groups = [own[at:at + JUDGE_SEQS] for at in range(0, len(own), JUDGE_SEQS)]  # one decode's worth each
            if shared + max(sum(map(len, group)) for group in groups) + 1 >= self.n_ctx:
                raise InputError(f"the prompts are too long for the local model's {self.n_ctx}-token context")
            before = self._system_state(llama, chats[0], tokens[0])
            try:
                reused, status = llama._prepare_chat_prefix(tokens[0][:shared + 1], self._cache_key)
                started = time.perf_counter()
                llama._eval_tokens(tokens[0][reused:shared], reused)
                rows = [row for group in groups for row in _decode_beside(ffi, lib, llama, group, shared, self._tap)]
                prefill = time.perf_counter() - started
            except RuntimeError as e:
                llama._clear_context_state()
                raise BackendError(f"the local model failed: {e}") from e
            processed = shared - reused + sum(map(len, own))
            self._note_prefill(before, input_tokens=sum(map(len, tokens)), reused_tokens=reused, cache_status=status,
                               prefilled_tokens=processed, prefill_seconds=prefill, batched=len(tokens))
            return [self._top_tokens(llama, row, top, self._probed(hidden)) for row, hidden in rows]

    def _note_prefill(self, before: dict[str, Any], **stats: Any) -> None:
        self._last_stats = stats
        self._count_prefill(stats)
        self._last_stats.update(before)

    def _top_tokens(self, llama: Any, row: Any, top: int, probed: float | None = None) -> AIMessage:
        """The ``top`` most likely next tokens of a logits row, as an ``AIMessage`` holding OpenAI's
        ``logprobs`` shape; its content is the most likely token. ``probed``: the judge probe's
        P(answers) for the prompt, kept as ``answer_probe`` beside the log-probabilities."""
        import numpy as np

        logp = row - (row.max() + np.log(np.exp(row - row.max()).sum()))
        best = np.argpartition(-logp, top)[:top]  # the top entries of ~150k, without a full sort
        best = best[np.argsort(-logp[best])]
        entries = [{"token": llama.token_to_piece(int(t)), "logprob": float(logp[t])} for t in best]
        metadata: dict[str, Any] = {"model_name": Path(self.model_path).name,
                                    "logprobs": {"content": [{**entries[0], "top_logprobs": entries}]}}
        if probed is not None:
            metadata["answer_probe"] = probed
        return AIMessage(content=entries[0]["token"], response_metadata=metadata)


def _logits(ffi: Any, lib: Any, llama: Any, i: int) -> Any:
    """A copy of the logits of output ``i`` of the last decode (float64)."""
    import numpy as np

    n_vocab = llama.n_vocab
    return np.frombuffer(ffi.buffer(lib.llama_get_logits_ith(llama._ctx, i), 4 * n_vocab),
                         dtype=np.float32).astype(np.float64)


def _decode_beside(ffi: Any, lib: Any, llama: Any, suffixes: list[list[int]], start: int,
                   tap: _LayerTap | None = None) -> list[tuple[Any, Any]]:
    """Decode each of ``suffixes`` (at most ``JUDGE_SEQS``) as its own sequence continuing the
    ``start`` tokens held by sequence 0, all in the same batches; the logits after each suffix, and
    ``tap``'s hidden state at its last token (None without one). The sequences are removed again,
    whatever happens."""
    memory = lib.llama_get_memory(llama._ctx)
    for seq in range(1, len(suffixes) + 1):
        lib.llama_memory_seq_cp(memory, 0, seq, -1, -1)  # shares sequence 0's cells (unified cache)
    flat = [(seq, start + j, token, j == len(suffix) - 1)
            for seq, suffix in enumerate(suffixes, 1) for j, token in enumerate(suffix)]
    rows: dict[int, Any] = {}
    hidden: dict[int, Any] = {}
    try:
        for at in range(0, len(flat), N_BATCH):
            chunk = flat[at:at + N_BATCH]
            batch = lib.llama_batch_init(len(chunk), 0, 1)
            try:
                batch.n_tokens = len(chunk)
                for i, (seq, pos, token, last) in enumerate(chunk):
                    batch.token[i], batch.pos[i], batch.n_seq_id[i], batch.logits[i] = token, pos, 1, int(last)
                    batch.seq_id[i][0] = seq
                with _capturing(tap) as got:
                    result = lib.llama_decode(llama._ctx, batch)
                if result != 0:
                    raise RuntimeError(f"llama_decode failed with code {result}")
                rows.update((seq, _logits(ffi, lib, llama, i)) for i, (seq, _, _, last) in enumerate(chunk) if last)
                if got.hidden is not None and len(got.hidden) == len(chunk):  # one row per token, in batch order
                    hidden.update((seq, got.hidden[i]) for i, (seq, _, _, last) in enumerate(chunk) if last)
            finally:
                lib.llama_batch_free(batch)
    finally:
        for seq in range(1, len(suffixes) + 1):
            lib.llama_memory_seq_rm(memory, seq, -1, -1)
    return [(rows[seq], hidden.get(seq)) for seq in range(1, len(suffixes) + 1)]
