-- wrk script for scripts/bench: walks the REST routes listed in paths.txt (written by
-- gen-json-tree.py bench) with a deterministic mix of methods, bearer tokens, query strings and
-- Accept-Encoding. Usage: wrk ... -s bench.lua URL -- PATHS_FILE SEED

local paths = {}
local tokens = {}
local agents = {
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "okhttp/4.12.0",
    "python-requests/2.31.0",
    "Go-http-client/1.1",
    "axios/1.6.2",
}

local function b64url(n)
    local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    local t = {}
    for i = 1, n do
        local k = math.random(64)
        t[i] = alphabet:sub(k, k)
    end
    return table.concat(t)
end

function init(args)
    local f = assert(io.open(args[1], "r"))
    for line in f:lines() do
        if #line > 0 then paths[#paths + 1] = line end
    end
    f:close()
    math.randomseed(tonumber(args[2] or "1"))
    for i = 1, 64 do -- JWT-shaped opaque tokens: header.payload.signature
        tokens[i] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." .. b64url(96) .. "." .. b64url(43)
    end
end

local function collection(path)
    -- /api/v1/users/123/orders -> /api/v1/users ; /api/v1/users -> /api/v1/users
    return path:match("^(/api/v%d/[%a_]+)") or path
end

function request()
    local r = math.random(100)
    local path = paths[math.random(#paths)]
    local headers = {
        ["Host"] = "api.example.test",
        ["User-Agent"] = agents[math.random(#agents)],
        ["Accept"] = "application/json",
        ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)],
    }
    if math.random(100) <= 35 then
        headers["Accept-Encoding"] = "gzip, deflate"
    end
    local method, body = "GET", nil
    if r <= 78 then
        if math.random(4) == 1 then
            path = path .. "?page=" .. math.random(20) .. "&limit=" .. (25 * math.random(4))
        end
    elseif r <= 87 then
        method = "POST"
        path = collection(path)
        body = string.format('{"name":"item-%d","qty":%d,"tags":["a","b"],"note":"%s"}',
                             math.random(1e6), math.random(10), b64url(math.random(16, 400)))
    elseif r <= 93 then
        method = (r % 2 == 0) and "PUT" or "PATCH"
        body = string.format('{"status":"%s","version":%d}', b64url(8), math.random(100))
    elseif r <= 96 then
        method = "DELETE"
    else
        path = path .. "/does-not-exist"
    end
    if body then
        headers["Content-Type"] = "application/json"
    end
    return wrk.format(method, path, headers, body)
end
