#!/usr/bin/env bash
# The server's container image (Dockerfile; docs/operations.md, "Container image"), built and run for real:
#   - builds the Dockerfile as mlgate/server:local with `scripts/images server` (the base image
#     mlgate/debian:bookworm first if missing; a full Release compile inside Docker unless the
#     build cache has it);
#   - starts a throwaway PostgreSQL OUTSIDE the container, on 127.0.0.1 and the docker0 bridge
#     address, password authentication for the bridge;
#   - runs the image as a user would: its default command (serve on 0.0.0.0:8080, data in
#     /var/lib/mlgate), MLGATE_DATABASE_URL pointing at that PostgreSQL, the port published;
#   - asserts /healthz 200, /readyz 200 with every migration of migrations/ applied in that
#     database, the server running as the non-root user mlgate and writing its data dir, no
#     missing shared library and no compiler in the image, a clean exit 0 on `docker stop`, and
#     without a database URL a non-zero exit that says to pass one (the image has no PostgreSQL).
# Leaves no container, PostgreSQL or temp dir behind; the image stays (it is the build cache).
# Prints 'server image: N passed, 0 failed' or exits non-zero with the reasons.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
source "$root/scripts/lib.sh"
image=mlgate/server:local
base=mlgate/debian:bookworm

for tool in docker curl; do
  command -v "$tool" >/dev/null || { echo "server image test: $tool is missing (scripts/deps)"; exit 1; }
done
docker info >/dev/null 2>&1 || { echo "server image test: Docker does not answer (scripts/dockerd)"; exit 1; }
bridge_ip="$(ip -4 -o addr show docker0 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4; exit }')"
subnet="$(docker network inspect bridge -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' 2>/dev/null || true)"
if [ -z "$bridge_ip" ] || [ -z "$subnet" ]; then
  echo "server image test: no docker0 bridge address/subnet (is dockerd running with its default bridge?)"
  exit 1
fi
bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -x "$bindir/initdb" ] || { echo "server image test: no PostgreSQL in /usr/lib/postgresql (scripts/deps)"; exit 1; }

dir="$(mktemp -d /tmp/mlgate-image-XXXXXX)"
chmod 711 "$dir" # as root, PostgreSQL runs as the postgres user, which must reach its cluster
container="mlgate-image-test-$$"
pg_started=0
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  docker rm -f -v "$container" "$container-nodb" >/dev/null 2>&1 || true
  if [ "$pg_started" = 1 ]; then as_pg "$bindir/pg_ctl" -D "$dir/pg" -m immediate -w stop >/dev/null 2>&1 || true; fi
  rm -rf --one-file-system "$dir"
}
trap cleanup EXIT

# The same build as `scripts/images server`, whose lock makes this wait for a build that
# scripts/test started early and then reuse its cached layers.
started=$SECONDS
if ! "$root/scripts/images" server >"$dir/build.log" 2>&1; then
  echo "server image test: building $image failed:"
  tail -60 "$dir/build.log"
  exit 1
fi
build_seconds=$((SECONDS - started))
size_mb() { docker image inspect -f '{{.Size}}' "$1" | awk '{ printf "%.0f", $1 / 1e6 }'; }
echo "$image ready in ${build_seconds}s: $(size_mb "$image") MB (base $base: $(size_mb "$base") MB)"

pg_port="$(free_port_pair)"
http_port=$((pg_port + 1))
password="pw-$RANDOM$RANDOM"
printf '%s\n' "$password" >"$dir/pwfile"
chmod 644 "$dir/pwfile"
mkdir "$dir/pg"
if [ "$(id -u)" = 0 ]; then chown postgres "$dir/pg"; fi
as_pg "$bindir/initdb" -D "$dir/pg" -U mlgate --pwfile="$dir/pwfile" --auth-local=trust \
  --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; exit 1; }
