-- wrk script: prints one machine-readable line at the end of a run, read by
-- bench/run.sh. Latencies are in microseconds.
-- BENCH requests=N duration_us=N rps=F p50_us=N p99_us=N non2xx=N
--       connect_errors=N read_errors=N write_errors=N timeouts=N

done = function(summary, latency, requests)
  local e = summary.errors
  local rps = 0
  if summary.duration > 0 then
    rps = summary.requests / (summary.duration / 1e6)
  end
  io.write(string.format(
    "BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d non2xx=%d " ..
    "connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
    summary.requests, summary.duration, rps,
    latency:percentile(50), latency:percentile(99), e.status,
    e.connect, e.read, e.write, e.timeout))
end
