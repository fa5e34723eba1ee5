# The function's runtime image: multi-stage, non-root, and nothing but Node and one bundled
# module (scripts/bundle.mjs), so no npm dependency, dev or build-time, ships.
# Users with Docker: `docker build -t function-plana-tenant .`
# Without a Docker daemon: scripts/build-image.sh builds this file with buildah, with local
# Debian bases (mmdebstrap + the pinned Node of scripts/install-node.sh) standing in for the
# registry's through the two build arguments.
# Node 24 LTS, the release scripts/versions.sh pins (NODE_VERSION) for the tests and CI;
# test/versions.test.ts fails when the two differ.
ARG BASE_IMAGE=docker.io/library/node:24.22.3-trixie-slim
# The build stage needs npm; by default it uses the runtime base, which has it.
ARG BUILD_IMAGE=${BASE_IMAGE}

# Type-checks and bundles the TypeScript (needs the dev dependencies).
FROM ${BUILD_IMAGE} AS build
WORKDIR /fn
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.mjs ./scripts/bundle.mjs
COPY src ./src
RUN npx tsc -p tsconfig.build.json && node scripts/bundle.mjs

FROM ${BASE_IMAGE}
ENV NODE_ENV=production
# V8's heap, sized for the memory limit of examples/production/runtime-config.yaml (256Mi; keep
# the two together). Under a full-speed soak, Node 24 with V8's defaults (sized from the host's
# memory, not the container's) peaked at ~247 MiB RSS; with 8 MiB semi-spaces at ~125 MiB, with
# 2 MiB at ~115 MiB and the same throughput (idle: 69 MiB; bench/results/results.md). The
# old-generation cap makes V8 collect hard before the container limit, not after.
ENV NODE_OPTIONS="--max-old-space-size=160 --max-semi-space-size=2"
WORKDIR /fn
COPY --from=build /fn/dist/function.mjs /fn/dist/function.mjs.LEGAL.txt ./
# Crossplane runs the function with TLS_SERVER_CERTS_DIR set and calls it on 9443; its
# Deployment names port 8080 `metrics`, where Go functions serve Prometheus metrics by default.
USER 65532:65532
EXPOSE 9443 8080
ENTRYPOINT ["node", "/fn/function.mjs", "--metrics-address=:8080"]
