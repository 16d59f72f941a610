"""``rag.chroma_access.GuardedChroma``: a client reads each collection before anything is written.

Embedded Chroma 1.5 catches a collection's vector index up with its log on the first read in a
process; when that read comes after the process's own writes, the next write applies every logged
vector again, in parallel with the new one, and the new vector can become unreachable by search
(about 3% of runs of "18 upserts, a get, an upsert, a query"; docstring of rag.chroma_access). So
every client, also one opened again, reads each collection first. The failure itself is too rare to
test directly; the order that prevents it is tested here, with the real embedded Chroma."""

from __future__ import annotations

from typing import Any

import chromadb

from rag.chroma_access import GuardedChroma


class Kept:
    """An object that keeps its collection as ``.collection`` (as rag.source_files does)."""

    def __init__(self, collection: Any):
        self.collection = collection


def spy(calls: list[str], name: str, collection: Any) -> Any:
    for method in ("count", "upsert"):
        real = getattr(collection, method)
        setattr(collection, method, lambda *a, _real=real, _m=method, **kw: (calls.append(f"{name}.{_m}"),
                                                                             _real(*a, **kw))[1])
    return collection


class Store(GuardedChroma):
    def __init__(self, client: Any, calls: list[str], **options: Any):
        self.calls = calls
        super().__init__(client, **options)

    def _collections(self, client: Any) -> dict[str, Any]:
        return {"main": spy(self.calls, "main", client.get_or_create_collection("main", embedding_function=None)),
                "side": Kept(spy(self.calls, "side", client.get_or_create_collection("side", embedding_function=None)))}


def test_every_client_reads_each_collection_before_it_writes(tmp_path):
    path = str(tmp_path / "index")
    calls: list[str] = []
    store = Store(chromadb.PersistentClient(path=path), calls, opener=lambda old: chromadb.PersistentClient(path=path))
    assert sorted(calls) == ["main.count", "side.count"]  # on opening, before any write

    calls.clear()
    store.write(lambda: store.main.upsert(ids=["a"], embeddings=[[1.0, 0.0]], documents=["a"]))
    assert calls == ["main.upsert"]  # not again for each write

    calls.clear()
    store.reopen()  # a fresh client (another process changed the index, or a read failed) reads first too
    store.write(lambda: store.main.upsert(ids=["b"], embeddings=[[0.0, 1.0]], documents=["b"]))
    assert sorted(calls[:2]) == ["main.count", "side.count"] and calls[2:] == ["main.upsert"]
    assert store.main.get(ids=["a", "b"])["ids"] == ["a", "b"]
