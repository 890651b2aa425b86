"""Runs MCPManager against a running proxy (PROXY_URL, PROXY_ADMIN_TOKEN; targets primary and standby).

Started by services/proxy/test/stack-proxy.test.ts; standalone: python3 -m unittest test_mcp_manager -v
"""

import os
import unittest

from mcp_manager import MCPManager, MCPManagerError


class AgainstRunningProxy(unittest.TestCase):
    def setUp(self):
        self.url = os.environ["PROXY_URL"]
        self.m = MCPManager(self.url, admin_token=os.environ["PROXY_ADMIN_TOKEN"])

    def test_check_health_lists_every_target(self):
        h = self.m.check_health()
        self.assertEqual(h["status"], "ok")
        self.assertEqual(sorted(t["name"] for t in h["targets"]), ["primary", "standby"])

    def test_status_names_the_active_target(self):
        s = self.m.status()
        self.assertIn(s["active"]["target"], ("primary", "standby"))
        self.assertTrue(s["active"]["reason"])

    def test_switch_and_back(self):
        before = self.m.status()["active"]["target"]
        other = "standby" if before == "primary" else "primary"
        self.assertEqual(self.m.switch(other)["active"]["target"], other)
        self.assertEqual(self.m.status()["active"]["target"], other)
        self.assertEqual(self.m.switch(before)["active"]["target"], before)

    def test_switch_without_the_token_is_refused_and_changes_nothing(self):
        before = self.m.status()["active"]
        anon = MCPManager(self.url, admin_token="wrong-token-0123456789")
        with self.assertRaises(MCPManagerError) as ctx:
            anon.switch("standby" if before["target"] == "primary" else "primary")
        self.assertEqual(ctx.exception.status, 401)
        self.assertNotIn("wrong-token-0123456789", str(ctx.exception))
        self.assertEqual(self.m.status()["active"], before)

    def test_unknown_target_is_a_clear_error(self):
        with self.assertRaises(MCPManagerError) as ctx:
            self.m.switch("no-such-target")
        self.assertEqual(ctx.exception.status, 404)
        self.assertIn("no target named no-such-target", str(ctx.exception))

    def test_send_request_reaches_the_active_targets_worker(self):
        status, _headers, body = self.m.send_request("/health")
        self.assertEqual(status, 200)
        self.assertEqual(body["status"], "ok")

    def test_unreachable_proxy_is_reported(self):
        with self.assertRaises(MCPManagerError) as ctx:
            MCPManager("http://127.0.0.1:9", timeout=2).status()
        self.assertEqual(ctx.exception.status, 0)


if __name__ == "__main__":
    unittest.main()
