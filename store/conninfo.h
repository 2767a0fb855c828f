// What serve checks in its database URL before using it, with libpq's own parser: a URL that names
// several hosts must ask for the writable one (target_session_attrs=read-write or primary), else a
// connection may land on a standby, where every write fails (docs/operations.md, "High
// availability: PostgreSQL failover"). The URL itself is handed to libpq unchanged.
#pragma once

#include <string>

namespace mlgate::store {

// "" when the conninfo (a URL or key-value pairs) names one host, or several and asks for the
// writable one (also through PGTARGETSESSIONATTRS); else a warning for the log. A conninfo libpq
// cannot parse gets "" too: connecting reports that.
std::string multi_host_warning(const std::string& conninfo);

}  // namespace mlgate::store
