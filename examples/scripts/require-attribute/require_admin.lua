-- Only sessions with the attribute role = "admin" may call delete.
--
-- Attributes are given by authentication (an auth plugin or an
-- on_authenticate returning allow({...})) or, as here, by on_session when
-- the session is created.

local admins = { alice = true }

function on_session(session)
  if session.event == "created" and admins[session.user] then
    session.attributes.role = "admin"
  end
end

function on_request(req)
  if req.operation == "delete" and req.session.attributes.role ~= "admin" then
    log.info("delete refused", { role = req.session.attributes.role or "none" })
    return deny("delete requires the admin role")
  end
end
