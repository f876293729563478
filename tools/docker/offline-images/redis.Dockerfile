# Stand-in for redis:7-alpine: Debian's redis-server. What docker-compose.yml
# relies on: the command line (`redis-server --appendonly yes …`), /data as the
# working directory (where the append-only file goes), redis-cli for the
# health check, and connections from other containers (protected mode off, as
# in the official image).
ARG BASE
FROM ${BASE}
RUN apt-get update \
  && apt-get install -y --no-install-recommends redis-server redis-tools \
  && rm -rf /var/lib/apt/lists/* \
  && mkdir -p /data && chown redis:redis /data
COPY redis-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
WORKDIR /data
VOLUME /data
EXPOSE 6379
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]
