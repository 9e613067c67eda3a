# Sourced by benchmarks: start_haproxy_responder DIR starts an HAProxy on a
# free loopback port that answers every request itself (200 "healthy"),
# keeping connections alive as long as the broker keeps them idle (60 s).
# Sets ha_port, haproxy (its pid) and ha_sock (its admin socket).
start_haproxy_responder() {
  local dir=$1
  ha_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  ha_sock="$dir/haproxy.sock"
  cat >"$dir/haproxy.cfg" <<CFG
global
  stats socket $ha_sock mode 600 level admin
  maxconn 8000
defaults
  mode http
  timeout connect 5s
  timeout client 70s
  timeout server 70s
  timeout http-keep-alive 70s
frontend probes
  bind 127.0.0.1:$ha_port
  http-request return status 200 content-type text/plain string healthy
CFG
  /usr/sbin/haproxy -db -f "$dir/haproxy.cfg" >"$dir/haproxy.log" 2>&1 &
  haproxy=$!
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$ha_port") 2>/dev/null && return 0; sleep 0.1; done
  echo "HAProxy did not start:" >&2
  cat "$dir/haproxy.log" >&2
  return 1
}
