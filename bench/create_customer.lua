-- wrk script: POST /api/v1/customers with a small body; the token comes from
-- the environment (TING_TOKEN).
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TING_TOKEN")
request = function()
  n = n + 1
  local body = string.format('{"name":"Bench %d","phone":"1380013%04d","vip":false}', n, n % 10000)
  return wrk.format(nil, "/api/v1/customers", nil, body)
end
