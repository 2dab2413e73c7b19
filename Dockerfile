# One image for every service; the service is picked by the argument to dist/scripts/serve.js.
# Dependencies first, without lifecycle scripts (the `prepare` build needs the sources, copied after),
# so the dependency layer is cached across source changes.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:22-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HEALTHMESH_DATA_DIR=/data
# Mount points owned by the unprivileged user, so named volumes start out writable by it.
RUN mkdir -p /data /keys /consent-keys && chown node:node /data /keys /consent-keys
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/migrations ./migrations
COPY --from=build /app/schema/supergraph.graphql ./schema/supergraph.graphql
COPY --from=build /app/package.json ./
USER node
ENTRYPOINT ["node", "dist/scripts/serve.js"]
