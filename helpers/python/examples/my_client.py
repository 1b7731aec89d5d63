"""The code under test in the examples: a tiny client of the Descovo API,
as your project would have one (yours is probably bigger)."""

import json
import time
import urllib.error
import urllib.request


class OutOfCredits(Exception):
    pass


def _call(base_url, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base_url + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return res.status, json.load(res), res.headers
    except urllib.error.HTTPError as err:
        return err.code, json.load(err), err.headers


def credits(base_url, api_key, retries=3, sleep=time.sleep):
    """The balance; retries a 503 after its Retry-After."""
    for attempt in range(retries + 1):
        status, answer, headers = _call(base_url, "GET", f"/v1/credits?apiKey={api_key}")
        if status == 503 and attempt < retries:
            sleep(float(headers.get("Retry-After", "1")))
            continue
        if status != 200:
            raise RuntimeError(f"credits: HTTP {status}: {answer}")
        return answer["output"]["credits"]


def build_audience(base_url, api_key, name, filters):
    """Creates an audience, sets its filters and starts the build; returns its id."""
    status, answer, _ = _call(base_url, "POST", "/v1/audiences/create", {"apiKey": api_key, "name": name})
    audience = answer["output"]["audienceId"]
    _call(base_url, "PATCH", f"/v1/audiences/{audience}/search-params", dict(filters, apiKey=api_key))
    status, answer, _ = _call(base_url, "POST", f"/v1/audiences/{audience}/build", {"apiKey": api_key})
    if status == 402:
        raise OutOfCredits(answer["error"]["message"])
    return audience


def status(base_url, api_key, audience):
    return _call(base_url, "GET", f"/v1/audiences/{audience}?apiKey={api_key}")[1]["output"]["status"]
