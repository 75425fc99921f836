# http_lab.sh: helpers for the vhost tests. Source after lab.sh and burrow.sh.
VHOST_HTTP=8080
VHOST_HTTPS=8443
HTTP_BACKEND="${BURROW_SRC:-$(dirname "${BASH_SOURCE[0]}")/../..}/tests/lab/http_backend.py"

# http_backend NODE NAME IP PORT [ARGS...]: start tests/lab/http_backend.py
# (site NAME) and wait until it listens. Log: $LAB_TMP/be-NAME.log.
http_backend() {
    local node=$1 name=$2 ip=$3 port=$4; shift 4
    lab_bg "$node" "$LAB_TMP/be-$name.log" python3 -u "$HTTP_BACKEND" --bind "$ip" --port "$port" \
        --site "$name" --dir "$LAB_TMP/www" "$@"
    lab_wait_port "$node" tcp "$ip" "$port" 10
}

# vhost_proxy FILE NAME TYPE LOCALIP LOCALPORT [TOML-LINES...]: append an
# http/https [[proxies]] entry.
vhost_proxy() {
    local f=$1 name=$2 type=$3 ip=$4 port=$5; shift 5
    {
        echo ""
        echo "[[proxies]]"
        echo "name = \"$name\""
        echo "type = \"$type\""
        echo "localIP = \"$ip\""
        echo "localPort = $port"
        local l
        for l in "$@"; do echo "$l"; done
    } >>"$f"
}

# vget HOST PATH [CURL-ARGS...]: GET through the http vhost from `user`; body on stdout.
vget() {
    local host=$1 path=$2; shift 2
    lab_exec user curl -sS --max-time 15 -H "Host: $host" "$@" "http://$SRV_ADDR:$VHOST_HTTP$path"
}

# vcode HOST PATH [CURL-ARGS...]: only the status code.
vcode() {
    local host=$1 path=$2; shift 2
    lab_exec user curl -s -o /dev/null -w '%{http_code}' --max-time 15 -H "Host: $host" "$@" \
        "http://$SRV_ADDR:$VHOST_HTTP$path"
}

# json_field JSON KEY: a top-level string field of /echo's answer.
json_field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2]))' "$1" "$2"; }

# json_header JSON NAME: the value the backend received for header NAME ("" when absent).
json_header() {
    python3 -c 'import json,sys
h=[v for k,v in json.loads(sys.argv[1])["headers"] if k.lower()==sys.argv[2].lower()]
print(h[0] if h else "")' "$1" "$2"
}
