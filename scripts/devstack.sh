#!/usr/bin/env bash
# Dev stack behind `make test` and `make demo`. Idempotent: a second run reuses the venv,
# the database roles and the running services.
#
#   scripts/devstack.sh test [pytest args...]   set up, run the whole suite
#   scripts/devstack.sh demo                    set up, start + seed the demo portal
#   scripts/devstack.sh stop                    stop the demo portal and its search server
#   scripts/devstack.sh setup                   only set up (venv, PostgreSQL, Redis and the
#                                               system packages the tests need)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
DEV="$ROOT/.dev"
mkdir -p "$DEV"

say() { printf '\033[1m[gemeente]\033[0m %s\n' "$*" >&2; }
die() { printf '[gemeente] ERROR: %s\n' "$*" >&2; exit 1; }
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# ---------------------------------------------------------------- CKAN version / venv
CKAN_VERSION=${CKAN_VERSION:-2.12.0}
case "$CKAN_VERSION" in
  2.12 | 2.12.*) SERIES=2.12; VENV="$ROOT/.venv" ;;
  2.11 | 2.11.*) SERIES=2.11; VENV="$ROOT/.venv-2.11" ;;
  *) die "CKAN_VERSION=$CKAN_VERSION is not supported: use 2.12.x (default) or 2.11.x" ;;
esac
LOCK="$ROOT/requirements/ckan-$SERIES.txt"
PYTHON=${PYTHON:-python3}

ensure_venv() {
  [ -f "$LOCK" ] || die "missing lock file $LOCK"
  if [ ! -x "$VENV/bin/python" ]; then
    command -v "$PYTHON" >/dev/null || die "no $PYTHON found: install Python 3.10+ and re-run"
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
      || die "Python 3.10 or newer is needed ($PYTHON is $("$PYTHON" -V 2>&1))"
    say "creating $(basename "$VENV") (CKAN $SERIES)"
    "$PYTHON" -m venv "$VENV"
  fi
  local stamp
  stamp=$(cat "$LOCK" pyproject.toml setup.py | sha256sum | cut -c1-16)
  if [ "$(cat "$VENV/.gemeente-stamp" 2>/dev/null)" != "$stamp" ]; then
    say "installing pinned dependencies from requirements/ckan-$SERIES.txt"
    local pip=("$VENV/bin/python" -m pip install -q --disable-pip-version-check)
    {
      "${pip[@]}" --upgrade "pip>=24" "setuptools>=77" wheel &&
      "${pip[@]}" -r "$LOCK" &&
      "${pip[@]}" --no-deps -e "$ROOT"
    } >"$DEV/pip.log" 2>&1 || { tail -20 "$DEV/pip.log" >&2; die "pip install failed (full log: .dev/pip.log)"; }
    echo "$stamp" > "$VENV/.gemeente-stamp"
  else
    say "reusing $(basename "$VENV") (CKAN $("$VENV/bin/python" -c 'import ckan; print(ckan.__version__)'))"
  fi
  # Babel catalogues: compiled from the committed .po files (cheap, keeps .mo in step)
  "$VENV/bin/python" scripts/compile_catalogs.py
}

# ---------------------------------------------------------------- PostgreSQL
PG_HOST=127.0.0.1
PG_PORT=5432
PRIVATE_PG_PORT=54329
OVERRIDES=()   # lines for the generated .dev/test-local.ini

pg_admin() {  # run psql as a superuser on $PG_HOST:$PG_PORT
  if psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1; then
    psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"
  else
    psql -h "$PG_HOST" -p "$PG_PORT" -d postgres -v ON_ERROR_STOP=1 -qtA "$@"
  fi
}

pg_bin() {  # locate a PostgreSQL server binary (initdb, pg_ctl)
  local b
  b=$(command -v "$1" 2>/dev/null || true)
  [ -n "$b" ] || b=$(ls -d /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -1 || true)
  echo "$b"
}

