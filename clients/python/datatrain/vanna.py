"""Vanna adapters: datatrain's trained knowledge as Vanna's context store.

- :class:`DatatrainAgentMemory` implements Vanna 2.x's ``AgentMemory``: text
  memories are searched in datatrain's collection (DDL and documentation),
  tool memories are its question → SQL examples; saved text becomes a
  document, a saved successful ``run_sql`` call a curated example.
- :class:`DatatrainVectorStore` is a legacy ``VannaBase`` store; combine it with
  a Vanna LLM class (see the README).

Ids name what they point at: ``doc-7`` (a document), ``example-3`` (a curated
example), ``item-42`` (an item of the live collection; removing it keeps it out
of later trainings). What is added is searched once the dataset trained again:
datatrain trains in runs you can watch, pause and cancel.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import httpx

from . import DatatrainError, _raise_for

try:
    from vanna.capabilities.agent_memory import AgentMemory
    from vanna.capabilities.agent_memory.models import (
        TextMemory,
        TextMemorySearchResult,
        ToolMemory,
        ToolMemorySearchResult,
    )
    from vanna.legacy.base import VannaBase
except ImportError as e:  # pragma: no cover - only without the extra
    raise ImportError("datatrain.vanna needs Vanna 2.x: pip install 'datatrain[vanna]'") from e

__all__ = ["DatatrainAgentMemory", "DatatrainVectorStore", "sql_of"]

#: The tool whose successful calls are kept as question → SQL examples.
SQL_TOOL = "run_sql"


def sql_of(item: Dict[str, Any]) -> str:
    """The SQL of an example item (its content without the leading comment lines)."""
    lines = item.get("content", "").splitlines()
    while lines and lines[0].lstrip().startswith("--"):
        lines.pop(0)
    return "\n".join(lines).strip()


def _parse_id(memory_id: str) -> Optional[tuple]:
    kind, _, number = str(memory_id).rpartition("-")
    if kind in ("doc", "example", "item") and number.isdigit():
        return kind, int(number)
    if str(memory_id).isdigit():
        return "item", int(memory_id)
    return None


def _similarities(items: List[Dict[str, Any]]) -> List[float]:
    """Scores relative to the best hit (1.0), which keeps datatrain's ranking order in 0..1."""
    top = max((i.get("score") or 0.0 for i in items), default=0.0)
    if top <= 0:
        return [1.0 / (1 + rank) for rank in range(len(items))]
    return [max(0.0, min(1.0, (i.get("score") or 0.0) / top)) for i in items]


class _Api:
    """The REST calls both adapters use, sync and async."""

    def __init__(self, base_url: str, token: str, dataset_id: int, timeout: float = 30.0):
        self.base = base_url.rstrip("/")
        self.prefix = f"/api/datasets/{int(dataset_id)}"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.timeout = timeout

    def call(self, method: str, path: str, **kw: Any) -> Any:
        with httpx.Client(base_url=self.base, headers=self.headers, timeout=self.timeout) as c:
            res = c.request(method, self.prefix + path, **kw)
        return self._answer(res)

    async def acall(self, method: str, path: str, **kw: Any) -> Any:
        async with httpx.AsyncClient(base_url=self.base, headers=self.headers, timeout=self.timeout) as c:
            res = await c.request(method, self.prefix + path, **kw)
        return self._answer(res)

    @staticmethod
    def _answer(res: httpx.Response) -> Any:
        _raise_for(res)
        if res.status_code == 204 or not res.content:
            return None
        return res.json()

    @staticmethod
    def delete_path(memory_id: str) -> Optional[str]:
        parsed = _parse_id(memory_id)
        if parsed is None:
            return None
        kind, number = parsed
        return {"doc": f"/docs/{number}", "example": f"/examples/{number}", "item": f"/items/{number}"}[kind]


