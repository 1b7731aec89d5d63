-- wrk script: POST /v1/audiences/{id}/enrichment/estimate with a fixed body
-- (the URL given to wrk carries the audience id). The key comes from
-- DESCOVO_BENCH_KEY (default: the development key). Reports like report.lua.

local key = os.getenv("DESCOVO_BENCH_KEY") or "sk_test_descovo_dev"

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"apiKey":"' .. key .. '","maxProspectsToEnrich":50,' ..
           '"enrichmentType":{"getWorkEmails":true,"getPersonalEmails":false,"getPhoneNumbers":true}}'

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")
