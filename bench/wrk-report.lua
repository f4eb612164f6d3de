-- wrk script for bench/run: prints one machine-readable line at the end.
-- Latencies are in microseconds.  "status" counts responses >= 400
-- (wrk's own rule); bench/run checks each case's URL with curl first, so a
-- redirect or other non-2xx answer is caught before the load run.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean))
end
