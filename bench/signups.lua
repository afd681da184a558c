-- wrk script for bench/signups.py (load generator for sign-ups and for its baseline).
--
--   wrk ... -s bench/signups.lua http://127.0.0.1:PORT -- get            (baseline: GET /, expect 200)
--   wrk ... -s bench/signups.lua http://127.0.0.1:PORT -- post BASE BLOCK ID…  (sign-ups, expect 201)
--
-- "post" sends POST /api/v1/sessions/{id}/registrations, cycling through the session ids,
-- with a unique phone number per request: "+49151" .. 8 digits, counting up from
-- BASE + thread number * BLOCK (so threads never share a number).
-- Both modes count answers by status in response() and print them in done() as
-- "BENCH status expected=N" and "BENCH status <code>=N" lines, so both carry the same
-- per-response cost in the load generator.

local threads = {}

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

local mode = "get"
local ids = {}
local counter = 0
local expected_status = 200
local statuses = {}
local headers = { ["Content-Type"] = "application/json" }
local body_head = '{"name": "Bench Person", "phone": "+49151'
local body_tail = '", "language": "de", "consent": true}'

function init(args)
   mode = args[1] or "get"
   if mode == "post" then
      expected_status = 201
      counter = tonumber(args[2]) + tid * tonumber(args[3])
      for i = 4, #args do
         ids[#ids + 1] = args[i]
      end
   end
   expected = 0
   other = ""
end

function request()
   if mode ~= "post" then
      return wrk.format("GET", "/")
   end
   counter = counter + 1
   local id = ids[(counter % #ids) + 1]
   local body = body_head .. string.format("%08d", counter % 100000000) .. body_tail
   return wrk.format("POST", "/api/v1/sessions/" .. id .. "/registrations", headers, body)
end

function response(status, _headers, _body)
   if status == expected_status then
      expected = expected + 1
   else
      statuses[status] = (statuses[status] or 0) + 1
      local parts = {}
      for code, n in pairs(statuses) do
         parts[#parts + 1] = code .. "=" .. n
      end
      other = table.concat(parts, ",")
   end
end

function done(_summary, _latency, _requests)
   local total = 0
   local others = {}
   for _, thread in ipairs(threads) do
      total = total + thread:get("expected")
      local text = thread:get("other")
      for code, n in string.gmatch(text, "(%d+)=(%d+)") do
         others[code] = (others[code] or 0) + tonumber(n)
      end
   end
   print("BENCH status expected=" .. total)
   for code, n in pairs(others) do
      print("BENCH status " .. code .. "=" .. n)
   end
end
