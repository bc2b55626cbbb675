# Multi-stage build: compile in the Rust image, run in a slim Debian with only the binary.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked && cp target/release/kontaktpunkt /kontaktpunkt

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/kontaktpunkt --create-home kontaktpunkt
COPY --from=build /kontaktpunkt /usr/local/bin/kontaktpunkt
USER kontaktpunkt
WORKDIR /var/lib/kontaktpunkt
ENV KONTAKTPUNKT_LISTEN=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["kontaktpunkt"]
CMD ["serve"]
