"""descovo_mock: run and drive a descovo-mock from Python tests.

Standard library only, Python 3.9+. Copy this one file into your project (or
put helpers/python on PYTHONPATH).

    from descovo_mock import DescovoMock

    with DescovoMock.start() as mock:          # a fresh server on a free port
        client = MyClient(base_url=mock.base_url, api_key=mock.api_key)
        client.create_audience("AI VPs in US")
        mock.advance(30)                        # builds finish: no sleeps
        assert mock.count(method="POST", path="/v1/audiences/*/build") == 1

`DescovoMock.start()` starts the binary named by $DESCOVO_MOCK_BIN, else
`descovo-mock` on PATH, with `--port 0 --clock manual --quiet --ready-file`,
and waits until `GET /_mock/health` answers. `DescovoMock.connect(url)` uses
one that runs already; `DescovoMock.from_env()` does that when
$DESCOVO_BASE_URL is set (for instance a container, `docker run ...`) and
starts one otherwise. The admin token comes from `admin_token=` or
$DESCOVO_ADMIN_TOKEN.

With pytest installed, this module is also a plugin with two fixtures:
`descovo_mock` (a server shared by the session, reset before each test) and
`descovo_mock_server` (the same server, not reset). Enable it in conftest.py
with `pytest_plugins = ["descovo_mock"]`. With unittest, derive from
`DescovoMockTestCase` (`self.mock`, reset before each test).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

__all__ = [
    "DEV_KEY",
    "DescovoMock",
    "DescovoMockError",
    "DescovoMockStartError",
    "DescovoMockTestCase",
    "Tenant",
    "TenantsUnsupported",
]
__version__ = "0.1.0"

#: The development key every descovo-mock knows (50,000 credits).
DEV_KEY = "sk_test_descovo_dev"

# descovo-mock's exit statuses (docs/API.md, "Start-up contract").
EXIT_STATUSES = {
    1: "internal error",
    2: "usage: a bad option, value or combination",
    3: "cannot listen on the address and port",
    4: "the keys file or the scenario cannot be read or is invalid",
    5: "the state file cannot be opened, belongs to another server, or is damaged",
    6: "the ready file cannot be written",
}

Json = Any


class DescovoMockError(Exception):
    """A control-plane call answered other than expected."""

    def __init__(self, method: str, path: str, status: int, body: Json):
        self.method, self.path, self.status, self.body = method, path, status, body
        message = body.get("error", {}).get("message") if isinstance(body, dict) else None
        super().__init__(f"{method} {path}: HTTP {status}: {message or body!r}")


class DescovoMockStartError(Exception):
    """descovo-mock did not start: its exit status and what it printed."""

    def __init__(self, message: str, returncode: Optional[int] = None, output: str = ""):
        self.returncode, self.output = returncode, output
        if returncode is not None:
            message += f" (exit status {returncode}: {EXIT_STATUSES.get(returncode, 'unknown')})"
        if output:
            message += "\n" + output.strip()
        super().__init__(message)


class TenantsUnsupported(DescovoMockError):
    """This descovo-mock has no per-tenant control plane."""


def find_binary(binary: Optional[str] = None) -> str:
    """The descovo-mock to start: binary, else $DESCOVO_MOCK_BIN, else PATH."""
    candidate = binary or os.environ.get("DESCOVO_MOCK_BIN") or shutil.which("descovo-mock")
    if not candidate:
        raise DescovoMockStartError(
            "descovo-mock not found: install the package, set DESCOVO_MOCK_BIN, or set "
            "DESCOVO_BASE_URL to a running one"
        )
    if not (os.path.isfile(candidate) and os.access(candidate, os.X_OK)):
        raise DescovoMockStartError(f"{candidate}: not an executable file")
    return candidate


class _Control:
    """The HTTP calls shared by the server and its tenants."""

    base_url: str
    admin_token: Optional[str]
    timeout: float

    def request(self, method: str, path: str, body: Json = None,
                query: Optional[Dict[str, Any]] = None) -> "tuple[int, Json]":
        """Sends one request; returns (status, parsed JSON or text). Bodies
        are JSON with Content-Type: application/json, never text/plain."""
        url = self.base_url + path
        if query:
            pairs = {k: v for k, v in query.items() if v is not None}
            if pairs:
                url += "?" + urllib.parse.urlencode(pairs, safe="/*")
        data = None
        headers = {"Accept": "application/json"}
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if self.admin_token and path.startswith("/_mock/"):
            headers["X-Mock-Admin-Token"] = self.admin_token
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as res:
                return res.status, _decode(res.read())
        except urllib.error.HTTPError as err:
            return err.code, _decode(err.read())

    def _call(self, verb: str, route: str, body: Json = None, query: Optional[Dict[str, Any]] = None) -> Json:
        """A control-plane call that must answer 200; returns its output."""
        status, answer = self.request(verb, route, body, query)
        if status != 200:
            raise DescovoMockError(verb, route, status, answer)
        return answer.get("output", answer) if isinstance(answer, dict) else answer


def _decode(raw: bytes) -> Json:
    text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def _quote(key: str) -> str:
    return urllib.parse.quote(key, safe="")


def _journal_query(method, path, api_key, status, since, limit) -> Dict[str, Any]:
    return {"method": method, "path": path, "apiKey": api_key, "status": status,
            "since": since, "limit": limit}


def _fault_rule(rule: Optional[Dict[str, Any]], kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """A rule from a whole dict, or from match=..., action=..., times=... ."""
    if rule is not None and kwargs:
        raise TypeError("add_fault: give a whole rule or keyword fields, not both")
    rule = dict(rule if rule is not None else kwargs)
    if "action" not in rule:
        raise TypeError('add_fault: a rule needs an "action", e.g. {"type": "status", "status": 503}')
    return rule


class DescovoMock(_Control):
    """One descovo-mock: started by this object (stop() stops it) or
    connected to (stop() leaves it running)."""

    def __init__(self, base_url: str, *, admin_token: Optional[str] = None, api_key: str = DEV_KEY,
                 timeout: float = 10.0, process: Optional[subprocess.Popen] = None,
                 workdir: Optional[str] = None):
        self.base_url = base_url.rstrip("/")
        self.admin_token = admin_token if admin_token is not None else os.environ.get("DESCOVO_ADMIN_TOKEN") or None
        self.api_key = api_key
        self.timeout = timeout
        self.process = process
        self._workdir = workdir
        self.port = urllib.parse.urlsplit(self.base_url).port
        self.pid: Optional[int] = process.pid if process else None
        self.version: Optional[str] = None

    # --- starting and stopping ------------------------------------------------

    @classmethod
    def start(cls, *args: str, binary: Optional[str] = None, clock: str = "manual",
              admin_token: Optional[str] = None, api_key: str = DEV_KEY, start_timeout: float = 10.0,
              env: Optional[Dict[str, str]] = None) -> "DescovoMock":
        """Starts descovo-mock on a free loopback port and waits until it is
        healthy. args are more options (e.g. "--scenario", "flaky-5xx")."""
        program = find_binary(binary)
        workdir = tempfile.mkdtemp(prefix="descovo-mock-")
        ready = os.path.join(workdir, "ready.json")
        log_path = os.path.join(workdir, "output.log")
        argv = [program, "--port", "0", "--clock", clock, "--quiet", "--ready-file", ready, *args]
        child_env = dict(os.environ if env is None else env)
        if admin_token:
            child_env["DESCOVO_ADMIN_TOKEN"] = admin_token  # not in argv: ps shows argv
        with open(log_path, "wb") as log:
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                       env=child_env)
        deadline = time.monotonic() + start_timeout
        while not os.path.exists(ready):  # whole or absent: the server renames it into place
            if process.poll() is not None:
                output = _read(log_path)
                shutil.rmtree(workdir, ignore_errors=True)
                raise DescovoMockStartError(f"{program} exited before serving", process.returncode, output)
            if time.monotonic() > deadline:
                process.kill()
                process.wait()
                output = _read(log_path)
                shutil.rmtree(workdir, ignore_errors=True)
                raise DescovoMockStartError(f"{program} did not start within {start_timeout} s", None, output)
            time.sleep(0.01)
        with open(ready, encoding="utf-8") as f:
            info = json.load(f)
        token = child_env.get("DESCOVO_ADMIN_TOKEN") or None
        mock = cls(info["url"], admin_token=token or "", api_key=api_key, process=process, workdir=workdir)
        mock.port, mock.pid, mock.version = info["port"], info["pid"], info["version"]
        try:
            mock.wait_healthy(timeout=max(0.0, deadline - time.monotonic()) + 1.0)
        except BaseException:
            mock.stop()
            raise
        return mock

    @classmethod
    def connect(cls, base_url: str, *, admin_token: Optional[str] = None, api_key: Optional[str] = None,
                wait: float = 10.0) -> "DescovoMock":
        """Uses a descovo-mock that runs already (a container, a shared
        server); waits up to `wait` seconds for it to be healthy."""
        key = api_key or os.environ.get("DESCOVO_API_KEY") or DEV_KEY
        mock = cls(base_url, admin_token=admin_token, api_key=key)
        mock.version = mock.wait_healthy(timeout=wait).get("version")
        return mock

    @classmethod
    def from_env(cls, *args: str, **kwargs: Any) -> "DescovoMock":
        """connect($DESCOVO_BASE_URL) when set, else start(*args, **kwargs)."""
        url = os.environ.get("DESCOVO_BASE_URL")
        if url:
            return cls.connect(url, admin_token=kwargs.get("admin_token"), api_key=kwargs.get("api_key"))
        return cls.start(*args, **kwargs)

    @property
    def started(self) -> bool:
        """True when this object started the server (and stop() stops it)."""
        return self.process is not None

    def stop(self, timeout: float = 10.0) -> Optional[int]:
        """Stops a server this object started (SIGTERM, then SIGKILL after
        timeout); returns its exit status. A connected server keeps running."""
        if self.process is None:
            return None
        process, self.process = self.process, None
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._workdir:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        return process.returncode

    def __enter__(self) -> "DescovoMock":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        how = f"started, pid {self.pid}" if self.started else "connected"
        return f"<DescovoMock {self.base_url} ({how})>"

    # --- the control plane (docs/API.md, "Control plane") ---------------------

    def health(self) -> Dict[str, Any]:
        return self._call("GET", "/_mock/health")

    def wait_healthy(self, timeout: float = 10.0) -> Dict[str, Any]:
        """Polls GET /_mock/health until it answers 200 (it answers 503 while
        a state file is replayed); returns its output."""
        deadline = time.monotonic() + timeout
        last: object = None
        while True:
            try:
                status, answer = self.request("GET", "/_mock/health")
                if status == 200:
                    return answer["output"]
                if status in (401, 404):
                    raise DescovoMockError("GET", "/_mock/health", status, answer)
                last = f"HTTP {status}"
            except (urllib.error.URLError, ConnectionError, OSError) as err:
                last = err
            if time.monotonic() > deadline:
                raise DescovoMockStartError(f"{self.base_url} is not healthy after {timeout} s: {last}")
            time.sleep(0.02)

    def reset(self) -> None:
        """A fresh server: no audiences, keys restored, faults, journal and
        outbox cleared, the manual clock rewound."""
        self._call("POST", "/_mock/reset")

    def clock(self) -> Dict[str, Any]:
        """{mode, now, nowMs, scale}"""
        return self._call("GET", "/_mock/clock")

    def advance(self, seconds: float) -> Dict[str, Any]:
        """Moves the manual clock: builds and enrichments progress at once."""
        return self._call("POST", "/_mock/clock/advance", {"seconds": seconds})

    def account(self, api_key: Optional[str] = None) -> Dict[str, Any]:
        """{apiKey, credits, exportQuota, exportRowsUsed, audiences}"""
        return self._call("GET", f"/_mock/accounts/{_quote(api_key or self.api_key)}")

    def set_account(self, api_key: Optional[str] = None, *, credits: Optional[int] = None,
                    export_quota: Optional[int] = None, export_rows_used: Optional[int] = None) -> Dict[str, Any]:
        """Sets what is given (creates the account when new)."""
        body = {k: v for k, v in (("credits", credits), ("exportQuota", export_quota),
                                  ("exportRowsUsed", export_rows_used)) if v is not None}
        return self._call("PUT", f"/_mock/accounts/{_quote(api_key or self.api_key)}", body)

    def faults(self) -> List[Dict[str, Any]]:
        return self._call("GET", "/_mock/faults")["faults"]

    def add_fault(self, rule: Optional[Dict[str, Any]] = None, **fields: Any) -> int:
        """Adds a fault rule, whole or as match=, action=, times=, after=,
        probability=, seed=; returns its id."""
        return self._call("POST", "/_mock/faults", _fault_rule(rule, fields))["id"]

    def remove_fault(self, rule_id: int) -> None:
        self._call("DELETE", f"/_mock/faults/{int(rule_id)}")

    def clear_faults(self) -> None:
        self._call("DELETE", "/_mock/faults")

    def scenarios(self) -> List[Dict[str, Any]]:
        """The built-in scenarios: [{name, description}]"""
        return self._call("GET", "/_mock/scenarios")["scenarios"]

    def load_scenario(self, scenario: Union[str, Dict[str, Any]]) -> Dict[str, Any]:
        """A built-in scenario by name, or a whole scenario object."""
        body = {"name": scenario} if isinstance(scenario, str) else scenario
        return self._call("POST", "/_mock/scenarios", body)

    def requests(self, method: Optional[str] = None, path: Optional[str] = None, *,
                 api_key: Optional[str] = None, status: Optional[int] = None,
                 since: Union[int, str, None] = None, limit: Optional[int] = None) -> List[Dict[str, Any]]:
        """The journal's entries, oldest first; path is a glob
        ("/v1/audiences/*/build")."""
        query = _journal_query(method, path, api_key, status, since, limit)
        return self._call("GET", "/_mock/requests", query=query)["entries"]

    def count(self, method: Optional[str] = None, path: Optional[str] = None, *,
              api_key: Optional[str] = None, status: Optional[int] = None,
              since: Union[int, str, None] = None) -> int:
        """How many journal entries match: count(method="POST", path="/v1/audiences/*/build")."""
        query = _journal_query(method, path, api_key, status, since, None)
        return self._call("GET", "/_mock/requests", query=query)["count"]

    def clear_requests(self) -> None:
        self._call("DELETE", "/_mock/requests")

    def outbox(self, to: Optional[str] = None) -> List[Dict[str, Any]]:
        """The e-mails the real service would have sent: [{time, to, subject, body, links}]"""
        return self._call("GET", "/_mock/outbox", query={"to": to})["messages"]

    def clear_outbox(self) -> None:
        self._call("DELETE", "/_mock/outbox")

    def tenant(self, api_key: str) -> "Tenant":
        """The per-tenant view of one key (its own clock, reset, scenario and
        faults), on a server with the tenant capability."""
        return Tenant(self, api_key)


class Tenant(_Control):
    """One API key's part of a shared server: the /_mock/accounts/{key}/...
    routes. Extension point: on a server without them, every per-tenant call
    raises TenantsUnsupported (the journal and outbox calls work anywhere)."""

    def __init__(self, mock: DescovoMock, api_key: str):
        self.mock, self.api_key = mock, api_key
        self.base_url, self.admin_token, self.timeout = mock.base_url, mock.admin_token, mock.timeout
        self._prefix = f"/_mock/accounts/{_quote(api_key)}"

    def _tenant_call(self, method: str, tail: str, body: Json = None) -> Json:
        path = self._prefix + tail
        status, answer = self.request(method, path, body)
        if status in (404, 405) and "No such endpoint" in json.dumps(answer):
            raise TenantsUnsupported(method, path, status, answer)
        if status != 200:
            raise DescovoMockError(method, path, status, answer)
        return answer.get("output", answer) if isinstance(answer, dict) else answer

    def account(self) -> Dict[str, Any]:
        return self.mock.account(self.api_key)

    def set_account(self, **fields: Any) -> Dict[str, Any]:
        return self.mock.set_account(self.api_key, **fields)

    def reset(self) -> None:
        self._tenant_call("POST", "/reset")

    def clock(self) -> Dict[str, Any]:
        return self._tenant_call("GET", "/clock")

    def advance(self, seconds: float) -> Dict[str, Any]:
        return self._tenant_call("POST", "/clock/advance", {"seconds": seconds})

    def load_scenario(self, scenario: Union[str, Dict[str, Any]]) -> Dict[str, Any]:
        body = {"name": scenario} if isinstance(scenario, str) else scenario
        return self._tenant_call("POST", "/scenario", body)

    def faults(self) -> List[Dict[str, Any]]:
        return self._tenant_call("GET", "/faults")["faults"]

    def clear_faults(self) -> None:
        self._tenant_call("DELETE", "/faults")

    def add_fault(self, rule: Optional[Dict[str, Any]] = None, **fields: Any) -> int:
        """A global rule whose match is this key."""
        rule = _fault_rule(rule, fields)
        rule["match"] = dict(rule.get("match") or {}, apiKey=self.api_key)
        return self.mock.add_fault(rule)

    def requests(self, method: Optional[str] = None, path: Optional[str] = None, **query: Any):
        return self.mock.requests(method, path, api_key=self.api_key, **query)

    def count(self, method: Optional[str] = None, path: Optional[str] = None, **query: Any) -> int:
        return self.mock.count(method, path, api_key=self.api_key, **query)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


class DescovoMockTestCase(unittest.TestCase):
    """unittest: one server per class (from_env), reset before each test.
    Set mock_args = ("--scenario", "flaky-5xx") for more options."""

    mock: DescovoMock
    mock_args: Sequence[str] = ()

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.mock = DescovoMock.from_env(*cls.mock_args)
        cls.addClassCleanup(cls.mock.stop)

    def setUp(self) -> None:
        super().setUp()
        self.mock.reset()


try:  # the pytest plugin, when pytest is there
    import pytest
except ImportError:  # pragma: no cover - the plain context manager remains
    pytest = None

if pytest is not None:

    @pytest.fixture(scope="session")
    def descovo_mock_server() -> Iterable[DescovoMock]:
        """One descovo-mock for the session (from_env), stopped at its end."""
        mock = DescovoMock.from_env()
        try:
            yield mock
        finally:
            mock.stop()

    @pytest.fixture
    def descovo_mock(descovo_mock_server: DescovoMock) -> Iterable[DescovoMock]:
        """The session's descovo-mock, reset before the test."""
        descovo_mock_server.reset()
        yield descovo_mock_server
