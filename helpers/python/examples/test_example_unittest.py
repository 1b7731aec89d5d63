"""An example to copy: your client tested against descovo-mock with unittest.

    DESCOVO_MOCK_BIN=/path/to/descovo-mock python3 -m unittest test_example_unittest
(or descovo-mock on PATH, or DESCOVO_BASE_URL=http://... for a running one,
e.g. a container). descovo_mock.py is the one file to copy besides this one.
"""

import unittest

import my_client
from descovo_mock import DescovoMockTestCase

FILTERS = {"companySearchParams": {"headquartersCountryCode": ["US"]}, "maxCompanies": 5, "maxProspects": 10}


class MyClientTests(DescovoMockTestCase):  # one server for the class, reset before each test
    def test_build_finishes_when_the_clock_moves(self):
        audience = my_client.build_audience(self.mock.base_url, self.mock.api_key, "US", FILTERS)
        self.assertEqual(my_client.status(self.mock.base_url, self.mock.api_key, audience), "BUILDING")
        self.mock.advance(60)  # no sleep: the manual clock
        self.assertEqual(my_client.status(self.mock.base_url, self.mock.api_key, audience), "NORMAL")
        self.assertEqual(self.mock.count(method="POST", path="/v1/audiences/*/build"), 1)

    def test_out_of_credits_is_reported(self):
        self.mock.set_account(credits=0)
        with self.assertRaises(my_client.OutOfCredits):
            my_client.build_audience(self.mock.base_url, self.mock.api_key, "US", FILTERS)

    def test_a_503_is_retried(self):
        self.mock.add_fault(match={"path": "/v1/credits"}, times=1,
                            action={"type": "status", "status": 503, "retryAfter": 2})
        slept = []
        self.assertEqual(my_client.credits(self.mock.base_url, self.mock.api_key, sleep=slept.append), 50000)
        self.assertEqual(slept, [2.0])
        self.assertEqual(self.mock.count(method="GET", path="/v1/credits"), 2)


if __name__ == "__main__":
    unittest.main()
