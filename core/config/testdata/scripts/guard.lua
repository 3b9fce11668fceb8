function on_request(req) end
