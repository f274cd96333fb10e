"""The Vanna adapters against a running datatrain with a trained Chinook dataset.

No LLM is needed: the store's calls are what Vanna makes before it prompts,
and Vanna's own MockLLM answers the prompt.
"""

import asyncio

import pandas as pd
import pytest
from vanna.capabilities.agent_memory.models import TextMemorySearchResult, ToolMemorySearchResult
from vanna.legacy.mock.llm import MockLLM

from datatrain import Client, DatatrainError
from datatrain.vanna import DatatrainAgentMemory, DatatrainVectorStore


class MyVanna(DatatrainVectorStore, MockLLM):
    def __init__(self, config):
        DatatrainVectorStore.__init__(self, config=config)
        MockLLM.__init__(self, config=config)


@pytest.fixture
def vn(url, token, dataset_id):
    return MyVanna(config={"base_url": url, "token": token, "dataset_id": dataset_id})


def test_related_context_has_vanna_shapes(vn):
    ddl = vn.get_related_ddl("How many tracks does each album have?")
    assert ddl and all(isinstance(d, str) for d in ddl)
    assert any("CREATE TABLE" in d and "Album" in d for d in ddl)
    pairs = vn.get_similar_question_sql("How many tracks are there?")
    assert pairs and all(set(p) == {"question", "sql"} for p in pairs)
    assert all(p["sql"].lstrip().upper().startswith(("SELECT", "WITH")) for p in pairs)
    docs = vn.get_related_documentation("anything")
    assert isinstance(docs, list) and all(isinstance(d, str) for d in docs)


def test_generate_sql_runs_through_the_store(vn):
    # Vanna builds its prompt from the three lookups above, then asks the LLM.
    prompt = vn.get_sql_prompt(
        initial_prompt=None,
        question="How many tracks does each album have?",
        question_sql_list=vn.get_similar_question_sql("How many tracks does each album have?"),
        ddl_list=vn.get_related_ddl("How many tracks does each album have?"),
        doc_list=vn.get_related_documentation("How many tracks does each album have?"),
    )
    assert "CREATE TABLE" in str(prompt)
    assert isinstance(vn.generate_sql("How many tracks does each album have?"), str)


def test_training_data_add_and_remove(vn, url, token, dataset_id):
    df = vn.get_training_data()
    assert isinstance(df, pd.DataFrame)
    assert {"id", "question", "content", "training_data_type"} <= set(df.columns)
    assert {"ddl", "sql"} <= set(df["training_data_type"])

    doc_id = vn.add_documentation("An invoice line is one bought track.")
    assert doc_id.startswith("doc-")
    example_id = vn.add_question_sql("How many genres are there?", "SELECT COUNT(*) FROM Genre")
    assert example_id.startswith("example-")
    with pytest.raises(DatatrainError) as e:
        vn.add_question_sql("Broken", "SELECT nope FROM nowhere")
    assert e.value.status == 422
    with pytest.raises(NotImplementedError):
        vn.add_ddl("CREATE TABLE x (id INT)")

    with Client(url, token) as dt:
        assert any(d["content"].startswith("An invoice line") for d in dt.docs(dataset_id))
        assert any(x["question"] == "How many genres are there?" for x in dt.examples(dataset_id))
    assert vn.remove_training_data(doc_id) is True
    assert vn.remove_training_data(example_id) is True
    assert vn.remove_training_data(example_id) is False
    assert vn.remove_training_data("nonsense") is False

    item = df[df["training_data_type"] == "sql"].iloc[0]["id"]
    assert vn.remove_training_data(item) is True
    assert item not in set(vn.get_training_data()["id"])


def test_agent_memory(url, token, dataset_id):
    memory = DatatrainAgentMemory(base_url=url, token=token, dataset_id=dataset_id)

    async def scenario():
        texts = await memory.search_text_memories("album artist", None, similarity_threshold=0.0)
        assert texts and all(isinstance(t, TextMemorySearchResult) for t in texts)
        assert all(0.0 <= t.similarity_score <= 1.0 for t in texts)
        assert [t.rank for t in texts] == list(range(1, len(texts) + 1))
        usage = await memory.search_similar_usage("How many tracks are there?", None, similarity_threshold=0.0)
        assert usage and all(isinstance(u, ToolMemorySearchResult) for u in usage)
        assert usage[0].memory.tool_name == "run_sql" and "sql" in usage[0].memory.args
        assert await memory.search_similar_usage("x", None, tool_name_filter="other_tool") == []

        saved = await memory.save_text_memory("Revenue means the sum of InvoiceLine.UnitPrice * Quantity.", None)
        assert saved.memory_id.startswith("doc-")
        recent = await memory.get_recent_text_memories(None, limit=5)
        assert recent[0].memory_id == saved.memory_id
        assert await memory.delete_text_memory(None, saved.memory_id) is True
        assert await memory.delete_text_memory(None, saved.memory_id) is False

        await memory.save_tool_usage("How many media types are there?", "run_sql",
                                     {"sql": "SELECT COUNT(*) FROM MediaType"}, None)
        await memory.save_tool_usage("ignored", "run_sql", {"sql": "SELECT 1"}, None, success=False)
        tools = await memory.get_recent_memories(None, limit=10)
        assert [t.question for t in tools] == ["How many media types are there?"]
        assert await memory.delete_by_id(None, tools[0].memory_id) is True

        await memory.save_tool_usage("How many playlists are there?", "run_sql",
                                     {"sql": "SELECT COUNT(*) FROM Playlist"}, None)
        assert await memory.clear_memories(None, tool_name="run_sql") == 1
        assert await memory.get_recent_memories(None) == []

    asyncio.run(scenario())
