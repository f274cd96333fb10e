"""The REST client against a running datatrain with a trained Chinook dataset."""

import pytest

from datatrain import Client, DatatrainError


def test_datasets_progress_and_search(url, token, dataset_id):
    with Client(url, token) as dt:
        assert dataset_id in [d["id"] for d in dt.datasets()]
        assert dt.progress(dataset_id)["status"] == "completed"
        found = dt.search(dataset_id, "which artist made each album", k=5)
        assert "Album" in found["tables"][:5] and "Artist" in found["tables"][:5]
        assert {i["kind"] for i in found["items"]} <= {"ddl", "documentation", "sql"}


def test_errors_carry_status_and_detail(url, token, read_token, dataset_id):
    with Client(url, token) as dt:
        with pytest.raises(DatatrainError) as e:
            dt.dataset(999_999)
        assert e.value.status == 404 and e.value.detail
    with Client(url, read_token) as reader:
        with pytest.raises(DatatrainError) as e:
            reader.pause(dataset_id)
        assert e.value.status == 403
    with Client(url, "dt_" + "x" * 43) as stranger:
        with pytest.raises(DatatrainError) as e:
            stranger.datasets()
        assert e.value.status == 401
