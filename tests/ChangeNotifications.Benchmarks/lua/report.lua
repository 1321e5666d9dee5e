-- Shared by the wrk scripts: one machine-readable line per run (latencies in microseconds).
function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  io.write(string.format(
    "RESULT requests=%d rps=%.1f p50_us=%d p99_us=%d max_us=%d non2xx=%d timeouts=%d socket_errors=%d\n",
    summary.requests, summary.requests / seconds,
    latency:percentile(50), latency:percentile(99), latency.max,
    errors.status, errors.timeout, errors.connect + errors.read + errors.write))
end
