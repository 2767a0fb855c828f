#include "store/conninfo.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <map>

namespace mlgate::store {

std::string multi_host_warning(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (!options) {
    if (error) PQfreemem(error);
    return "";
  }
  std::map<std::string, std::string> values;
  for (const PQconninfoOption* o = options; o->keyword; ++o) {
    if (o->val) values[o->keyword] = o->val;
  }
  PQconninfoFree(options);
  const bool several_hosts = values["host"].find(',') != std::string::npos ||
                             values["hostaddr"].find(',') != std::string::npos;
  std::string attrs = values["target_session_attrs"];
  if (attrs.empty()) {
    if (const char* env = std::getenv("PGTARGETSESSIONATTRS")) attrs = env;
  }
  if (!several_hosts || attrs == "read-write" || attrs == "primary") return "";
  return "the database URL names several hosts without target_session_attrs=read-write: a "
         "connection may land on a standby, where every write fails, and serve stays unready "
         "while it does (docs/operations.md, \"High availability: PostgreSQL failover\")";
}

}  // namespace mlgate::store
