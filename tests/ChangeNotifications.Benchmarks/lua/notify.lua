-- Posts Graph-shaped change-notification batches (user 'updated' changes) for the subscriptions the driver seeded.
-- BENCH_DATA: the Lua table written by `Driver seed`; BENCH_BATCH: notifications per POST; BENCH_RUN: a tag that
-- keeps notification ids unique across runs (every item is new to the inbox, none is a duplicate). BENCH_DELAY_MS: the
-- mean pause before each request of a connection (wrk's delay()), to offer a load below saturation; the pauses are
-- drawn at random (exponential), so that the connections send independently, not in step.
local dir = os.getenv("BENCH_LUA_DIR")
dofile(dir .. "/report.lua")
local data = dofile(os.getenv("BENCH_DATA"))
local batch = tonumber(os.getenv("BENCH_BATCH") or "1")
local run = os.getenv("BENCH_RUN") or tostring(os.time())

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

local template = '{"id":"%s-%d-%d-%d","subscriptionId":"%s","subscriptionExpirationDateTime":"' .. data.expires
  .. '","clientState":"%s","changeType":"updated","resource":"Users/' .. data.userId .. '","tenantId":"' .. data.tenantId
  .. '","resourceData":{"@odata.type":"#Microsoft.Graph.User","@odata.id":"Users/' .. data.userId .. '","id":"'
  .. data.userId .. '","organizationId":"' .. data.tenantId .. '"}}'
local headers = { ["Content-Type"] = "application/json; charset=utf-8" }
local subs = data.subscriptions
local counter = 0

local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
if pause > 0 then
  function init(args)
    math.randomseed(os.time() * 100 + (thread_id or 0))
  end

  function delay()
    return math.floor(-pause * math.log(1 - math.random()))
  end
end

function request()
  counter = counter + 1
  local items = {}
  for i = 1, batch do
    local sub = subs[((counter + i) % #subs) + 1]
    items[i] = string.format(template, run, thread_id or 0, counter, i, sub.id, sub.clientState)
  end
  return wrk.format("POST", "/api/notifications", headers, '{"value":[' .. table.concat(items, ",") .. ']}')
end