start_private_pg() {
  local initdb pg_ctl owner=()
  initdb=$(pg_bin initdb); pg_ctl=$(pg_bin pg_ctl)
  [ -n "$initdb" ] && [ -n "$pg_ctl" ] || return 1
  # PostgreSQL refuses to run as root: use the postgres system user when we are root
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root and no 'postgres' user for a private cluster"
    owner=(runuser -u postgres --)
  fi
  if [ ! -f "$DEV/pgdata/PG_VERSION" ]; then
    say "starting a private PostgreSQL cluster under .dev/pgdata (port $PRIVATE_PG_PORT)"
    mkdir -p "$DEV/pgdata" "$DEV/pgsock"
    [ ${#owner[@]} -eq 0 ] || chown -R postgres "$DEV/pgdata" "$DEV/pgsock"
    "${owner[@]}" "$initdb" -D "$DEV/pgdata" -U postgres --auth=trust -E UTF8 >"$DEV/initdb.log" 2>&1 \
      || die "initdb failed, see .dev/initdb.log"
  fi
  "${owner[@]}" "$pg_ctl" -D "$DEV/pgdata" -l "$DEV/postgres.log" -w \
    -o "-p $PRIVATE_PG_PORT -c listen_addresses=127.0.0.1 -k $DEV/pgsock" start >/dev/null \
    || die "private PostgreSQL did not start, see .dev/postgres.log"
}

ensure_postgres() {
  if ! port_open "$PG_HOST" "$PG_PORT"; then
    if port_open "$PG_HOST" "$PRIVATE_PG_PORT" || start_private_pg; then
      PG_PORT=$PRIVATE_PG_PORT
    else
      die "PostgreSQL is not reachable on 127.0.0.1:5432 and not installed: install it (apt-get install postgresql) or start your server, then re-run"
    fi
  fi
  command -v psql >/dev/null || die "psql not found: install the PostgreSQL client (apt-get install postgresql-client)"
  pg_admin -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='ckan_default')
               THEN CREATE ROLE ckan_default LOGIN PASSWORD 'pass'; END IF; END \$\$;" >/dev/null \
    || die "could not create the ckan_default role on $PG_HOST:$PG_PORT (need a superuser: postgres or $(id -un))"
  local db
  # datastore_ro + datastore_test_2_12 / datastore_test_2_11: the DataStore of the privacy
  # review's leak tests (tests/privacy/test_privacy_leaks.py sets the read-only permissions
  # itself). One database per CKAN series: CKAN 2.11's set_permissions.sql puts its full-text
  # trigger on every table, also on the _table_stats table CKAN 2.12 keeps there, after which
  # CKAN 2.12 can no longer record a row count in a shared database.
  pg_admin -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='datastore_ro')
               THEN CREATE ROLE datastore_ro LOGIN PASSWORD 'pass'; END IF; END \$\$;" >/dev/null
  for db in ckan_test ckan_test_migrations ckan_core_test ckan_demo datastore_test_2_12 \
      datastore_test_2_11; do
    if [ -z "$(pg_admin -c "SELECT 1 FROM pg_database WHERE datname='$db'")" ]; then
      say "creating database $db"
      pg_admin -c "CREATE DATABASE $db OWNER ckan_default ENCODING 'UTF8' TEMPLATE template0" >/dev/null
    fi
  done
  if [ "$PG_PORT" != 5432 ]; then
    OVERRIDES+=("sqlalchemy.url = postgresql://ckan_default:pass@$PG_HOST:$PG_PORT/ckan_test")
  fi
}

# ---------------------------------------------------------------- Redis
REDIS_PORT=6379
ensure_redis() {
  if port_open 127.0.0.1 "$REDIS_PORT"; then return; fi
  local private=63799
  if ! port_open 127.0.0.1 $private; then
    command -v redis-server >/dev/null \
      || die "Redis is not reachable on 127.0.0.1:6379 and not installed: install it (apt-get install redis-server) or start it, then re-run"
    say "starting a private Redis on port $private"
    redis-server --port $private --bind 127.0.0.1 --daemonize yes --save "" --appendonly no \
      --dir "$DEV" --pidfile "$DEV/redis.pid" --logfile "$DEV/redis.log"
    for _ in $(seq 50); do port_open 127.0.0.1 $private && break; sleep 0.1; done
  fi
  REDIS_PORT=$private
  OVERRIDES+=("ckan.redis.url = redis://127.0.0.1:$private/1" "ckan.harvest.mq.port = $private")
}