class DatatrainAgentMemory(AgentMemory):
    """Vanna 2.x agent memory served by a datatrain dataset."""

    def __init__(self, base_url: str, token: str, dataset_id: int, timeout: float = 30.0):
        self._api = _Api(base_url, token, dataset_id, timeout)

    async def _search(self, q: str, k: int) -> List[Dict[str, Any]]:
        found = await self._api.acall("GET", "/search", params={"q": q, "k": max(1, min(int(k), 50))})
        return found.get("items", [])

    async def save_tool_usage(self, question: str, tool_name: str, args: Dict[str, Any],
                              context: Any, success: bool = True,
                              metadata: Optional[Dict[str, Any]] = None) -> None:
        # Only SQL that ran is worth learning from; datatrain checks it read-only again.
        sql = (args or {}).get("sql")
        if success and tool_name == SQL_TOOL and isinstance(sql, str) and sql.strip():
            await self._api.acall("POST", "/examples", json={"question": question, "sql": sql})

    async def save_text_memory(self, content: str, context: Any) -> TextMemory:
        title = content.strip().splitlines()[0][:80] if content.strip() else ""
        doc = await self._api.acall("POST", "/docs", json={"title": title, "content": content})
        return TextMemory(memory_id=f"doc-{doc['id']}", content=doc.get("content", content),
                          timestamp=doc.get("created_at"))

    async def search_similar_usage(self, question: str, context: Any, *, limit: int = 10,
                                   similarity_threshold: float = 0.7,
                                   tool_name_filter: Optional[str] = None) -> List[ToolMemorySearchResult]:
        if tool_name_filter not in (None, SQL_TOOL):
            return []
        items = [i for i in await self._search(question, limit * 3) if i.get("kind") == "sql"]
        out: List[ToolMemorySearchResult] = []
        for item, score in zip(items, _similarities(items)):
            if score < similarity_threshold or len(out) >= limit:
                continue
            memory = ToolMemory(question=item.get("question") or "", tool_name=SQL_TOOL,
                                args={"sql": sql_of(item)}, success=True,
                                metadata={"table_name": item.get("table_name")})
            out.append(ToolMemorySearchResult(memory=memory, similarity_score=score, rank=len(out) + 1))
        return out

    async def search_text_memories(self, query: str, context: Any, *, limit: int = 10,
                                   similarity_threshold: float = 0.7) -> List[TextMemorySearchResult]:
        items = [i for i in await self._search(query, limit * 3) if i.get("kind") in ("ddl", "documentation")]
        out: List[TextMemorySearchResult] = []
        for item, score in zip(items, _similarities(items)):
            if score < similarity_threshold or len(out) >= limit:
                continue
            memory = TextMemory(content=item.get("content", ""))
            out.append(TextMemorySearchResult(memory=memory, similarity_score=score, rank=len(out) + 1))
        return out

    async def get_recent_memories(self, context: Any, limit: int = 10) -> List[ToolMemory]:
        examples = await self._api.acall("GET", "/examples")
        examples.sort(key=lambda e: e.get("created_at", ""), reverse=True)
        return [ToolMemory(memory_id=f"example-{e['id']}", question=e["question"], tool_name=SQL_TOOL,
                           args={"sql": e["sql"]}, timestamp=e.get("created_at"))
                for e in examples[:limit]]

    async def get_recent_text_memories(self, context: Any, limit: int = 10) -> List[TextMemory]:
        docs = await self._api.acall("GET", "/docs")
        docs.sort(key=lambda d: (d.get("created_at", ""), d.get("id", 0)), reverse=True)
        return [TextMemory(memory_id=f"doc-{d['id']}", content=d["content"], timestamp=d.get("created_at"))
                for d in docs[:limit]]

    async def delete_by_id(self, context: Any, memory_id: str) -> bool:
        path = self._api.delete_path(memory_id)
        if path is None:
            return False
        try:
            await self._api.acall("DELETE", path)
        except DatatrainError as e:
            if e.status == 404:
                return False
            raise
        return True

    async def delete_text_memory(self, context: Any, memory_id: str) -> bool:
        return await self.delete_by_id(context, memory_id)

    async def clear_memories(self, context: Any, tool_name: Optional[str] = None,
                             before_date: Optional[str] = None) -> int:
        """Deletes curated examples (tool memories) and, without ``tool_name``, documents."""
        removed = 0
        targets = []
        if tool_name in (None, SQL_TOOL):
            targets += [("example", e) for e in await self._api.acall("GET", "/examples")]
        if tool_name is None:
            targets += [("doc", d) for d in await self._api.acall("GET", "/docs")]
        for kind, row in targets:
            if before_date and (row.get("created_at") or "") >= before_date:
                continue
            if await self.delete_by_id(context, f"{kind}-{row['id']}"):
                removed += 1
        return removed


