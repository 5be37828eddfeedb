# syntax=docker/dockerfile:1.7
# The worker image for ECS Fargate: the apalis worker binary (package theatre-worker, binary
# `worker`) plus headless LibreOffice for document conversion and text extraction. It also holds
# the `migrate` binary, so migrations can be run as a one-shot ECS task when needed (the stack
# normally runs them through its custom resource).
#
# Build from the repository root, for the architecture the stack uses (template parameter
# Architecture, default arm64):
#   docker buildx build --platform linux/arm64 -f infra/worker.Dockerfile -t theatre-worker .
# then push to ECR and pass the image URI as WorkerImageUri (infra/README.md).

ARG RUST_VERSION=1.95
FROM rust:${RUST_VERSION}-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p theatre-worker --bin worker -p theatre-migrate --bin migrate \
 && cp target/release/worker target/release/migrate /usr/local/bin/

FROM debian:bookworm-slim
# LibreOffice without the GUI (writer for .doc/.docx/.odt/.rtf, calc for spreadsheets) and fonts
# with Cyrillic coverage, so converted Russian documents keep their text.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates \
      libreoffice-writer-nogui libreoffice-calc-nogui \
      fonts-dejavu-core fonts-liberation2 fonts-crosextra-carlito fonts-crosextra-caladea \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /home/worker worker
COPY --from=build /usr/local/bin/worker /usr/local/bin/migrate /usr/local/bin/
USER worker
# LibreOffice writes its profile under HOME.
ENV HOME=/home/worker RUST_LOG=info
# The worker never serves HTTP; ECS restarts it when it exits. A one-shot migration task
# overrides the command with ["/usr/local/bin/migrate"].
CMD ["/usr/local/bin/worker"]
