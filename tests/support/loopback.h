// A raw TCP connection to the server under test, for requests an HTTP client will not send (a head
// without its body, bytes in a chosen order).
#pragma once

namespace mlgate::testing {

// A connection to 127.0.0.1:port, as a file descriptor the caller closes; -1 when it fails.
int connect_loopback(int port);

}  // namespace mlgate::testing
