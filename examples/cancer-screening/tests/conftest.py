"""Fixtures shared by both test tiers: the data, the fixed split and the model of this commit."""

import pytest

from screening import data as ds
from screening import model as mdl


@pytest.fixture(scope="session")
def dataset():
    return ds.load()


@pytest.fixture(scope="session")
def split(dataset):
    return ds.split(dataset)


@pytest.fixture(scope="session")
def model(split):
    train, _ = split
    return mdl.fit(train)
