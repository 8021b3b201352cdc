# Build a static binary (pure-Go SQLite: no cgo), then ship it alone.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/steward ./cmd/steward

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/steward /usr/local/bin/steward
ENV STEWARD_ADDR=0.0.0.0:8080 \
    STEWARD_DATABASE_URL=/data/steward.db
VOLUME /data
EXPOSE 8080
USER nonroot
ENTRYPOINT ["/usr/local/bin/steward"]
CMD ["serve"]
