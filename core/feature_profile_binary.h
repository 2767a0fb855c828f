// DatasetProfile as compact bytes (core/feature_profile.h): what the observation intake stores for
// each partial profile (docs/observations.md). A batch's partial holds its numeric features'
// samples — for a 500-row batch every value again — so text JSON made the intake format and
// PostgreSQL parse (as jsonb) thousands of numbers per batch; as bytes they are copied. Pure.
//
// Layout, integers little-endian, doubles as their IEEE 754 bits:
//   "MGP1", u64 rows, u64 ignored_values, u32 features, then per feature (in name order):
//   u16 name length, name, u8 kind (0 numeric, 1 categorical), u64 count, u64 missing, then
//   numeric: f64 sum, sum_sq, min, max, u32 n, n x f64 sample;
//   categorical: u32 n, n x (u16 name length, name, u64 count).
#pragma once

#include <string>
#include <string_view>

#include "core/feature_profile.h"

namespace mlgate::core {

std::string profile_to_binary(const DatasetProfile& p);
// Checked as profile_from_json is (caps, counts adding up, finite numbers, sample size), and
// the bytes must end where the profile does; throws std::invalid_argument naming the problem.
DatasetProfile profile_from_binary(std::string_view bytes);

}  // namespace mlgate::core
