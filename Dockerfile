# Hangar's own image: `hangar serve`, `hangar serve --no-runner` and `hangar runner` from
# one image (deploy/compose.yaml and deploy/kubernetes/ use it).
#
#   docker build -t hangar .
#
# The base images are build arguments so that a site without a registry can build from
# images of its own: NODE_IMAGE must be Debian (apt) with Node.js 20 or newer and npm on
# the PATH (the test suite makes one from Debian packages, test/docker/base-image.ts).
ARG NODE_IMAGE=node:20-bookworm-slim
ARG RUNTIME_IMAGE=${NODE_IMAGE}

# --- build: every dependency, the compiled server, CLI and web app
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json vite.config.ts ./
COPY src ./src
COPY bin ./bin
COPY drizzle ./drizzle
COPY data ./data
RUN npm run build \
  && npm prune --omit=dev --no-audit --no-fund

# --- runtime: the built app, production dependencies and what sandboxes need
FROM ${RUNTIME_IMAGE}
# The packages scripts/setup installs for `hangar serve`: git for clones and the git
# proxy; bubblewrap, e2fsprogs, util-linux, mount and procps for sandboxes (namespaces,
# disk images, loop mounts, ps; a Debian without apt's own essentials may lack mount);
# socat for a sandbox's bridge to its gateway; curl for the health check and agents;
# mmdebstrap with gpg, libdpkg-perl and arch-test for `hangar image build`.
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    git ca-certificates bubblewrap socat e2fsprogs util-linux mount procps curl \
    mmdebstrap gpg libdpkg-perl arch-test \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/hangar
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
COPY --from=build /app/drizzle ./drizzle
COPY --from=build /app/data ./data
RUN ln -s /opt/hangar/bin/hangar.js /usr/local/bin/hangar

# Non-secret defaults. Secrets (DATABASE_URL, ANTHROPIC_API_KEY, OPENAI_API_KEY,
# GitHub App keys) come from the environment at run time, never from the image.
ENV NODE_ENV=production \
    HANGAR_DATA_DIR=/var/lib/hangar \
    HANGAR_HOST=0.0.0.0 \
    HANGAR_PORT=8080
VOLUME /var/lib/hangar
EXPOSE 8080
# API nodes answer /healthz; a runner (no public API) overrides this check.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${HANGAR_PORT}/healthz" >/dev/null || exit 1
ENTRYPOINT ["hangar"]
CMD ["serve"]