echo "host all all $subnet scram-sha-256" | as_pg tee -a "$dir/pg/pg_hba.conf" >/dev/null
as_pg "$bindir/pg_ctl" -D "$dir/pg" -l "$dir/pg/server.log" -w -o \
  "-c listen_addresses=127.0.0.1,$bridge_ip -c port=$pg_port -c unix_socket_directories=$dir/pg -c fsync=off" \
  start >/dev/null || { cat "$dir/pg/server.log"; exit 1; }
pg_started=1
as_pg "$bindir/createdb" -h "$dir/pg" -p "$pg_port" -U mlgate mlgate
psql_q() { as_pg "$bindir/psql" -h "$dir/pg" -p "$pg_port" -U mlgate -d mlgate -Atc "$1"; }

log "docker run $image (PostgreSQL outside it at $bridge_ip:$pg_port)"
docker run -d --name "$container" -p "127.0.0.1:$http_port:8080" \
  -e MLGATE_DATABASE_URL="postgresql://mlgate:$password@$bridge_ip:$pg_port/mlgate" \
  "$image" >/dev/null

passed=0
failed=0
check() { # check DESCRIPTION COMMAND...
  local what="$1"
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAILED: $what"
  fi
}
status_of() { curl -s -o "$dir/body" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$http_port$1" || true; }

ready=""
for _ in $(seq 1 120); do
  ready="$(status_of /readyz)"
  [ "$ready" = 200 ] && break
  [ "$(docker inspect -f '{{.State.Running}}' "$container")" = true ] || break
  sleep 0.5
done
check "/readyz answers 200 (got '$ready': $(cat "$dir/body" 2>/dev/null))" test "$ready" = 200
check "/readyz says ready" grep -q '"status":"ready"' "$dir/body"
check "/healthz answers 200" test "$(status_of /healthz)" = 200
migrations="$(ls "$root"/migrations/*.sql | wc -l)"
applied="$(psql_q 'SELECT count(*) FROM schema_migrations' 2>/dev/null || echo none)"
check "every migration ($migrations) is applied in the outside database (found $applied)" \
  test "$applied" = "$migrations"

pid="$(docker inspect -f '{{.State.Pid}}' "$container")"
host_uid="$(ps -o uid= -p "$pid" 2>/dev/null | tr -d ' ' || true)"
check "the server process is not root (uid '$host_uid' on the host)" \
  test -n "$host_uid" -a "$host_uid" != 0
check "the server runs as the user mlgate" test "$(docker exec "$container" id -un)" = mlgate
check "the image's user is mlgate" test "$(docker inspect -f '{{.Config.User}}' "$image")" = mlgate
check "the data dir is written by the server (the generated admin token)" \
  docker exec "$container" test -s /var/lib/mlgate/admin-token
check "the admin token is not readable by others" \
  test "$(docker exec "$container" stat -c %a /var/lib/mlgate/admin-token)" = 600
check "no shared library is missing" \
  bash -c "! docker exec '$container' ldd /usr/local/bin/mlgate | grep -q 'not found'"
check "the runtime image has no compiler" \
  bash -c "! docker exec '$container' sh -c 'command -v g++ || command -v cc || command -v cmake'"

docker stop -t 30 "$container" >/dev/null
check "docker stop: the server exits 0 on SIGTERM" \
  test "$(docker inspect -f '{{.State.ExitCode}}' "$container")" = 0

# No PostgreSQL server in the image: without a database URL, serve must say so and exit non-zero.
alone_rc=0
docker run --rm --name "$container-nodb" "$image" >"$dir/nodb.log" 2>&1 || alone_rc=$?
check "without a database URL the server exits non-zero (got $alone_rc)" test "$alone_rc" != 0
check "without a database URL the server says to pass --database-url" \
  grep -q 'PostgreSQL server binaries not found.*--database-url' "$dir/nodb.log"

if [ "$failed" != 0 ]; then
  echo "--- the container's log"
  docker logs "$container" 2>&1 | tail -40
fi
echo "server image: $passed passed, $failed failed"
[ "$failed" = 0 ]
