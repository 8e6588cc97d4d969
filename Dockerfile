# syntax=docker/dockerfile:1
# Hearth: a small multi-arch image (linux/amd64, linux/arm64 for the Raspberry Pi 5).
#   docker buildx build --platform linux/amd64,linux/arm64 -t hearth .
# The build stage runs the same commands CI runs under Node 24 (scripts/node24-smoke.sh):
# npm ci, then scripts/release.sh, which builds and keeps production dependencies only.
ARG NODE_IMAGE=node:24.18.1-bookworm-slim

FROM ${NODE_IMAGE} AS build
# A compiler, only in case a native module has no prebuilt binary for this platform.
RUN apt-get update \
	&& apt-get install -y --no-install-recommends python3 make g++ \
	&& rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN bash scripts/release.sh /release

FROM ${NODE_IMAGE}
# npm, npx, corepack and yarn are not needed to run Hearth: ~25 MB less.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
	/usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /opt/yarn-* \
	/usr/local/bin/yarn /usr/local/bin/yarnpkg \
	&& mkdir /data /models && chown node:node /data /models
ENV NODE_ENV=production \
	DATA_DIR=/data \
	HOST=0.0.0.0 \
	PORT=3000
WORKDIR /app
COPY --from=build --chown=root:root /release ./
RUN ln -s /app/bin/hearth.js /usr/local/bin/hearth
USER node
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
	CMD ["node", "-e", "fetch('http://127.0.0.1:3000/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM: running replies are checkpointed and ended as interrupted (text kept), then exit.
STOPSIGNAL SIGTERM
CMD ["node", "/app/bin/hearth.js", "serve"]
