import os

import pytest


def _env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run scripts/test-python.sh")
    return value


@pytest.fixture(scope="session")
def url():
    return _env("DATATRAIN_URL")


@pytest.fixture(scope="session")
def token():
    return _env("DATATRAIN_TOKEN")


@pytest.fixture(scope="session")
def read_token():
    return _env("DATATRAIN_READ_TOKEN")


@pytest.fixture(scope="session")
def dataset_id():
    return int(_env("DATATRAIN_DATASET"))
