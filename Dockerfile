# Multi-stage build: cgo is needed for SQLite (mattn/go-sqlite3).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags "-s -w" -o /out/corkboard ./cmd/corkboard

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /data corkboard \
    && mkdir -p /data && chown corkboard /data && chmod 700 /data
COPY --from=build /out/corkboard /usr/local/bin/corkboard
USER corkboard
ENV BIND_ADDR=0.0.0.0:3000 DATA_DIR=/data
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fs http://127.0.0.1:3000/health || exit 1
ENTRYPOINT ["corkboard"]
CMD ["serve"]
