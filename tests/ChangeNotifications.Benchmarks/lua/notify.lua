-- Posts Graph-shaped change-notification batches (user 'updated' changes) for the subscriptions the driver seeded.
-- BENCH_DATA: the Lua table written by `Driver seed`; BENCH_BATCH: notifications per POST; BENCH_RUN: a tag that
-- keeps notification ids unique across runs (every item is new to the inbox, none is a duplicate).
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

function request()
  counter = counter + 1
  local items = {}
  for i = 1, batch do
    local sub = subs[((counter + i) % #subs) + 1]
    items[i] = string.format(template, run, thread_id or 0, counter, i, sub.id, sub.clientState)
  end
  return wrk.format("POST", "/api/notifications", headers, '{"value":[' .. table.concat(items, ",") .. ']}')
end
