#!/bin/sh
# As the official image: `redis-server …` runs as the redis user, listening on
# every interface with protected mode off; any other command runs as given.
set -e
if [ "$1" = redis-server ]; then
  shift
  chown -R redis:redis /data
  exec setpriv --reuid=redis --regid=redis --init-groups \
    redis-server --bind '* -::*' --protected-mode no "$@"
fi
exec "$@"