class DatatrainVectorStore(VannaBase):
    """A legacy Vanna store: ``config={"base_url", "token", "dataset_id"}``
    (optional ``"n_results"``, default 10)."""

    def __init__(self, config: Optional[Dict[str, Any]] = None):
        VannaBase.__init__(self, config=config)
        config = config or {}
        missing = [k for k in ("base_url", "token", "dataset_id") if k not in config]
        if missing:
            raise ValueError(f"DatatrainVectorStore needs config keys {missing}")
        self._api = _Api(config["base_url"], config["token"], config["dataset_id"])
        self.n_results = int(config.get("n_results", 10))

    def _items(self, question: str, kind: str) -> List[Dict[str, Any]]:
        found = self._api.call("GET", "/search", params={"q": question, "k": max(1, min(self.n_results, 50))})
        return [i for i in found.get("items", []) if i.get("kind") == kind][: self.n_results]

    def generate_embedding(self, data: str, **kwargs: Any) -> List[float]:
        # datatrain embeds on the server (when an embeddings endpoint is configured).
        return []

    def get_similar_question_sql(self, question: str, **kwargs: Any) -> list:
        return [{"question": i.get("question"), "sql": sql_of(i)} for i in self._items(question, "sql")]

    def get_related_ddl(self, question: str, **kwargs: Any) -> list:
        return [i["content"] for i in self._items(question, "ddl")]

    def get_related_documentation(self, question: str, **kwargs: Any) -> list:
        return [i["content"] for i in self._items(question, "documentation")]

    def add_question_sql(self, question: str, sql: str, **kwargs: Any) -> str:
        example = self._api.call("POST", "/examples", json={"question": question, "sql": sql})
        return f"example-{example['id']}"

    def add_ddl(self, ddl: str, **kwargs: Any) -> str:
        raise NotImplementedError(
            "datatrain reads DDL from the source database when the dataset trains; "
            "add the table to the dataset's tables and train it instead of add_ddl"
        )

    def add_documentation(self, documentation: str, **kwargs: Any) -> str:
        title = documentation.strip().splitlines()[0][:80] if documentation.strip() else ""
        doc = self._api.call("POST", "/docs", json={"title": title, "content": documentation})
        return f"doc-{doc['id']}"

    def get_training_data(self, **kwargs: Any):
        """The live collection: one row per item (id, question, content, training_data_type, table_name)."""
        import pandas as pd

        rows = []
        offset = 0
        while True:
            page = self._api.call("GET", "/items", params={"limit": 500, "offset": offset})
            for i in page:
                kind = i.get("kind")
                rows.append({
                    "id": f"item-{i['id']}",
                    "question": i.get("question"),
                    "content": sql_of(i) if kind == "sql" else i.get("content"),
                    "training_data_type": kind,
                    "table_name": i.get("table_name"),
                })
            if len(page) < 500:
                break
            offset += len(page)
        return pd.DataFrame(rows, columns=["id", "question", "content", "training_data_type", "table_name"])

    def remove_training_data(self, id: str, **kwargs: Any) -> bool:
        path = self._api.delete_path(id)
        if path is None:
            return False
        try:
            self._api.call("DELETE", path)
        except DatatrainError as e:
            if e.status == 404:
                return False
            raise
        return True

