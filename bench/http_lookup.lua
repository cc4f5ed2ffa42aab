-- wrk script for bench/http: sends GET requests that cycle through a list
-- of indicator lookup paths, so that the requests spread over many rows of
-- the database instead of hitting one cached row. Usage:
--   wrk -s bench/http_lookup.lua URL -- PATHS_FILE
-- PATHS_FILE has one request path per line, already percent-encoded. Each
-- wrk thread builds every request once in init(), with wrk.format and the
-- -H headers, so that request() only advances a counter and returns a
-- prebuilt string. The script defines no response() function, because wrk
-- then skips calling into Lua for each reply.

local requests = {}
local count = 0
local position = 0
local threads_set_up = 0

-- Runs once per thread in wrk's main Lua state, before that thread's init().
function setup(thread)
   threads_set_up = threads_set_up + 1
   thread:set("thread_number", threads_set_up)
end

function init(args)
   local file = args[1]
   if not file then
      error("http_lookup.lua: pass the paths file after '--' on the wrk command line")
   end
   for path in io.lines(file) do
      count = count + 1
      requests[count] = wrk.format("GET", path)
   end
   if count == 0 then
      error("http_lookup.lua: " .. file .. " contains no paths")
   end
   -- Threads start 7919 paths apart, so that two threads do not send the
   -- same path at the same moment.
   position = ((thread_number or 1) - 1) * 7919 % count
end

function request()
   position = position % count + 1
   return requests[position]
end