# ---------------------------------------------------------------- system packages for tests
# Debian's chromium (browser tests), Lucene 8 jars and a JDK (the query-parser differential
# test): installed with apt-get when we are root, otherwise we stop with the one command.
missing_test_packages() {
  local pkgs=() jars=${LUCENE_JAR_DIR:-/usr/share/java} name
  [ -x "${GEMEENTE_CHROMIUM:-/usr/bin/chromium}" ] || pkgs+=(chromium)
  for name in lucene-core lucene-queryparser lucene-analyzers-common; do
    if ! compgen -G "$jars/$name-8*.jar" >/dev/null && ! compgen -G "/usr/share/java/$name-8*.jar" >/dev/null; then
      pkgs+=(liblucene8-java); break
    fi
  done
  { command -v javac && command -v java; } >/dev/null 2>&1 || pkgs+=(default-jdk-headless)
  echo "${pkgs[@]}"
}

ensure_test_packages() {
  local missing
  missing=$(missing_test_packages)
  [ -n "$missing" ] || return 0
  local cmd="apt-get update && apt-get install -y $missing"
  command -v apt-get >/dev/null \
    || die "the tests need $missing (Debian package names) and there is no apt-get: install them, then re-run"
  [ "$(id -u)" = 0 ] || die "the tests need system packages: run   sudo sh -c '$cmd'   then re-run"
  say "installing $missing (apt-get, log: .dev/apt.log)"
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing; } \
    >"$DEV/apt.log" 2>&1 || { tail -20 "$DEV/apt.log" >&2; die "apt-get install $missing failed (full log: .dev/apt.log)"; }
  missing=$(missing_test_packages)
  [ -z "$missing" ] || die "still missing after apt-get install: $missing (see .dev/apt.log)"
}

# The ini the tests use: test.ini itself, or .dev/test-local.ini when private services are used
test_ini() {
  if [ ${#OVERRIDES[@]} -eq 0 ]; then echo "$ROOT/test.ini"; return; fi
  { echo "# generated by scripts/devstack.sh: private services"; echo "[app:main]";
    echo "use = config:$ROOT/test.ini"; printf '%s\n' "${OVERRIDES[@]}"; } > "$DEV/test-local.ini"
  echo "$DEV/test-local.ini"
}

setup() {
  ensure_venv
  ensure_postgres
  ensure_redis
}

run_tests() {
  setup
  ensure_test_packages
  local ini
  ini=$(test_ini)
  say "running the suite on CKAN $("$VENV/bin/python" -c 'import ckan; print(ckan.__version__)') ($ini)"
  # tests/conftest.py starts the embedded search server for the session
  local rc=0
  rm -f "$DEV/pytest-$SERIES.xml"
  # -rs: every skip is listed with its reason; the JUnit report lets .ci/run count skips
  "$VENV/bin/python" -m pytest --ckan-ini="$ini" -rs --junitxml="$DEV/pytest-$SERIES.xml" "$@" \
    || rc=$?
  if [ "$rc" = 5 ]; then die "pytest collected no tests"; fi
  return "$rc"
}

case "${1:-}" in
  test) shift; run_tests "$@" ;;
  demo) shift; setup; exec "$VENV/bin/python" scripts/demo.py --venv "$VENV" --pg-port "$PG_PORT" --redis-port "$REDIS_PORT" "$@" ;;
  stop) exec "$VENV/bin/python" scripts/demo.py --stop ;;
  setup) setup; ensure_test_packages ;;
  *) die "usage: scripts/devstack.sh test|demo|stop|setup" ;;
esac
