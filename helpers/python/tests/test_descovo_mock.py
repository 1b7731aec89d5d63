"""Tests of descovo_mock.py against a real descovo-mock.

The binary: $DESCOVO_MOCK_BIN, else descovo-mock on PATH, else the build
tree's build/mockserver/descovo-mock. Run from helpers/python:
    python3 -m unittest discover -s tests -v
"""

import json
import os
import sys
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import descovo_mock  # noqa: E402
from descovo_mock import (DEV_KEY, DescovoMock, DescovoMockError, DescovoMockStartError,  # noqa: E402
                          TenantsUnsupported)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
if not os.environ.get("DESCOVO_MOCK_BIN") and not descovo_mock.shutil.which("descovo-mock"):
    os.environ["DESCOVO_MOCK_BIN"] = os.path.join(REPO, "build", "mockserver", "descovo-mock")

FILTERS = {
    "companySearchParams": {"headquartersCountryCode": ["US"], "industriesV2": ["software"]},
    "maxCompanies": 10,
    "maxProspects": 20,
}


def raw_status(url, headers=None):
    """A GET without the helper (no token unless given)."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as res:
            return res.status
    except urllib.error.HTTPError as err:
        return err.code


def built_audience(mock, key=DEV_KEY):
    """Creates, filters and builds an audience; the build still runs."""
    status, answer = mock.request("POST", "/v1/audiences/create", {"apiKey": key, "name": "helper test"})
    assert status == 200, answer
    audience = answer["output"]["audienceId"]
    status, answer = mock.request("PATCH", f"/v1/audiences/{audience}/search-params", dict(FILTERS, apiKey=key))
    assert status == 200, answer
    status, answer = mock.request("POST", f"/v1/audiences/{audience}/build", {"apiKey": key})
    assert status == 200, answer
    return audience


class StartAndStop(unittest.TestCase):
    def test_start_waits_for_health_and_stop_ends_the_process(self):
        mock = DescovoMock.start()
        try:
            self.assertTrue(mock.started)
            self.assertEqual(mock.base_url, f"http://127.0.0.1:{mock.port}")
            self.assertEqual(mock.pid, mock.process.pid)
            self.assertEqual(mock.health()["status"], "ok")
            self.assertEqual(mock.health()["version"], mock.version)
            self.assertEqual(mock.clock()["mode"], "manual")
            workdir = mock._workdir
            self.assertTrue(os.path.exists(os.path.join(workdir, "ready.json")))
        finally:
            self.assertEqual(mock.stop(), 0)  # SIGTERM: a clean stop
        self.assertFalse(os.path.exists(workdir))
        self.assertIsNone(mock.stop())
        with self.assertRaises(OSError):
            urllib.request.urlopen(mock.base_url + "/_mock/health", timeout=2)

    def test_context_manager_and_extra_options(self):
        with DescovoMock.start("--seed", "7", "--companies", "100", clock="real") as mock:
            health = mock.health()
            self.assertEqual((health["seed"], health["companies"], health["clock"]), (7, 100, "real"))
            process = mock.process
        self.assertIsNotNone(process.poll())

    def test_a_refused_start_says_why(self):
        with self.assertRaises(DescovoMockStartError) as caught:
            DescovoMock.start("--scenario", "/nonexistent/scenario.json")
        self.assertEqual(caught.exception.returncode, 4)
        self.assertIn("/nonexistent/scenario.json", str(caught.exception))
        self.assertIn("scenario cannot be read", str(caught.exception))
        with self.assertRaises(DescovoMockStartError) as caught:
            DescovoMock.start("--colour")
        self.assertEqual(caught.exception.returncode, 2)

    def test_binary_not_found(self):
        with self.assertRaises(DescovoMockStartError) as caught:
            DescovoMock.start(binary="/nonexistent/descovo-mock")
        self.assertIn("not an executable", str(caught.exception))
        saved = dict(os.environ)
        try:
            os.environ.pop("DESCOVO_MOCK_BIN", None)
            os.environ["PATH"] = "/nonexistent"
            with self.assertRaises(DescovoMockStartError) as caught:
                DescovoMock.start()
            self.assertIn("DESCOVO_MOCK_BIN", str(caught.exception))
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def test_connect_and_from_env_leave_the_server_running(self):
        with DescovoMock.start() as owner:
            saved = os.environ.get("DESCOVO_BASE_URL")
            os.environ["DESCOVO_BASE_URL"] = owner.base_url
            try:
                other = DescovoMock.from_env()
            finally:
                if saved is None:
                    del os.environ["DESCOVO_BASE_URL"]
                else:
                    os.environ["DESCOVO_BASE_URL"] = saved
            self.assertFalse(other.started)
            self.assertEqual(other.base_url, owner.base_url)
            self.assertEqual(other.version, owner.version)
            other.advance(5)
            self.assertIsNone(other.stop())
            self.assertEqual(owner.health()["status"], "ok")
            self.assertEqual(owner.clock()["nowMs"], 1735689600000 + 5000)

    def test_connect_to_nothing_fails_in_time(self):
        with self.assertRaises(DescovoMockStartError):
            DescovoMock.connect("http://127.0.0.1:9", wait=0.2)

    def test_admin_token(self):
        with DescovoMock.start(admin_token="helper-token-123") as mock:
            self.assertEqual(mock.health()["status"], "ok")
            self.assertEqual(raw_status(mock.base_url + "/_mock/health"), 401)
            self.assertEqual(raw_status(mock.base_url + "/_mock/health",
                                        {"X-Mock-Admin-Token": "helper-token-123"}), 200)
            wrong = DescovoMock(mock.base_url, admin_token="not-the-token")
            with self.assertRaises(DescovoMockError) as caught:
                wrong.reset()
            self.assertEqual(caught.exception.status, 401)


class ControlPlane(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mock = DescovoMock.start()
        cls.addClassCleanup(cls.mock.stop)

    def setUp(self):
        self.mock.reset()

    def test_json_bodies_are_sent_as_json(self):
        # The control plane answers 415 to any other Content-Type.
        self.mock.advance(1.5)
        entry = self.mock.requests(method="POST", path="/_mock/clock/advance")[-1]
        self.assertEqual(entry["status"], 200)
        self.assertEqual(json.loads(entry["requestBody"]), {"seconds": 1.5})

    def test_clock_advance_finishes_a_build(self):
        audience = built_audience(self.mock)
        before = self.mock.clock()["nowMs"]
        self.mock.advance(120)
        self.assertEqual(self.mock.clock()["nowMs"], before + 120000)
        status, answer = self.mock.request("GET", f"/v1/audiences/{audience}", query={"apiKey": DEV_KEY})
        self.assertEqual((status, answer["output"]["status"]), (200, "NORMAL"))

    def test_errors_raise_with_the_status_and_message(self):
        with self.assertRaises(DescovoMockError) as caught:
            self.mock.advance(-1)
        self.assertEqual(caught.exception.status, 400)
        self.assertIn("seconds", str(caught.exception))

    def test_accounts_and_reset(self):
        self.mock.set_account(credits=5)
        self.assertEqual(self.mock.account()["credits"], 5)
        status, answer = self.mock.request("GET", "/v1/credits", query={"apiKey": DEV_KEY})
        self.assertEqual(answer["output"]["credits"], 5)
        self.mock.set_account("sk_test_helper_new", credits=7, export_quota=0)
        self.assertEqual(self.mock.account("sk_test_helper_new")["exportQuota"], 0)
        self.mock.reset()
        self.assertEqual(self.mock.account()["credits"], 50000)

    def test_faults(self):
        rule = self.mock.add_fault(match={"method": "GET", "path": "/v1/credits"}, times=1,
                                   action={"type": "status", "status": 503, "retryAfter": 2})
        self.assertEqual([f["id"] for f in self.mock.faults()], [rule])
        self.assertEqual(self.mock.request("GET", "/v1/credits", query={"apiKey": DEV_KEY})[0], 503)
        self.assertEqual(self.mock.request("GET", "/v1/credits", query={"apiKey": DEV_KEY})[0], 200)
        second = self.mock.add_fault({"match": {"path": "/v1/credits"}, "action": {"type": "status", "status": 500}})
        self.mock.remove_fault(second)
        self.assertEqual([f["id"] for f in self.mock.faults()], [rule])
        self.mock.clear_faults()
        self.assertEqual(self.mock.faults(), [])
        with self.assertRaises(TypeError):
            self.mock.add_fault(match={"path": "/v1/credits"})

    def test_scenarios(self):
        names = [s["name"] for s in self.mock.scenarios()]
        self.assertIn("flaky-5xx", names)
        self.mock.load_scenario("low-credits")
        self.assertEqual(self.mock.account()["credits"], 60)
        self.mock.load_scenario({"name": "mine", "accounts": {DEV_KEY: {"credits": 9}}})
        self.assertEqual(self.mock.account()["credits"], 9)
        with self.assertRaises(DescovoMockError) as caught:
            self.mock.load_scenario("no-such-scenario")
        self.assertEqual(caught.exception.status, 404)
        self.assertIn("no-such-scenario", str(caught.exception))

    def test_journal_count_and_filters(self):
        built_audience(self.mock)
        built_audience(self.mock)
        self.assertEqual(self.mock.count(method="POST", path="/v1/audiences/*/build"), 2)
        self.assertEqual(self.mock.count(method="GET", path="/v1/audiences/*/build"), 0)
        self.assertEqual(self.mock.count(path="/v1/audiences/create", api_key=DEV_KEY), 2)
        self.assertEqual(self.mock.count(path="/v1/audiences/create", api_key="sk_test_descovo_other"), 0)
        entries = self.mock.requests(method="POST", path="/v1/audiences/*/build", limit=1)
        self.assertEqual(len(entries), 1)
        self.assertEqual(entries[0]["status"], 200)
        self.mock.clear_requests()
        self.assertEqual(self.mock.count(path="/v1/**"), 0)

    def test_outbox(self):
        audience = built_audience(self.mock)
        self.mock.advance(120)
        body = {"apiKey": DEV_KEY, "maxProspectsToEnrich": 2, "enrichmentType": {"getWorkEmails": True},
                "userEmail": "qa@example.com"}
        status, answer = self.mock.request("POST", f"/v1/audiences/{audience}/enrich", body)
        self.assertEqual(status, 200, answer)
        self.assertEqual(self.mock.outbox(), [])
        self.mock.advance(600)
        # As a client would: the enrichment is seen DONE, then its e-mail is there.
        status, answer = self.mock.request("GET", f"/v1/audiences/{audience}/enrichment/status",
                                           query={"apiKey": DEV_KEY})
        self.assertEqual(answer["output"]["currentStage"], "DONE")
        messages = self.mock.outbox(to="qa@example.com")
        self.assertEqual(len(messages), 1)
        self.assertEqual(messages[0]["to"], "qa@example.com")
        self.assertEqual(self.mock.outbox(to="else@example.com"), [])
        self.mock.clear_outbox()
        self.assertEqual(self.mock.outbox(), [])

    def test_tenant_view(self):
        tenant = self.mock.tenant("sk_test_descovo_other")
        built_audience(self.mock, "sk_test_descovo_other")
        built_audience(self.mock)
        self.assertEqual(tenant.count(method="POST", path="/v1/audiences/*/build"), 1)
        self.assertEqual(tenant.account()["audiences"], 1)
        rule = tenant.add_fault(action={"type": "status", "status": 500}, times=1)
        self.assertEqual(self.mock.faults()[0]["match"]["apiKey"], "sk_test_descovo_other")
        self.assertEqual(self.mock.request("GET", "/v1/credits", query={"apiKey": DEV_KEY})[0], 200)
        self.mock.remove_fault(rule)
        # Per-tenant clocks and resets exist only on a server with tenants.
        try:
            before = self.mock.clock()["nowMs"]
            tenant.advance(60)
        except TenantsUnsupported as unsupported:
            self.assertEqual(unsupported.status, 404)
            self.assertIn("/_mock/accounts/sk_test_descovo_other/clock/advance", str(unsupported))
        else:
            self.assertEqual(tenant.clock()["nowMs"], before + 60000)
            self.assertEqual(self.mock.clock()["nowMs"], before)


class ForUnittest(descovo_mock.DescovoMockTestCase):
    mock_args = ("--seed", "9")

    def test_a_fresh_server_per_test(self):
        self.assertEqual(self.mock.health()["seed"], 9)
        self.mock.set_account(credits=1)

    def test_b_reset_before_each_test(self):
        self.assertEqual(self.mock.account()["credits"], 50000)


if __name__ == "__main__":
    unittest.main()
