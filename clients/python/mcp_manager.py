"""Python client of the Moodle MCP stack's proxy API (standard library only).

    from mcp_manager import MCPManager
    m = MCPManager("http://127.0.0.1:4000", admin_token="...")   # or PROXY_ADMIN_TOKEN
    m.check_health()          # {"status": "ok", "active": {...}, "targets": [...]}
    m.status()                # active target, since when and why; targets and workers
    m.switch("standby")       # needs the admin token; force=True for an unhealthy target
    m.drain("worker-2"); m.enable("worker-2")
    m.send_request("/health") # any path of the active target's HTTP API (/api/target/...)

Every failure raises MCPManagerError with the proxy's own message and the HTTP
status (0 when the proxy could not be reached). The token is sent only as a
Bearer header and never appears in an error message.

Also a tiny command line: python3 mcp_manager.py [--url URL] status|health|switch TARGET [--force]
"""

import json
import os
import sys
import urllib.error
import urllib.request

__all__ = ["MCPManager", "MCPManagerError"]


class MCPManagerError(Exception):
    """A refused or failed call; `status` is the HTTP status (0: unreachable), `code` the proxy's error code."""

    def __init__(self, message, status=0, code=None):
        super().__init__(message)
        self.status = status
        self.code = code


class MCPManager:
    def __init__(self, url="http://127.0.0.1:4000", admin_token=None, timeout=10.0):
        if not url.startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://, got %r" % url)
        self.url = url.rstrip("/")
        self.admin_token = admin_token if admin_token is not None else os.environ.get("PROXY_ADMIN_TOKEN")
        self.timeout = timeout

    def check_health(self):
        """GET /health: every target and worker. A stack with no healthy target answers 503: returned, not raised."""
        return self._call("GET", "/health", accept=(200, 503))

    def status(self):
        """GET /api/proxy/status: active target (since, reason), targets, workers, recent events."""
        return self._call("GET", "/api/proxy/status")

    def config(self):
        """GET /config: the effective configuration, secrets removed."""
        return self._call("GET", "/config")

    def switch(self, target, force=False):
        """POST /api/proxy/switch; returns the new status."""
        body = {"target": target}
        if force:
            body["force"] = True
        return self._call("POST", "/api/proxy/switch", body=body, admin=True)

    def drain(self, worker):
        return self._call("POST", "/api/proxy/workers/%s/drain" % urllib.request.quote(worker, safe=""), admin=True)["worker"]

    def enable(self, worker):
        return self._call("POST", "/api/proxy/workers/%s/enable" % urllib.request.quote(worker, safe=""), admin=True)["worker"]

    def send_request(self, path, method="GET", body=None, headers=None):
        """Sends a request through the proxy to the active target's HTTP API (path like "/health").

        Returns (status, headers, parsed JSON or text)."""
        if not path.startswith("/"):
            raise ValueError("path must start with /, got %r" % path)
        req = self._request(method, "/api/target" + path, body, headers or {})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as res:
                return res.status, dict(res.headers), _decode(res.read())
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), _decode(e.read())
        except (urllib.error.URLError, OSError) as e:
            raise MCPManagerError("the proxy at %s does not answer (%s)" % (self.url, getattr(e, "reason", e)))

    def _request(self, method, path, body, headers, admin=False):
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers = dict(headers, **{"Content-Type": "application/json"})
        if admin:
            if not self.admin_token:
                raise MCPManagerError("this call changes the stack: pass admin_token= or set PROXY_ADMIN_TOKEN", 0, "no_token")
            headers = dict(headers, Authorization="Bearer " + self.admin_token)
        return urllib.request.Request(self.url + path, data=data, method=method, headers=headers)

    def _call(self, method, path, body=None, admin=False, accept=(200,)):
        req = self._request(method, path, body, {"Accept": "application/json"}, admin)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as res:
                return _decode(res.read())
        except urllib.error.HTTPError as e:
            payload = _decode(e.read())
            if e.code in accept:
                return payload
            message = payload.get("message") if isinstance(payload, dict) else str(payload)
            code = payload.get("error") if isinstance(payload, dict) else None
            raise MCPManagerError("%s %s refused (HTTP %d): %s" % (method, path, e.code, message), e.code, code)
        except (urllib.error.URLError, OSError) as e:
            raise MCPManagerError("the proxy at %s does not answer (%s)" % (self.url, getattr(e, "reason", e)))


def _decode(raw):
    text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def _main(argv):
    url = os.environ.get("PROXY_URL", "http://127.0.0.1:4000")
    args = list(argv)
    if len(args) >= 2 and args[0] == "--url":
        url = args[1]
        args = args[2:]
    force = "--force" in args
    args = [a for a in args if a != "--force"]
    m = MCPManager(url)
    try:
        if args == ["status"]:
            print(json.dumps(m.status(), indent=2))
        elif args == ["health"]:
            h = m.check_health()
            print(json.dumps(h, indent=2))
            return 0 if h.get("status") == "ok" else 1
        elif len(args) == 2 and args[0] == "switch":
            print(json.dumps(m.switch(args[1], force=force)["active"], indent=2))
        else:
            print("usage: mcp_manager.py [--url URL] status|health|switch TARGET [--force]", file=sys.stderr)
            return 2
    except MCPManagerError as e:
        print("mcp_manager: %s" % e, file=sys.stderr)
        return 3 if e.status == 0 else 1
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
