# Sourced by .ci/run and bench/pg/run.sh: makes sure Debian's PostgreSQL server is installed
# and its cluster running, creates the role `sotay` (password `sotay`, may create databases)
# and exports SOTAY_TEST_PG, the URL the tests create their databases with.
# Needs $SUDO set ("" as root, "sudo" otherwise).
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends postgresql
fi
if ! pg_lsclusters -h | grep -q .; then
  $SUDO pg_createcluster "$(ls /usr/lib/postgresql | sort -V | tail -1)" main
fi
read -r pg_ver pg_name pg_port _ < <(pg_lsclusters -h | head -1)
$SUDO pg_ctlcluster "$pg_ver" "$pg_name" start >/dev/null 2>&1 || true   # "already running" is fine
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p "$pg_port" && break; sleep 1; done
as_postgres psql -q -p "$pg_port" -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sotay') THEN CREATE ROLE sotay LOGIN PASSWORD 'sotay' CREATEDB; END IF; END \$\$;"
export SOTAY_TEST_PG="postgres://sotay:sotay@127.0.0.1:$pg_port/postgres"

