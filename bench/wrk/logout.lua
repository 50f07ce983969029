-- wrk script: the same logout the clients send.
wrk.method = "DELETE"
wrk.headers["Accept"] = "application/json"
wrk.headers["api-version"] = "2.0"
wrk.headers["Authorization"] = "Bearer bench-access-token"
