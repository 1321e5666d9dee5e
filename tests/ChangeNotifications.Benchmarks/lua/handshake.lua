-- Graph's validation handshake: POST ?validationToken=… with an empty text/plain body; the service echoes the token.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
wrk.method = "POST"
wrk.path = "/api/notifications?validationToken=Validation%3A%20Testing%20client%20application%20reachability%20for%20subscription%20Request-Id%3A%206f1c0f3e-2d4b-4a5e-9c7d-8b9a0e1f2a3b"
wrk.headers["Content-Type"] = "text/plain; charset=utf-8"
wrk.body = ""
