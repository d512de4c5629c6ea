# syntax=docker/dockerfile:1
# The images of cnat-apiserver and cnat-controller (artifacts/deploy runs them): a static binary on
# distroless, as user 65532. COMPONENT picks the binary.
#
#   docker build -t ghcr.io/programming-kubernetes/cnat-apiserver:dev .
#   docker build --build-arg COMPONENT=cnat-controller -t ghcr.io/programming-kubernetes/cnat-controller:dev .
#   docker buildx build --platform linux/amd64,linux/arm64 -t <image> --push .
#
# The build context has no .git, so Go cannot embed the commit: pass the version flags in, or the binary
# reports v1.0.0-dev without a commit:
#
#   docker build --build-arg VERSION_LDFLAGS="$(hack/version-ldflags.sh)" -t <image> .

# The build runs on the builder's own platform and cross-compiles (pure Go): no emulation for other arches.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS
ARG TARGETARCH
ARG COMPONENT=cnat-apiserver
# -X flags for pkg/version: commit, tree state, build date, release version (hack/version-ldflags.sh).
ARG VERSION_LDFLAGS=""
WORKDIR /src
# Modules first: this layer is reused until go.mod/go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY cmd cmd
COPY pkg pkg
# CGO_ENABLED=0: a static binary, which distroless/static (no libc) needs. -trimpath: no build machine paths
# in the binary (reproducible builds). -s -w: no symbol table or DWARF, a third of the size; panics still
# print full stack traces.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w ${VERSION_LDFLAGS}" -o /out/component ./cmd/${COMPONENT}

# No shell, no package manager, CA certificates and /etc/passwd with the nonroot user: little to attack.
FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/component /usr/local/bin/component
# Numeric, so that runAsNonRoot can check it without looking up a name.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/component"]
