// The floor of scripts/bench idle: a bare cpp-httplib server answering GET /healthz, linked with
// the same cpp-httplib shared library (and so the same OpenSSL, zlib and brotli) as mlgate. It
// listens on 127.0.0.1 at a port the kernel picks, prints that port on one line and serves until
// it is killed. Its resident memory is what any server on this HTTP library costs at rest.
#include <httplib.h>

#include <cstdio>

int main() {
  httplib::Server server;
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  if (port <= 0) {
    std::fprintf(stderr, "bench_idle_floor: cannot listen on 127.0.0.1\n");
    return 1;
  }
  std::printf("%d\n", port);
  std::fflush(stdout);
  return server.listen_after_bind() ? 0 : 1;
}
