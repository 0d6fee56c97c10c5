#!/usr/bin/env bash
# Makes sure what the test suite talks to is there: a PostgreSQL on 127.0.0.1:5432 and Debian's
# Chromium for the browser tests. Installs or starts them when it can (root on Debian), says so when
# it cannot; the tests themselves then fail loudly under CI=true.
set -u

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null || \
  python3 -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2)" 2>/dev/null; }

if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "test-services: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test-services: installing PostgreSQL from Debian's packages"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    # trust auth on loopback for the postgres user, as the suite expects
    hba=$(ls /etc/postgresql/*/main/pg_hba.conf | head -1)
    grep -q '^host all postgres 127.0.0.1/32 trust' "$hba" || {
      sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main reload || true
    }
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || echo "test-services: PostgreSQL is not reachable on 127.0.0.1:5432"
fi

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test-services: installing Debian's chromium (browser tests)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
      || echo "test-services: could not install chromium"
  else
    echo "test-services: /usr/bin/chromium missing and cannot be installed here"
  fi
fi
exit 0
