-- Lua 5.3 service for haproxy/haproxy.cfg (HAProxy 2.6+, loaded with lua-load).
--
-- `lua.mcp_refuse` answers a connection that a per-address limit refused with
-- one JSON-RPC error line and closes it, so an MCP client (and a person
-- trying `ncat VIP 3000`) reads why instead of seeing the connection just
-- drop. The reason comes from the session variable `sess.mcp_refusal`, set
-- by the frontend's rule; the code is the project's RATE_LIMITED (-32029).
core.register_service("mcp_refuse", "tcp", function(applet)
  local why = applet:get_var("sess.mcp_refusal") or "connection limit reached"
  -- Only the frontend's own words and an address reach here; keep the JSON valid regardless.
  why = why:gsub('[%c"\\]', " ")
  applet:send('{"jsonrpc":"2.0","id":null,"error":{"code":-32029,"message":"Connection refused: ' .. why .. '"}}\n')
end)
