# Makes sure PostgreSQL and Redis are installed and answering on 127.0.0.1 (sourced by
# scripts/start, scripts/test and .ci/run). Installs them with apt-get where they are missing.
# ensure_office_tools does the same for LibreOffice and poppler-utils (PDF output of document
# templates, previews of office files, and the tests that read those PDFs).

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  if [ -z "${APT_UPDATED:-}" ]; then
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_answers() {
  command -v pg_isready >/dev/null 2>&1 && pg_isready -h 127.0.0.1 -p 5432 -q
}

ensure_postgres() {
  if pg_answers; then return 0; fi
  if [ ! -d /etc/postgresql ] || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    echo "PostgreSQL is missing: installing it with apt-get"
    apt_install postgresql postgresql-contrib
    fresh_install=1
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  if [ -n "${fresh_install:-}" ]; then
    # Local development and CI only: let loopback connections in without a password.
    local hba="/etc/postgresql/$version/main/pg_hba.conf"
    as_root sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/; s/^(host\s+all\s+all\s+::1\/128\s+)\S+/\1trust/' "$hba"
  fi
  echo "Starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do
    if pg_answers; then return 0; fi
    sleep 1
  done
  echo "PostgreSQL did not start; see /var/log/postgresql/" >&2
  return 1
}

redis_answers() {
  command -v redis-cli >/dev/null 2>&1 && [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]
}

ensure_redis() {
  if redis_answers; then return 0; fi
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "Redis is missing: installing it with apt-get"
    apt_install redis-server
  fi
  echo "Starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  for _ in $(seq 1 30); do
    if redis_answers; then return 0; fi
    sleep 1
  done
  echo "Redis did not start" >&2
  return 1
}

# A URL that names a host other than this machine's loopback: that service is someone else's
# to run, so it is neither installed nor started here.
is_remote_url() {
  local host
  host=$(printf '%s' "$1" | sed -E 's#^[a-z+]+://([^@/]*@)?(\[[^]]*\]|[^:/?]*).*#\2#')
  case "$host" in
    ""|127.0.0.1|localhost|"[::1]") return 1 ;;
    *) return 0 ;;
  esac
}

# The report tests read PDFs back with poppler's pdftotext (an independent reader).
ensure_test_tools() {
  if ! command -v pdftotext >/dev/null 2>&1; then
    echo "pdftotext is missing: installing poppler-utils with apt-get"
    apt_install poppler-utils
  fi
}

ensure_services() {
  if [ -n "${DATABASE_URL:-}" ] && is_remote_url "$DATABASE_URL"; then
    echo "PostgreSQL: using DATABASE_URL (not managed here)"
  else
    ensure_postgres
  fi
  if [ -n "${REDIS_URL:-}" ] && is_remote_url "$REDIS_URL"; then
    echo "Redis: using REDIS_URL (not managed here)"
  else
    ensure_redis
  fi
}

# LibreOffice headless (writer only, no GUI: ~25 s and ~200 MB with apt-get here) and pdftotext.
# Best effort: without them PDF generation fails with a readable reason and the tests that need
# them check that reason instead, so a machine where apt-get cannot run still tests the rest.
ensure_office_tools() {
  if command -v soffice >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1; then
    return 0
  fi
  echo "LibreOffice or pdftotext is missing: installing libreoffice-writer-nogui and poppler-utils"
  if ! apt_install --no-install-recommends libreoffice-writer-nogui poppler-utils; then
    echo "could not install LibreOffice; PDF generation will report that it is missing" >&2
  fi
}
