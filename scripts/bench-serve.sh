#!/usr/bin/env bash
# bench-serve.sh: otnsim serve against a bare net/http server (bareserve)
# under wrk, side by side in one sitting: in-window text sends to one
# subscriber, rate limits off, each server measured at each connection count
# in turn, ROUNDS times. Prints one line a run, then the medians as a
# Markdown table. Without wrk it runs the Go benchmark pair instead.
#
# Environment: CONNS (default "8 64"), DURATION (10s), ROUNDS (3),
# THREADS (wrk threads, 2), PORT_OTNSIM (18787), PORT_BARE (18788), GO (go),
# WRK (wrk), BENCHTIME (the Go benchmark's, 2s).
set -euo pipefail

GO=${GO:-go}
CONNS=${CONNS:-8 64}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
PORT_OTNSIM=${PORT_OTNSIM:-18787}
PORT_BARE=${PORT_BARE:-18788}
WRK=${WRK:-wrk}
TOKEN=EAAotnsimPAGEtoken

if ! command -v "$WRK" >/dev/null 2>&1; then
	echo "bench-serve: $WRK is not installed; running the Go benchmark pair instead (BenchmarkServeLoopback)"
	exec "$GO" test -run '^$' -bench '^BenchmarkServeLoopback$' -benchtime "${BENCHTIME:-2s}" ./fakegraph
fi

work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

"$GO" build -o "$work/otnsim" ./cmd/otnsim
"$GO" build -o "$work/bareserve" ./internal/servebench/bareserve

otnsim=http://127.0.0.1:$PORT_OTNSIM
bare=http://127.0.0.1:$PORT_BARE
"$work/otnsim" serve --addr "127.0.0.1:$PORT_OTNSIM" --no-rate-limits >"$work/otnsim.log" 2>&1 &
pids+=($!)
"$work/bareserve" -addr "127.0.0.1:$PORT_BARE" >"$work/bare.log" 2>&1 &
pids+=($!)
for url in "$otnsim/healthz" "$bare/healthz"; do
	for _ in $(seq 100); do
		curl -sf -o /dev/null "$url" && break
		sleep 0.1
	done
	curl -sf -o /dev/null "$url" || { echo "bench-serve: $url does not answer" >&2; cat "$work"/*.log >&2; exit 1; }
done

body='{"recipient":{"id":"111"},"messaging_type":"RESPONSE","message":{"text":"Back in stock!"}}'
cat >"$work/send.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
LUA

# fresh empties fakegraph's ledger and opens the subscriber's window, so that
# every otnsim run starts from the same state.
fresh() {
	curl -sf -o /dev/null -XPOST "$otnsim/otnsim/v1/reset"
	curl -sf -o /dev/null -XPOST "$otnsim/otnsim/v1/users" -d '{"psid":"111"}'
	curl -sf -o /dev/null -XPOST "$otnsim/otnsim/v1/users/111/message" -d '{"text":"hi"}'
	# one send checks that the call is accepted
	code=$(curl -s -o /dev/null -w '%{http_code}' -XPOST "$otnsim/v19.0/me/messages?access_token=$TOKEN" \
		-H 'Content-Type: application/json' -d "$body")
	[ "$code" = 200 ] || { echo "bench-serve: the send answered $code, not 200" >&2; exit 1; }
}

# run NAME BASE CONNS prints "NAME CONNS REQ/S P99_MS".
run() {
	local out
	out=$("$WRK" -t"$THREADS" -c"$3" -d"$DURATION" --latency -s "$work/send.lua" "$2/v19.0/me/messages?access_token=$TOKEN")
	if grep -q 'Non-2xx' <<<"$out"; then
		echo "bench-serve: $1 answered errors:" >&2
		echo "$out" >&2
		exit 1
	fi
	awk -v name="$1" -v c="$3" '
		function ms(v) {
			if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
			if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
			if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
			return v + 0
		}
		$1 == "99%" { p99 = ms($2) }
		$1 == "Requests/sec:" { rps = $2 }
		END { printf "%s %s %.0f %.2f\n", name, c, rps, p99 }
	' <<<"$out"
}

echo "bench-serve: wrk -t$THREADS -d$DURATION, $ROUNDS rounds, connections: $CONNS"
echo "server conns req/s p99_ms"
for r in $(seq "$ROUNDS"); do
	for c in $CONNS; do
		fresh
		run otnsim "$otnsim" "$c"
		run bare "$bare" "$c"
	done
done | tee "$work/runs.txt"

echo
echo "Medians of $ROUNDS rounds:"
echo
echo "| connections | otnsim serve | bare net/http | ratio | serve p99 | bare p99 |"
echo "| --- | --- | --- | --- | --- | --- |"
for c in $CONNS; do
	med() { awk -v s="$1" -v c="$c" -v f="$2" '$1 == s && $2 == c { print $f }' "$work/runs.txt" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
	so=$(med otnsim 3); sb=$(med bare 3); po=$(med otnsim 4); pb=$(med bare 4)
	awk -v c="$c" -v so="$so" -v sb="$sb" -v po="$po" -v pb="$pb" \
		'BEGIN { printf "| %s | %.1fk req/s | %.1fk | %.2f | %.2f ms | %.2f ms |\n", c, so / 1000, sb / 1000, so / sb, po, pb }'
done
