# One image for both Switchboard processes: `switchboard operator` (the chart's Deployment) and
# `switchboard sidecar` (what the webhook injects). Node 24 runs the TypeScript sources directly (type stripping),
# so there is no build step: the image holds the sources and the production dependencies.
# No container engine runs in CI: scripts/ci/check-dockerfile.ts (npm test) executes this file's steps in a
# scratch folder and starts its entrypoint from there.

# Production dependencies only, installed from the lock file. --ignore-scripts: none of them needs an install
# script, and the build runs no code it does not have to.
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# Runtime: distroless (no shell, no package manager), as the non-root user 65532 the chart also sets.
FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY api ./api
COPY core ./core
COPY cli ./cli
COPY operator ./operator
COPY sidecar ./sidecar
COPY mock-provider ./mock-provider
USER 65532:65532
# Sidecar API, sidecar metrics, operator sync channel, operator metrics, operator webhook.
EXPOSE 4000 9464 7070 9465 9443
ENTRYPOINT ["/nodejs/bin/node", "/app/bin/switchboard.js"]
CMD ["--help"]
