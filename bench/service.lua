-- wrk script for bench/service.py: one script for every scenario and for the baseline, so the
-- load generator does the same per-answer work (it counts statuses in response()) in all of them.
--
-- Arguments after "--" are key=value pairs:
--   mode=get path=/some/path                   GET, expect 200 (baseline, upcoming page, ICS feed)
--   cookie=NAME=VALUE                          optional Cookie header on GETs (an unknown cookie makes the
--                                              service build the answer instead of handing out the one it
--                                              keeps for anonymous visitors: app/public_cache.py)
--   mode=signup base=N block=N ids=1,2,3       POST /api/v1/sessions/{id}/registrations, expect 201;
--                                              a unique e-mail per request, counting up from
--                                              base + thread number * block; session ids in turn
--   mode=checkin codes=FILE token=T            POST /api/v1/checkin {"code": …}, expect 200; one code
--                                              per line of FILE, each thread its own share, each
--                                              code sent once (then it wraps round and says so)
--   delay=MS                                   optional think time before every request (half load)
--
-- done() prints "BENCH status expected=N", "BENCH status <code>=N" and, for check-in,
-- "BENCH checkin <result>=N" (answers by their "result": ok, already, invalid …) and
-- "BENCH checkin wrapped=N" (scans that had to repeat a code).

local threads = {}

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

local opts = {}
local mode = "get"
local path = "/"
local ids = {}
local codes = {}
local next_code = 0
local counter = 0
local expected_status = 200
local statuses = {}
local headers = { ["Content-Type"] = "application/json" }
local get_headers = {}
local body_head = '{"name": "Bench Person", "email": "bench'
local body_tail = '@example.org", "language": "de", "consent": true}'

function init(args)
   for _, arg in ipairs(args) do
      local key, value = arg:match("^(%w+)=(.*)$")
      if key then
         opts[key] = value
      end
   end
   mode = opts.mode or "get"
   path = opts.path or "/"
   if opts.cookie then
      get_headers["Cookie"] = opts.cookie
   end
   if mode == "signup" then
      expected_status = 201
      counter = tonumber(opts.base) + tid * tonumber(opts.block)
      for id in string.gmatch(opts.ids, "%d+") do
         ids[#ids + 1] = id
      end
   elseif mode == "checkin" then
      headers["Authorization"] = "Bearer " .. opts.token
      local n = 0
      for line in io.lines(opts.codes) do
         if n % tonumber(opts.threads or "1") == tid then
            codes[#codes + 1] = line
         end
         n = n + 1
      end
   end
   local think = tonumber(opts.delay or "0")
   if think > 0 then
      delay = function()
         return think
      end
   end
   expected = 0
   results = {}
   result_text = ""
   wrapped = 0
   other = ""
end

function request()
   if mode == "signup" then
      counter = counter + 1
      local id = ids[(counter % #ids) + 1]
      return wrk.format("POST", "/api/v1/sessions/" .. id .. "/registrations", headers,
         body_head .. counter .. body_tail)
   elseif mode == "checkin" then
      next_code = next_code + 1
      if next_code > #codes then
         next_code = 1
      end
      counter = counter + 1
      if counter > #codes then
         wrapped = wrapped + 1
      end
      return wrk.format("POST", "/api/v1/checkin", headers, '{"code": "' .. codes[next_code] .. '"}')
   end
   return wrk.format("GET", path, get_headers)
end

function response(status, _headers, body)
   if status == expected_status then
      expected = expected + 1
      if mode == "checkin" then
         local result = string.match(body, '"result"%s*:%s*"(%a+)"') or "unreadable"
         results[result] = (results[result] or 0) + 1
         local parts = {}
         for name, n in pairs(results) do
            parts[#parts + 1] = name .. "=" .. n
         end
         result_text = table.concat(parts, ",")
      end
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
   local total, wraps = 0, 0
   local others = {}
   local by_result = {}
   for _, thread in ipairs(threads) do
      total = total + thread:get("expected")
      for name, n in string.gmatch(thread:get("result_text"), "(%a+)=(%d+)") do
         by_result[name] = (by_result[name] or 0) + tonumber(n)
      end
      wraps = wraps + thread:get("wrapped")
      for code, n in string.gmatch(thread:get("other"), "(%d+)=(%d+)") do
         others[code] = (others[code] or 0) + tonumber(n)
      end
   end
   print("BENCH status expected=" .. total)
   for code, n in pairs(others) do
      print("BENCH status " .. code .. "=" .. n)
   end
   if next(by_result) ~= nil then -- only check-in answers have a result (done() cannot see "mode")
      for name, n in pairs(by_result) do
         print("BENCH checkin " .. name .. "=" .. n)
      end
      print("BENCH checkin wrapped=" .. wraps)
   end
end
