# Build a static binary (pure-Go SQLite: no cgo), then ship it alone.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/steward ./cmd/steward
# The data folder must belong to the nonroot user (65532) before it becomes
# a volume, or Steward cannot write its database and ingest journal there.
RUN mkdir -p /out/data/journal

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/steward /usr/local/bin/steward
COPY --from=build --chown=65532:65532 /out/data /data
ENV STEWARD_ADDR=0.0.0.0:8080 \
    STEWARD_DATABASE_URL=/data/steward.db \
    STEWARD_JOURNAL_DIR=/data/journal
VOLUME /data
EXPOSE 8080
USER nonroot
ENTRYPOINT ["/usr/local/bin/steward"]
CMD ["serve"]
