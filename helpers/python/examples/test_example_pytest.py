"""An example to copy: your client tested against descovo-mock with pytest.

    DESCOVO_MOCK_BIN=/path/to/descovo-mock python3 -m pytest test_example_pytest.py
The fixtures come from descovo_mock.py (imported below; or put
`pytest_plugins = ["descovo_mock"]` in your conftest.py): `descovo_mock` is a
server shared by the session and reset before each test.
"""

import pytest

import my_client
from descovo_mock import descovo_mock, descovo_mock_server  # noqa: F401 (fixtures)

FILTERS = {"companySearchParams": {"headquartersCountryCode": ["US"]}, "maxCompanies": 5, "maxProspects": 10}


def test_build_finishes_when_the_clock_moves(descovo_mock):  # noqa: F811
    audience = my_client.build_audience(descovo_mock.base_url, descovo_mock.api_key, "US", FILTERS)
    descovo_mock.advance(60)
    assert my_client.status(descovo_mock.base_url, descovo_mock.api_key, audience) == "NORMAL"
    assert descovo_mock.count(method="POST", path="/v1/audiences/*/build") == 1


def test_out_of_credits_is_reported(descovo_mock):  # noqa: F811
    descovo_mock.set_account(credits=0)
    with pytest.raises(my_client.OutOfCredits):
        my_client.build_audience(descovo_mock.base_url, descovo_mock.api_key, "US", FILTERS)


def test_each_test_starts_fresh(descovo_mock):  # noqa: F811
    assert descovo_mock.account()["credits"] == 50000
    assert descovo_mock.count(path="/v1/**") == 0
