"""A client for datatrain's REST API (https://… your datatrain instance).

Every call raises :class:`DatatrainError` on an error answer, carrying the HTTP
status and datatrain's ``detail`` text.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional

import httpx

__all__ = ["Client", "DatatrainError"]
__version__ = "0.1.0"


class DatatrainError(Exception):
    """An error answer from datatrain: ``status`` and ``detail``."""

    def __init__(self, status: int, detail: str):
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


def _raise_for(res: httpx.Response) -> None:
    if res.status_code < 400:
        return
    try:
        detail = res.json().get("detail") or res.text
    except ValueError:
        detail = res.text
    raise DatatrainError(res.status_code, str(detail))


class Client:
    """datatrain's REST API with an API token (``dt_…``)."""

    def __init__(self, base_url: str, token: str, timeout: float = 30.0,
                 transport: Optional[httpx.BaseTransport] = None):
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        res = self._http.request(method, path, **kwargs)
        _raise_for(res)
        if res.status_code == 204 or not res.content:
            return None
        return res.json()

    # Datasets and training
    def datasets(self) -> List[Dict[str, Any]]:
        return self._call("GET", "/api/datasets")

    def dataset(self, dataset_id: int) -> Dict[str, Any]:
        return self._call("GET", f"/api/datasets/{dataset_id}")

    def progress(self, dataset_id: int) -> Dict[str, Any]:
        return self._call("GET", f"/api/datasets/{dataset_id}/training/progress")

    def start_training(self, dataset_id: int, table_names: Optional[List[str]] = None,
                       max_items_per_sec: Optional[float] = None) -> Dict[str, Any]:
        body: Dict[str, Any] = {}
        if table_names is not None:
            body["table_names"] = table_names
        if max_items_per_sec is not None:
            body["max_items_per_sec"] = max_items_per_sec
        return self._call("POST", f"/api/datasets/{dataset_id}/training", json=body)

    def pause(self, dataset_id: int) -> Dict[str, Any]:
        return self._call("POST", f"/api/datasets/{dataset_id}/training/pause")

    def resume(self, dataset_id: int) -> Dict[str, Any]:
        return self._call("POST", f"/api/datasets/{dataset_id}/training/resume")

    def cancel(self, dataset_id: int) -> Dict[str, Any]:
        return self._call("POST", f"/api/datasets/{dataset_id}/training/cancel")

    def logs(self, dataset_id: int, limit: int = 50) -> List[Dict[str, Any]]:
        return self._call("GET", f"/api/datasets/{dataset_id}/training/logs", params={"limit": limit})

    # Retrieval
    def search(self, dataset_id: int, q: str, k: int = 10) -> Dict[str, Any]:
        """``{"items": [{"kind","content","question","table_name","score"}], "tables": [...]}``."""
        return self._call("GET", f"/api/datasets/{dataset_id}/search", params={"q": q, "k": k})

    # Curating what is trained
    def docs(self, dataset_id: int) -> List[Dict[str, Any]]:
        return self._call("GET", f"/api/datasets/{dataset_id}/docs")

    def add_doc(self, dataset_id: int, content: str, title: str = "") -> Dict[str, Any]:
        return self._call("POST", f"/api/datasets/{dataset_id}/docs",
                          json={"title": title, "content": content})

    def delete_doc(self, dataset_id: int, doc_id: int) -> None:
        self._call("DELETE", f"/api/datasets/{dataset_id}/docs/{doc_id}")

    def examples(self, dataset_id: int) -> List[Dict[str, Any]]:
        return self._call("GET", f"/api/datasets/{dataset_id}/examples")

    def add_example(self, dataset_id: int, question: str, sql: str) -> Dict[str, Any]:
        """A curated question → SQL pair; datatrain runs the SQL read-only first."""
        return self._call("POST", f"/api/datasets/{dataset_id}/examples",
                          json={"question": question, "sql": sql})

    def delete_example(self, dataset_id: int, example_id: int) -> None:
        self._call("DELETE", f"/api/datasets/{dataset_id}/examples/{example_id}")

    def items(self, dataset_id: int, kind: Optional[str] = None, q: Optional[str] = None,
              limit: int = 500, offset: int = 0) -> List[Dict[str, Any]]:
        params: Dict[str, Any] = {"limit": limit, "offset": offset}
        if kind:
            params["kind"] = kind
        if q:
            params["q"] = q
        return self._call("GET", f"/api/datasets/{dataset_id}/items", params=params)

    def all_items(self, dataset_id: int, kind: Optional[str] = None) -> Iterator[Dict[str, Any]]:
        offset = 0
        while True:
            page = self.items(dataset_id, kind=kind, limit=500, offset=offset)
            yield from page
            if len(page) < 500:
                return
            offset += len(page)

    def delete_item(self, dataset_id: int, item_id: int) -> None:
        """Removes an item from the live collection and keeps it out of later trainings."""
        self._call("DELETE", f"/api/datasets/{dataset_id}/items/{item_id}")
