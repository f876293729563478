# Stand-in for nginx:1.28-alpine: nginx from Debian forky (≥ 1.27.3, for
# `upstream … resolve`), logging to the container's output, with the official
# image's nginx.conf (configured by /etc/nginx/conf.d/*.conf; Debian's default
# site removed), and wget for the health check.
ARG BASE
FROM ${BASE}
# Testing's Release file is short-lived; a mirror or snapshot that lags behind
# serves one past its Valid-Until (signatures are still checked).
RUN apt-get -o Acquire::Check-Valid-Until=false update \
  && apt-get install -y --no-install-recommends nginx wget \
  && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/* \
  && ln -sf /dev/stdout /var/log/nginx/access.log \
  && ln -sf /dev/stderr /var/log/nginx/error.log \
  && nginx -v
COPY nginx.conf /etc/nginx/nginx.conf
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
