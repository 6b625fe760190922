-- wrk script for the device poll row (bench/server-poll.sh), identical for both sides:
--   wrk ... -s poll.lua URL -- DEVICES_FILE [START_FRACTION]
-- DEVICES_FILE has "device_id device_token" lines; each request is the next device's
-- `GET /api/v1/devices/{id}/ota` with its own token, so the run walks the fleet. Threads start
-- at START_FRACTION (0..1, default 0) of the file and spread from there.

local devices = {}
local d = 1

local threads = 0
function setup(thread)
   thread:set("thread_index", threads)
   threads = threads + 1
end

function init(args)
   for line in io.lines(args[1]) do
      local id, token = line:match("^(%S+)%s+(%S+)$")
      if id then
         devices[#devices + 1] = { "/api/v1/devices/" .. id .. "/ota", "Bearer " .. token }
      end
   end
   -- Threads start far apart in the fleet (golden-ratio spacing, whatever their number).
   local t = thread_index or 0
   local start = tonumber(args[2] or "0") + t * 0.618034
   d = math.floor((start % 1) * #devices) % #devices + 1
end

function request()
   local dev = devices[d]
   d = d % #devices + 1
   return wrk.format("GET", dev[1], { ["Authorization"] = dev[2] })
end
