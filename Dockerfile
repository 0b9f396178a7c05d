# otnsim as a small container: a static binary on a distroless base, run as
# a non-root user. Build with the version stamped in:
#   docker build --build-arg VERSION=$(git describe --tags --always) -t otnsim .
#   docker run --rm -p 8787:8787 otnsim serve --addr 0.0.0.0:8787 --control-key s3cret
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/otnsim ./cmd/otnsim

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/otnsim /usr/local/bin/otnsim
USER nonroot:nonroot
EXPOSE 8787
ENTRYPOINT ["/usr/local/bin/otnsim"]
CMD ["help"]
