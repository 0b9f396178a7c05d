#!/usr/bin/env bash
# bench-serve.sh: otnsim serve against a bare net/http server (bareserve)
# under wrk, side by side in one sitting: in-window text sends to one
# subscriber, rate limits off, each server measured at each connection count
# in turn, ROUNDS times. Prints one line a run, then the medians as a
# Markdown table. Without wrk it runs the Go benchmark pair instead.
#
# Environment: CONNS (default "8 64"), DURATION (10s), ROUNDS (3),
# THREADS (wrk threads, 2), PORT (first of three ports, 18787), GO (go),
# WRK (wrk), BENCHTIME (the Go benchmark's, 2s), and BEFORE: the path of
# another otnsim binary (an older build) to measure in the same sitting.
set -euo pipefail

GO=${GO:-go}
CONNS=${CONNS:-8 64}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
PORT=${PORT:-18787}
WRK=${WRK:-wrk}
BEFORE=${BEFORE:-}
TOKEN=EAAotnsimPAGEtoken

if ! command -v "$WRK" >/dev/null 2>&1; then
	echo "bench-serve: $WRK is not installed; running the Go benchmark pair instead (BenchmarkServeLoopback)"
	exec "$GO" test -run '^$' -bench '^BenchmarkServeLoopback$' -benchtime "${BENCHTIME:-2s}" ./fakegraph
fi
if [ -n "$BEFORE" ] && [ ! -x "$BEFORE" ]; then
	echo "bench-serve: BEFORE=$BEFORE is not an executable otnsim binary" >&2
	exit 2
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

declare -A base
base[otnsim]=http://127.0.0.1:$PORT
base[bare]=http://127.0.0.1:$((PORT + 1))
servers="otnsim bare"
"$work/otnsim" serve --addr "127.0.0.1:$PORT" --no-rate-limits >"$work/otnsim.log" 2>&1 &
pids+=($!)
"$work/bareserve" -addr "127.0.0.1:$((PORT + 1))" >"$work/bare.log" 2>&1 &
pids+=($!)
if [ -n "$BEFORE" ]; then
	base[before]=http://127.0.0.1:$((PORT + 2))
	servers="before otnsim bare"
	"$BEFORE" serve --addr "127.0.0.1:$((PORT + 2))" --no-rate-limits >"$work/before.log" 2>&1 &
	pids+=($!)
fi
for s in $servers; do
	url=${base[$s]}/healthz
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

# fresh empties a fakegraph's ledger and opens the subscriber's window, so
# that every run starts from the same state.
fresh() {
	curl -sf -o /dev/null -XPOST "$1/otnsim/v1/reset"
	curl -sf -o /dev/null -XPOST "$1/otnsim/v1/users" -d '{"psid":"111"}'
	curl -sf -o /dev/null -XPOST "$1/otnsim/v1/users/111/message" -d '{"text":"hi"}'
	# one send checks that the call is accepted
	code=$(curl -s -o /dev/null -w '%{http_code}' -XPOST "$1/v19.0/me/messages?access_token=$TOKEN" \
		-H 'Content-Type: application/json' -d "$body")
	[ "$code" = 200 ] || { echo "bench-serve: the send to $1 answered $code, not 200" >&2; exit 1; }
}

# run NAME CONNS prints "NAME CONNS REQ/S P99_MS".
run() {
	local out
	[ "$1" = bare ] || fresh "${base[$1]}"
	out=$("$WRK" -t"$THREADS" -c"$2" -d"$DURATION" --latency -s "$work/send.lua" "${base[$1]}/v19.0/me/messages?access_token=$TOKEN")
	if grep -q 'Non-2xx' <<<"$out"; then
		echo "bench-serve: $1 answered errors:" >&2
		echo "$out" >&2
		exit 1
	fi
	awk -v name="$1" -v c="$2" '
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

echo "bench-serve: $WRK -t$THREADS -d$DURATION, $ROUNDS rounds, connections: $CONNS"
echo "server conns req/s p99_ms"
for _ in $(seq "$ROUNDS"); do
	for c in $CONNS; do
		for s in $servers; do
			run "$s" "$c"
		done
	done
done | tee "$work/runs.txt"

# med SERVER CONNS FIELD is the median of a field over the rounds.
med() {
	awk -v s="$1" -v c="$2" -v f="$3" '$1 == s && $2 == c { print $f }' "$work/runs.txt" | sort -n |
		awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo
echo "Medians of $ROUNDS rounds (ratio: otnsim serve / bare; p99 ratio likewise):"
echo
if [ -n "$BEFORE" ]; then
	echo "| connections | before | otnsim serve | bare net/http | ratio | before p99 | serve p99 | bare p99 | p99 ratio |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
else
	echo "| connections | otnsim serve | bare net/http | ratio | serve p99 | bare p99 | p99 ratio |"
	echo "| --- | --- | --- | --- | --- | --- | --- |"
fi
for c in $CONNS; do
	so=$(med otnsim "$c" 3) sb=$(med bare "$c" 3) po=$(med otnsim "$c" 4) pb=$(med bare "$c" 4)
	if [ -n "$BEFORE" ]; then
		awk -v c="$c" -v sB="$(med before "$c" 3)" -v so="$so" -v sb="$sb" -v pB="$(med before "$c" 4)" -v po="$po" -v pb="$pb" \
			'BEGIN { printf "| %s | %.1fk req/s | %.1fk | %.1fk | %.2f | %.1f ms | %.1f ms | %.1f ms | %.2f |\n", c, sB / 1000, so / 1000, sb / 1000, so / sb, pB, po, pb, po / pb }'
	else
		awk -v c="$c" -v so="$so" -v sb="$sb" -v po="$po" -v pb="$pb" \
			'BEGIN { printf "| %s | %.1fk req/s | %.1fk | %.2f | %.1f ms | %.1f ms | %.2f |\n", c, so / 1000, sb / 1000, so / sb, po, pb, po / pb }'
	fi
done
