# Build the qingdan binary, then run it on a slim base.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p qingdan-api

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 qingdan
COPY --from=build /src/target/release/qingdan /usr/local/bin/qingdan
USER qingdan
EXPOSE 8000
ENTRYPOINT ["/usr/local/bin/qingdan"]
CMD ["serve"]
