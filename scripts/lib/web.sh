# The web front end (web/): Node and npm like PostgreSQL and Redis (apt-get where missing), and
# the production build in web/dist when it is missing or older than its sources. Sourced by
# scripts/start and web/ci.

node_ok() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'
}

ensure_node() {
  if node_ok; then return 0; fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "Node.js/npm are missing: installing them with apt-get"
    apt_install nodejs npm
  fi
  node_ok || { echo "Node.js >= 20.19 is needed for the web front end (found $(node --version 2>/dev/null || echo none))" >&2; return 1; }
}

# web/node_modules matching package-lock.json (npm ci only when the lock file changed).
ensure_web_deps() {
  local stamp=web/node_modules/.package-lock.json
  if [ ! -f "$stamp" ] || [ web/package-lock.json -nt "$stamp" ]; then
    (cd web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
}

web_stale() {
  [ ! -f web/dist/index.html ] ||
    [ -n "$(find web/src web/index.html web/package-lock.json web/vite.config.ts web/public \
      -newer web/dist/index.html -print -quit 2>/dev/null)" ]
}

# Builds web/dist when needed; a machine without a usable Node still gets the API.
ensure_web_build() {
  web_stale || return 0
  if ! ensure_node; then
    echo "Skipping the web front end: the API and /docs still start." >&2
    return 0
  fi
  echo "Building the web front end (npm ci + vite build)"
  ensure_web_deps
  (cd web && npm run --silent build)
}
