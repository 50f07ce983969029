-- wrk script: the same token exchange the clients send (form POST).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
wrk.headers["api-version"] = "2.0"
wrk.body = "code=bench-code-1&client_id=bench-client-id&client_secret=bench-client-secret&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback&grant_type=authorization_code"
-- No Lua response callback: it would slow wrk down; wrk itself reports any
-- non-2xx answer ("Non-2xx or 3xx responses"), which fails the check.
