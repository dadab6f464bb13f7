# The loadpilot image the agents of `loadpilot k8s render` run.
#
#   docker build -t loadpilot:0.2 .
#
# Two stages: the release build, then a slim runtime with only the binary (TLS
# roots are built in) and a shell, which the rendered Job uses to turn the pod's
# completion index into `--segment I/N`. Runs as a non-root user.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked

FROM debian:bookworm-slim
COPY --from=build /src/target/release/loadpilot /usr/local/bin/loadpilot
USER 65532:65532
WORKDIR /etc/loadpilot
ENTRYPOINT ["loadpilot"]
CMD ["--help"]
