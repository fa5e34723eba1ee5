# The function's runtime image: multi-stage, production dependencies only, non-root.
# Users with Docker: `docker build -t function-plana-tenant .`
# Without a Docker daemon: scripts/build-image.sh builds this file with buildah, with local
# Debian bases (mmdebstrap) standing in for the registry's through the two build arguments.
ARG BASE_IMAGE=docker.io/library/node:20.19.5-bookworm-slim
# The build stages need npm; by default they use the runtime base, which has it.
ARG BUILD_IMAGE=${BASE_IMAGE}

# Compiles the TypeScript (needs the dev dependencies).
FROM ${BUILD_IMAGE} AS build
WORKDIR /fn
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json

# The production dependencies alone.
FROM ${BUILD_IMAGE} AS deps
WORKDIR /fn
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts

FROM ${BASE_IMAGE}
ENV NODE_ENV=production
WORKDIR /fn
COPY --from=deps /fn/package.json ./package.json
COPY --from=deps /fn/node_modules ./node_modules
COPY --from=build /fn/dist/src ./dist/src
# Crossplane runs the function with TLS_SERVER_CERTS_DIR set and calls it on 9443.
USER 65532:65532
EXPOSE 9443
ENTRYPOINT ["node", "/fn/dist/src/main.js"]
