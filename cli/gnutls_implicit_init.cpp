// GnuTLS is in the process only because libpq needs libldap, which uses it for LDAP over TLS.
// Its library constructor initialises it when it is loaded (gnutls_global_init: CPU detection,
// algorithm tables, ASN.1 trees, the system priority file), ~1 MiB that an idle `mlgate serve`
// kept resident and nothing in mlgate uses. GnuTLS documents how a program skips that implicit
// initialisation ("Initialization" in its manual; GNUTLS_SKIP_GLOBAL_INIT in <gnutls/gnutls.h>):
// it defines _gnutls_global_init_skip returning 1, which GnuTLS's constructor asks first.
// Whoever then uses GnuTLS initialises it explicitly, as libldap does (gnutls_global_init in its
// TLS set-up). cli/CMakeLists.txt exports the symbol: the binary does not link GnuTLS directly,
// so the linker would not put it in the dynamic symbol table by itself.
// tests/integration/cli/gnutls_init_test.cpp checks that GnuTLS binds to this definition.
extern "C" int _gnutls_global_init_skip();

extern "C" int _gnutls_global_init_skip() {
  return 1;
}
