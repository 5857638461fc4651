# One image for both Switchboard processes: `switchboard operator` (the chart's Deployment) and
# `switchboard sidecar` (what the webhook injects). Node 24 runs the TypeScript sources directly (type stripping);
# the one build step is the sidecar bundle (npm run build:sidecar), which `switchboard sidecar` runs instead of the
# sources while it is newer than every file it was built from (bin/prebuilt.js).
# No container engine runs in CI: scripts/ci/check-dockerfile.ts (npm test) executes this file's steps in a
# scratch folder and starts its entrypoint from there.

# Production dependencies only, installed from the lock file. --ignore-scripts: none of them needs an install
# script, and the build runs no code it does not have to.
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# The sidecar bundle, built with the dev dependencies (esbuild), none of which reaches the final stage. It starts
# FROM deps so that it runs after it: the bundle is then newer than the node_modules the final stage copies from
# deps, and COPY keeps files' mtimes, which is what bin/prebuilt.js compares. tsconfig.json: esbuild takes
# "use strict" from it (the sources are ES modules, strict; the bundle is CommonJS). The build script runs on the
# image's own node, not through `npm run`: with --ignore-scripts the `node` dev dependency has no binary (its
# preinstall fetches one), and npm run puts node_modules/.bin first on PATH.
FROM deps AS build
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY bin ./bin
COPY api ./api
COPY core ./core
COPY cli ./cli
COPY sidecar ./sidecar
COPY scripts/build ./scripts/build
RUN node scripts/build/build-sidecar.ts

# Runtime: distroless (no shell, no package manager), as the non-root user 65532 the chart also sets.
FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
# The lock file and the .cjs files of scripts/build are among the bundle's inputs: bin/prebuilt.js takes a missing
# input for a changed one and would run the sources.
COPY package.json package-lock.json ./
COPY scripts/build/undici-core.cjs scripts/build/prom-client-core.cjs scripts/build/http2-lazy.cjs \
     scripts/build/fs-promises-lite.cjs ./scripts/build/
COPY bin ./bin
COPY api ./api
COPY core ./core
COPY cli ./cli
COPY operator ./operator
COPY sidecar ./sidecar
COPY mock-provider ./mock-provider
COPY --from=build /app/dist ./dist
USER 65532:65532
# Sidecar API, sidecar metrics, operator sync channel, operator metrics, operator webhook.
EXPOSE 4000 9464 7070 9465 9443
ENTRYPOINT ["/nodejs/bin/node", "/app/bin/switchboard.js"]
CMD ["--help"]
