# The mlgate server image (docs/operations.md, "Container image"). Two stages from one Debian base:
#   build    compiles the `mlgate` target (Release) with Debian's -dev packages;
#   runtime  the binary plus only the shared libraries it links, run as the user `mlgate`.
# No registry is reachable where mlgate is developed, so the base is made locally:
#   scripts/images base        # mlgate/debian:bookworm (debootstrap + docker import)
#   scripts/images server      # = DOCKER_BUILDKIT=0 docker build -t mlgate/server:local .
# Any Debian bookworm image should do as the base (e.g. debian:bookworm-slim; not tried here).
# The image has no PostgreSQL server: give it --database-url or MLGATE_DATABASE_URL.
ARG BASE_IMAGE=mlgate/debian:bookworm

FROM ${BASE_IMAGE} AS build
ENV DEBIAN_FRONTEND=noninteractive
# The packages of scripts/deps that building the binary needs (the tests are not configured).
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends \
      g++ cmake ninja-build pkg-config lld \
      libpqxx-dev libpq-dev libgit2-dev libcpp-httplib-dev nlohmann-json3-dev libyaml-cpp-dev \
      libpugixml-dev libboost-dev libboost-filesystem-dev libctemplate-dev libcli11-dev \
      libspdlog-dev libfmt-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
# Parallel compile jobs (default: every core); each takes up to about 1 GB of memory.
ARG JOBS=
WORKDIR /src
COPY . .
# The build tree is removed in the same step: only the stripped binary stays in the layer, so the
# stage costs the build machine's disk little more than its compilers.
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLGATE_WERROR=OFF \
      -DMLGATE_BUILD_TESTS=OFF -DMLGATE_PCH=ON -DMLGATE_LINK_ARCHIVES=ON \
 && ninja -C /build -j"${JOBS:-$(nproc)}" mlgate \
 && strip -o /usr/local/bin/mlgate /build/mlgate \
 && rm -rf /build

FROM ${BASE_IMAGE} AS runtime
ENV DEBIAN_FRONTEND=noninteractive
# Exactly the libraries `ldd mlgate` names (and what they pull in), plus the CA certificates for
# HTTPS to the forges. libgit2 (with mbedTLS, libssh2, http-parser), libpqxx, yaml-cpp, pugixml and
# ctemplate are linked into the binary from their archives (cmake/LinkArchives.cmake). No git: vcs/
# uses libgit2 only. No PostgreSQL server (see above).
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends \
      libpq5 libgssapi-krb5-2 libcpp-httplib0.11 libspdlog1.10 libfmt9 libpcre2-8-0 zlib1g \
      libboost-filesystem1.74.0 libssl3 ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log \
 && useradd --system --user-group --home-dir /var/lib/mlgate --shell /usr/sbin/nologin mlgate \
 && install -d -o mlgate -g mlgate -m 0750 /var/lib/mlgate
COPY --from=build /usr/local/bin/mlgate /usr/local/bin/mlgate
# The data dir holds the webhook spool (deliveries accepted while PostgreSQL was down), the git
# mirrors and the generated admin token: keep it on a volume.
VOLUME /var/lib/mlgate
USER mlgate
WORKDIR /var/lib/mlgate
EXPOSE 8080
ENTRYPOINT ["mlgate"]
CMD ["serve", "--listen", "0.0.0.0:8080", "--data-dir", "/var/lib/mlgate"]
