-- Servers learn who is calling: the session's user id and session id are
-- added to the context of every request forwarded for the session. Entries
-- a script sets are forwarded even when the client's own context is not,
-- and they replace whatever the client put under the same keys.

function on_request(req)
  req.context["floe.user"] = req.session.user
  req.context["floe.session"] = req.session.id
end
