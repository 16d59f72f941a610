"""``rag.chroma_access.GuardedChroma``: the order of a fresh client's first read and first write.

Embedded Chroma 1.5 catches a collection's vector index up with its log on the first read in a
process; when that read comes after the process's own writes, the next write applies every logged
vector again, in parallel with the new one, and the new vector can become unreachable by search
(about 3% of runs of "18 upserts, a get, an upsert, a query"; docstring of rag.chroma_access). So a
client's first write reads every collection first. The failure itself is too rare to test
directly; the order that prevents it is tested here, with the real embedded Chroma."""

from __future__ import annotations

from typing import Any

import chromadb

from rag.chroma_access import GuardedChroma


class Kept:
    """An object that keeps its collection as ``.collection`` (as rag.source_files does)."""

    def __init__(self, collection: Any):
        self.collection = collection


class Store(GuardedChroma):
    def _collections(self, client: Any) -> dict[str, Any]:
        return {"main": client.get_or_create_collection("main", embedding_function=None),
                "side": Kept(client.get_or_create_collection("side", embedding_function=None))}


def spy(calls: list[str], name: str, collection: Any) -> None:
    for method in ("count", "upsert", "get"):
        real = getattr(collection, method)
        object.__setattr__(collection, method, lambda *a, _real=real, _m=method, **kw: (calls.append(f"{name}.{_m}"),
                                                                                          _real(*a, **kw))[1])


def test_a_fresh_clients_first_write_reads_every_collection_first(tmp_path):
    client = chromadb.PersistentClient(path=str(tmp_path / "index"))
    store = Store(client, opener=lambda old: chromadb.PersistentClient(path=str(tmp_path / "index")))
    calls: list[str] = []
    spy(calls, "main", store.main)
    spy(calls, "side", store.side.collection)

    store.write(lambda: store.main.upsert(ids=["a"], embeddings=[[1.0, 0.0]], documents=["a"]))
    assert sorted(calls[:2]) == ["main.count", "side.count"] and calls[2:] == ["main.upsert"]

    calls.clear()
    store.write(lambda: store.main.upsert(ids=["b"], embeddings=[[0.0, 1.0]], documents=["b"]))
    assert calls == ["main.upsert"]  # once per client, not per write
    assert store.main.get(ids=["a", "b"])["ids"] == ["a", "b"]
