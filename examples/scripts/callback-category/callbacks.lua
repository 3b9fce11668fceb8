-- Servers may call clients back only on objects of one identity category:
-- every other callback is refused (the server gets ObjectNotExistException)
-- before it reaches a client.

local CATEGORY = "events"

function on_callback(req)
  if req.identity.category ~= CATEGORY then
    return deny("callbacks are accepted only for category " .. CATEGORY)
  end
end
