// The drift tests by name (docs/monitoring.md): what `.mlgate.yml` monitors may name, without the
// tests themselves (core/drift_tests.h). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mlgate::core {

enum class DriftTest : std::uint8_t { ks, chi2, z, wasserstein, jensenshannon, psi };

// "ks", "chi2", "z", "wasserstein", "jensenshannon", "psi"; from_string also takes Evidently's
// "chisquare".
std::string to_string(DriftTest t);
std::optional<DriftTest> drift_test_from_string(std::string_view s);
// ks, chi2 and z give a p-value (drift when it is small); the others a distance (drift when large).
bool gives_p_value(DriftTest t);
// Evidently's defaults: 0.05 for the p-values, 0.1 for the distances.
double default_drift_threshold(DriftTest t);

}  // namespace mlgate::core
