# The function's runtime image: multi-stage, production dependencies only, non-root.
# Users with Docker: `docker build -t function-plana-tenant .`
# The base is a build argument so a locally built base image can stand in for the registry's.
ARG BASE_IMAGE=docker.io/library/node:20.19.5-bookworm-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /fn
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json && npm prune --omit=dev --no-audit --no-fund

FROM ${BASE_IMAGE}
ENV NODE_ENV=production
WORKDIR /fn
COPY --from=build /fn/package.json ./package.json
COPY --from=build /fn/node_modules ./node_modules
COPY --from=build /fn/dist/src ./dist/src
# Crossplane runs the function with TLS_SERVER_CERTS_DIR set and calls it on 9443.
USER 65532:65532
EXPOSE 9443
ENTRYPOINT ["node", "/fn/dist/src/main.js"]
