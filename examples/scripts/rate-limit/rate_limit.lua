-- At most LIMIT requests per user in each WINDOW seconds. store.incr
-- counts in a store shared by all requests; a counter's TTL starts with
-- its first request, so each window is fixed.

local LIMIT = 5
local WINDOW = 1

function on_request(req)
  local who = req.session and req.session.user or req.connection.remote_address
  local n = store.incr("rate:" .. who, 1, WINDOW)
  if n > LIMIT then
    return deny("rate limit: more than " .. LIMIT .. " requests in " .. WINDOW .. "s")
  end
end
