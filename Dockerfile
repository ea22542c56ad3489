# The one securebase binary, for api, worker and migrate.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOTOOLCHAIN=local go build -trimpath -o /out/securebase ./cmd/securebase

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/securebase /usr/local/bin/securebase
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/securebase"]
