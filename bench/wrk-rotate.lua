-- wrk script for bench/run: rotate request paths read from a file (one
-- path per line, already URL-encoded), each thread starting at a different
-- place.  Used with wrk-report.lua appended (bench/run concatenates them).
local paths = {}
local n, i = 0, 0
local threads = 0

setup = function(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

init = function(args)
  local f = assert(io.open(args[1], "r"))
  for line in f:lines() do
    if line ~= "" then
      n = n + 1
      paths[n] = line
    end
  end
  f:close()
  assert(n > 0, "no paths in " .. args[1])
  i = (((thread_id or 1) - 1) * 7919) % n
end

request = function()
  i = (i % n) + 1
  return wrk.format(nil, paths[i])
end
