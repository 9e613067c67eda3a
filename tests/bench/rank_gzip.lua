-- wrk script: POST /v1/rank as rank.lua, from a client that accepts gzip
-- (as browsers, curl --compressed and most HTTP libraries do).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept-Encoding"] = "gzip"
wrk.body = '{"profile":{"weights":{"availability":3,"responsiveness":2,"scalability":1,"reliability":5,"service_sustainability":1,"service_support":1,"customer_response":2}},"top_k":10}'
