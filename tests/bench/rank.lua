-- wrk script: POST /v1/rank, 1,000 providers ranked, top 10 returned.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"profile":{"weights":{"availability":3,"responsiveness":2,"scalability":1,"reliability":5,"service_sustainability":1,"service_support":1,"customer_response":2}},"top_k":10}'
