-- wrk script for the 64 KiB range row (bench/server-chunk.sh), identical for both sides:
--   wrk ... -s chunk.lua URL -- DEVICES_FILE PACKAGE_ID ARTIFACT_SIZE
-- DEVICES_FILE has "device_id device_token" lines. Every request names the next device
-- (keep-alive connections rotate through them) and the next 64 KiB range of the artifact, both
-- as airliftd's query (package_id, offset, length) and as a `Range` header; airliftd reads the
-- query, nginx the header, and each ignores the other.

local STEP = 65536
local devices = {}
local package, size, ranges
local d, r = 1, 0

local threads = 0
function setup(thread)
   thread:set("thread_index", threads)
   threads = threads + 1
end

function init(args)
   for line in io.lines(args[1]) do
      local id, token = line:match("^(%S+)%s+(%S+)$")
      if id then
         devices[#devices + 1] = { "/api/v1/devices/" .. id .. "/ota/chunk?package_id=", "Bearer " .. token }
      end
   end
   package, size = args[2], tonumber(args[3])
   ranges = math.ceil(size / STEP)
   -- Threads start at different devices and ranges.
   local t = thread_index or 0
   d = (t * 7919) % #devices + 1
   r = (t * 97) % ranges
end

function request()
   local dev = devices[d]
   d = d % #devices + 1
   local offset = r * STEP
   r = (r + 1) % ranges
   local last = math.min(offset + STEP, size) - 1
   return wrk.format("GET", dev[1] .. package .. "&offset=" .. offset .. "&length=" .. STEP, {
      ["Authorization"] = dev[2],
      ["Range"] = "bytes=" .. offset .. "-" .. last,
   })
end
